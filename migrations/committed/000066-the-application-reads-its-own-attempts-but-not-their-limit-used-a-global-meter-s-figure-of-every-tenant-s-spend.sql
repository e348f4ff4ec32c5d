--! Previous: sha1:1fdae0de30d78143d6f0a44f2619f2a0ba3e4630
--! Hash: sha1:3275234a3ee7e0529e8650cb27c9d32526c4ea0a
--! Message: The application reads its own attempts but not their limit_used (a global meter's figure of every tenant's spend)

-- The application reads its own attempts but not their limit_used (review r110): the figure a limit had used when the call
-- was compared is, for a global meter, what every tenant has held and spent on it (the usage policy and llm.my_usage keep
-- those rows from the application). An admitted call records its tightest limit's figure since API generation 52, a global
-- meter's included, and a refusal by a global limit always did. The auditors read it in llm.calls and llm.decision_log;
-- the worker gets it from llm.reserve_call. The table's SELECT becomes a grant of every other column (a column added later
-- is granted by the migration that adds it, as for llm_viewer).
revoke select on llm_private.attempts from llm_app;
grant select (tenant_id, request_pk, attempt_no, user_id, purpose, job_attempt, state, decision, reason, price_id, input_tokens_estimate, max_output_tokens, held_micros, reserved_at, expires_at, ended_at, input_tokens, cached_input_tokens, output_tokens, cost_micros, charged_micros, latency_ms, provider_status, usage_unknown, late, output_valid, pii_flagged, meter_ids, limit_id, limit_cap, cache_key, cache_source_pk, similarity, trace_id, distillation_eligible, distillation_reason, fills_cache, semantic_candidates, semantic_bound_hit, answered_model, holds_least_charge) on llm_private.attempts to llm_app;
