/*
 * Bulk-loaded history for the scale goal (issue 11, goal 5): governed calls i in [p_from, p_to),
 * written directly in their final state (request done, one attempt settled allow) as the
 * superuser with session_replication_role = replica for the load transaction only, which skips
 * the ledger's triggers (they would decide and move usage for every row); CHECK constraints still
 * apply. Even i in the current month's partition, odd i in the previous month's. Subjects: one
 * call in 20 on the measured (hot) user, the rest spread over 1 000 tenants x 10 users (see
 * llm_bench.tenant_n / user_n, workload 9). Usage counters are not loaded (they are per subject
 * and period, not per call). Depends on the product's column names: edit here when they change.
 */
create function llm_bench.load_history(p_from bigint, p_to bigint) returns bigint
  language plpgsql
as $$
declare
  cur integer := llm_private.month_index(llm_private.now());
  v_price integer := (select p.id from llm_private.model_prices p where p.provider = 'bench' and p.model = 'chat'
                       order by p.effective_from desc limit 1);
  v_meters smallint[] := array(select m.id from llm_private.meters m where m.name in ('user_monthly', 'tenant_monthly') order by m.id);
  n bigint;
begin
  set local session_replication_role = replica;
  create temporary table h on commit drop as
  select (((cur - (i % 2))::bigint) << 40) + 900000000000 + i as pk,
         -- spread over the month up to now (the current month) or over the whole previous month
         case when i % 2 = 0
              then llm_private.month_start(cur) + (llm_private.now() - llm_private.month_start(cur)) * ((i % 100003) / 100003.0)
              else llm_private.month_start(cur - 1) + (llm_private.month_start(cur) - llm_private.month_start(cur - 1)) * ((i % 100003) / 100003.0)
         end as at
    from generate_series(p_from, p_to - 1) i;
  insert into llm_private.requests (tenant_id, id, user_id, request_id, endpoint, state, reason, fingerprint,
    created_at, finished_at)
  select llm_bench.tenant_of(pk), pk, llm_bench.user_of(pk), 'hist-' || pk, 'explanation', 'done', 'ok', sha256(pk::text::bytea),
         at, at + interval '2 seconds'
    from h;
  get diagnostics n = row_count;
  insert into llm_private.request_inputs (tenant_id, request_pk, user_id, model_ref, messages, max_output_tokens, system_hash)
  select llm_bench.tenant_of(pk), pk, llm_bench.user_of(pk), 'bench:chat',
         '[{"role": "user", "content": "Explain this anomaly."}]'::jsonb, 500, repeat('0', 64)
    from h;
  insert into llm_private.attempts (tenant_id, request_pk, attempt_no, user_id, job_attempt, state, decision, reason, price_id,
    input_tokens_estimate, max_output_tokens, held_micros, reserved_at, expires_at, ended_at, input_tokens, cached_input_tokens,
    output_tokens, cost_micros, charged_micros, latency_ms, provider_status, meter_ids, distillation_eligible, distillation_reason)
  select llm_bench.tenant_of(pk), pk, 1, llm_bench.user_of(pk), 1, 'settled', 'allow', 'ok', v_price,
         1000, 500, 2000, at, at + interval '60 seconds', at + interval '2 seconds', 1000, 0,
         500, 2000, 2000, 1500, 'ok', v_meters, false, 'tenant_not_opted_in'
    from h;
  return n;
end
$$;
