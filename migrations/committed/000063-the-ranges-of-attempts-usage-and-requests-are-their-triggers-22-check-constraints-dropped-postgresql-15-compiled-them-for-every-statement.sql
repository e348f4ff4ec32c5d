--! Previous: sha1:e9898aa950dd7d2a4d6e9ffb5d3773c9cb35df54
--! Hash: sha1:729fbfbd3b3344eec3b36a8b857b52ed06ce22fb
--! Message: The ranges of attempts, usage and requests are their triggers' (22 CHECK constraints dropped: PostgreSQL 15 compiled them for every statement)

-- The ranges of a ledger row are checked by a trigger (llm_private.tg_attempts__ranges, sql/api/092-attempt-ranges.sql),
-- not by 16 CHECK constraints that PostgreSQL 15 read back, planned and prepared for every statement writing attempts
-- (8 % of a reserve+settle pair's instructions, bench/PROFILE.md §19). The trigger checks the same rules and names them
-- as these did. Dropping a constraint reads no row.
alter table llm_private.attempts
  drop constraint if exists attempts_attempt_no_check, drop constraint if exists attempts_cache_key_check,
  drop constraint if exists attempts_cached_input_tokens_check, drop constraint if exists attempts_charged_micros_check,
  drop constraint if exists attempts_cost_micros_check, drop constraint if exists attempts_held_micros_check,
  drop constraint if exists attempts_input_tokens_check, drop constraint if exists attempts_input_tokens_estimate_check,
  drop constraint if exists attempts_job_attempt_check, drop constraint if exists attempts_latency_ms_check,
  drop constraint if exists attempts_max_output_tokens_check, drop constraint if exists attempts_meter_ids_check,
  drop constraint if exists attempts_output_tokens_check, drop constraint if exists attempts_semantic_check,
  drop constraint if exists attempts_similarity_check, drop constraint if exists attempts_trace_id_check;
-- The same for usage and requests: their guard triggers check the ranges (sql/api/040-usage.sql, 100-requests.sql).
alter table llm_private.usage drop constraint if exists usage_held_check, drop constraint if exists usage_shard_check;
alter table llm_private.requests
  drop constraint if exists requests_request_id_check, drop constraint if exists requests_budget_scope_check,
  drop constraint if exists requests_fingerprint_check, drop constraint if exists requests_check;
