/*
 * llm.settle_call: the one function a worker calls after the provider answered (or failed).
 * It never fails for money reasons: the provider has already billed. The real cost (from the
 * price in effect at reserve time) replaces the hold in the rollups; a cost above the hold is
 * recorded in full as an overrun (never truncated); a settle after the hold expired or was
 * superseded still records the cost and is flagged late. Settling twice returns the first result.
 * Locks: the request row, then the reservation row, then the rollups in key order.
 */
create or replace function llm.settle_call(
  p_reservation_id bigint, p_input_tokens integer, p_cached_input_tokens integer, p_output_tokens integer,
  p_latency_ms integer, p_provider_status text default 'ok', p_usage_estimated boolean default false,
  p_messages jsonb default null, p_output text default null, p_reasoning text default null, p_output_valid boolean default null,
  p_pii_flagged boolean default false)
  returns table (reservation_id bigint, state text, cost_micros bigint, held_micros bigint, released_micros bigint,
    overrun_micros bigint, late boolean, replayed boolean)
  language plpgsql
  set search_path = pg_catalog
as $$
#variable_conflict use_column
declare
  r llm_private.reservations;
  v_now timestamptz := llm_private.now();
  v_cost bigint;
  v_still_held bigint;
  g record;
begin
  perform llm_private.require_range('p_input_tokens', p_input_tokens, 0, 10000000);
  perform llm_private.require_range('p_cached_input_tokens', p_cached_input_tokens, 0, 10000000);
  perform llm_private.require_range('p_output_tokens', p_output_tokens, 0, 10000000);
  perform llm_private.require_range('p_latency_ms', p_latency_ms, 0, 86400000);
  if p_provider_status is null or p_provider_status not in ('ok', 'error', 'timeout', 'rate_limited', 'malformed', 'network', 'client_error') then
    raise exception using errcode = '22023', message = 'unknown provider status',
      detail = format('p_provider_status = %s', coalesce(p_provider_status, 'NULL')),
      hint = 'One of ok, error, timeout, rate_limited, malformed, network, client_error.';
  end if;
  select * into r from llm_private.reservations x where x.id = p_reservation_id;
  if r.id is null then
    raise exception using errcode = 'P0002', message = 'reservation not found',
      detail = format('reservation %s is not visible in this tenant and user context', p_reservation_id);
  end if;
  perform 1 from llm_private.requests q where q.id = r.request_pk for update;
  select * into r from llm_private.reservations x where x.id = p_reservation_id for update;
  if r.state in ('settled', 'released') then
    return query select r.id, r.state, coalesce(r.cost_micros, 0), r.held_micros, 0::bigint, coalesce(r.overrun_micros, 0), r.late, true;
    return;
  end if;

  v_cost := llm_private.actual_cost_micros(r.price_id, p_input_tokens, p_cached_input_tokens, p_output_tokens);
  v_still_held := case when r.state = 'held' then r.held_micros else 0 end;
  select * into g from llm_private.distillation_gate(r.tenant_id, r.decision, r.cached, p_provider_status, p_output is not null,
    p_output_valid, p_pii_flagged, r.provider, r.model);
  update llm_private.reservations x
     set state = 'settled', settled_at = v_now, input_tokens = p_input_tokens, cached_input_tokens = p_cached_input_tokens,
         output_tokens = p_output_tokens, cost_micros = v_cost, overrun_micros = greatest(v_cost - v_still_held, 0),
         latency_ms = p_latency_ms, provider_status = p_provider_status, usage_estimated = p_usage_estimated,
         late = (r.state = 'expired'),
         ended_at = coalesce(x.ended_at, v_now), end_reason = coalesce(x.end_reason, 'settled'),
         distillation_eligible = g.eligible, distillation_reason = g.reason
   where x.id = r.id;
  -- Final output and reasoning go to separate tables, with separate retention.
  if p_output is not null then
    insert into llm_private.call_outputs (reservation_id, tenant_id, user_id, endpoint, provider, model, messages, output, output_valid,
      pii_flagged, created_at, expires_at)
    values (r.id, r.tenant_id, r.user_id, r.endpoint, r.provider, r.model, coalesce(p_messages, '[]'), p_output,
      coalesce(p_output_valid, false), coalesce(p_pii_flagged, true), v_now,
      v_now + make_interval(secs => (select s.output_retention_ms from llm_private.settings s) / 1000.0));
  end if;
  if p_reasoning is not null then
    insert into llm_private.reasoning_traces (reservation_id, tenant_id, user_id, trace, created_at, expires_at)
    values (r.id, r.tenant_id, r.user_id, p_reasoning, v_now,
      v_now + make_interval(secs => (select s.trace_retention_ms from llm_private.settings s) / 1000.0));
  end if;
  if r.cache_key is not null then
    perform llm_private.finish_cache_fill(r, p_provider_status, p_output, p_output_valid, v_cost);
  end if;
  perform llm_private.record_breaker_outcome(r.provider, r.model, p_provider_status);  -- before the rollups: lock order
  perform llm_private.apply_rollups(r.tenant_id, r.user_id, r.month_start, r.hour_start, r.holds_global, -v_still_held, v_cost);
  update llm_private.requests q
     set spent_micros = q.spent_micros + v_cost, updated_at = v_now,
         state = case when p_provider_status = 'ok' then 'done' else q.state end
   where q.id = r.request_pk;
  return query select r.id, 'settled'::text, v_cost, r.held_micros, greatest(v_still_held - v_cost, 0),
    greatest(v_cost - v_still_held, 0), r.state = 'expired', false;
end
$$;
comment on function llm.settle_call(bigint, integer, integer, integer, integer, text, boolean, jsonb, text, text, boolean, boolean) is
  'After a provider call: records the real cost (input tokens exclude cached ones), releases the rest of the hold, closes the reservation, marks the request done when the status is ok, records the outcome on the provider+model breaker, stores the final output (p_output, with p_messages) and the reasoning trace (p_reasoning) apart, decides distillation eligibility (llm_private.distillation_gate) from p_output_valid and p_pii_flagged, and fills the cache. A failed call settles with the cost the provider reported (zero if none). Idempotent: a second settle returns the first result with replayed = true. Runs as llm_app with the tenant+user context set.';
grant execute on function llm.settle_call(bigint, integer, integer, integer, integer, text, boolean, jsonb, text, text, boolean, boolean) to llm_app;
