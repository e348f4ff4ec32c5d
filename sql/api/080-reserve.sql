/*
 * llm.reserve_call: the one function a worker calls before the provider.
 * Claims the request once on (tenant, request_id, endpoint), applies every limit, holds the worst
 * case, records the decision, and returns it. Refusals are results (decision = 'block' or
 * 'replay'), never exceptions; it raises only for malformed input or missing context.
 * Locks, in this order: the request row (serialises duplicates and retries of one request), a
 * superseded reservation row, then the rollup rows in key order (see 030-rollups.sql).
 */
create or replace function llm.reserve_call(
  p_tenant_id uuid, p_user_id uuid, p_request_id text, p_endpoint text, p_provider text, p_model text,
  p_input_tokens integer, p_max_output_tokens integer, p_attempt integer default 1, p_call_timeout_ms integer default 60000,
  p_cost_ceiling_micros bigint default null, p_cache_key text default null)
  returns table (decision text, reason text, reservation_id bigint, provider text, model text, max_output_tokens integer,
    held_micros bigint, worst_case_micros bigint, limit_name text, limit_micros bigint, used_micros bigint, expires_at timestamptz,
    cached_output text)
  language plpgsql
  set search_path = pg_catalog
as $$
#variable_conflict use_column
declare
  v_endpoint llm_private.endpoint;
  v_now timestamptz := llm_private.now();
  v_month timestamptz := date_trunc('month', llm_private.now(), 'UTC');
  v_hour timestamptz := date_trunc('hour', llm_private.now());
  v_fp text := md5(concat_ws('|', p_user_id, p_provider, p_model, p_input_tokens, p_max_output_tokens, p_cost_ceiling_micros));
  req llm_private.requests;
  live llm_private.reservations;
  ch record;
  h record;
  cl record;
  d record;
  res_id bigint;
  v_expires timestamptz;
begin
  perform llm_private.require_context(p_tenant_id, p_user_id);
  v_endpoint := llm_private.to_endpoint(p_endpoint);
  perform llm_private.require_range('length(p_request_id)', length(coalesce(p_request_id, '')), 1, 200);
  perform llm_private.require_range('length(p_provider)', length(coalesce(p_provider, '')), 1, 40);
  perform llm_private.require_range('length(p_model)', length(coalesce(p_model, '')), 1, 200);
  perform llm_private.require_range('p_input_tokens', p_input_tokens, 0, 10000000);
  perform llm_private.require_range('p_max_output_tokens', p_max_output_tokens, 1, 1000000);
  perform llm_private.require_range('p_attempt', p_attempt, 1, 1000);
  perform llm_private.require_range('p_call_timeout_ms', p_call_timeout_ms, 100, 3600000);
  if p_cache_key is not null and p_cache_key !~ '^[0-9a-f]{64}$' then
    raise exception using errcode = '22023', message = 'p_cache_key must be a sha256 hex digest', hint = 'Use llm.cache_key(payload).';
  end if;
  if p_cost_ceiling_micros is not null then
    perform llm_private.require_range('p_cost_ceiling_micros', p_cost_ceiling_micros, 0, 1000000000000);
  end if;
  if not exists (select 1 from llm_private.tenants t where t.id = p_tenant_id) then
    raise exception using errcode = 'P0002', message = 'unknown tenant',
      detail = format('tenant %s has no row in llm_private.tenants', p_tenant_id), hint = 'An operator creates tenants with llm.upsert_tenant.';
  end if;
  insert into llm_private.users (tenant_id, id) values (p_tenant_id, p_user_id) on conflict do nothing;
  perform llm_private.expire_due_holds(p_tenant_id, p_user_id, 100);

  -- d collects the outcome; every path ends in one decision row.
  select null::text as decision, null::text as reason, null::bigint as reservation_id, p_provider as provider, p_model as model,
         null::integer as max_output_tokens, 0::bigint as held_micros, null::bigint as worst_case_micros,
         null::text as limit_name, null::bigint as limit_micros, null::bigint as used_micros, null::timestamptz as expires_at,
         null::text as cached_output
    into d;
  <<decide>>
  loop
    insert into llm_private.requests as r (tenant_id, user_id, request_id, endpoint, fingerprint, created_at, updated_at)
    values (p_tenant_id, p_user_id, p_request_id, v_endpoint, v_fp, v_now, v_now)
    on conflict do nothing
    returning * into req;
    if req.id is null then
      select * into req from llm_private.requests r
       where r.tenant_id = p_tenant_id and r.request_id = p_request_id and r.endpoint = v_endpoint
       for update;
      if req.id is null or req.fingerprint <> v_fp then
        -- Another user's claim (invisible here) or other parameters: never touch the first one's hold.
        d.decision := 'block'; d.reason := 'request_conflict'; req := null;
        exit decide;
      end if;
    end if;
    if req.state = 'done' then
      d.decision := 'replay'; d.reason := 'already_settled';
      select x.id, x.provider, x.model, x.cost_micros into d.reservation_id, d.provider, d.model, d.used_micros
        from llm_private.reservations x where x.request_pk = req.id and x.state = 'settled' and x.provider_status = 'ok'
       order by x.id desc limit 1;
      exit decide;
    end if;
    select * into live from llm_private.reservations x where x.request_pk = req.id and x.state = 'held' for update;
    if live.id is not null then
      if p_attempt <= coalesce(req.last_caller_attempt, 0) then
        d.decision := 'replay'; d.reason := 'in_flight'; d.reservation_id := live.id;
        d.provider := live.provider; d.model := live.model; d.max_output_tokens := live.max_output_tokens;
        d.expires_at := live.expires_at;
        exit decide;
      end if;
      perform llm_private.end_hold(live.id, 'expired', 'superseded');  -- a retry: give the old hold back
    end if;
    if req.attempt_count >= (select s.max_attempts_per_request from llm_private.settings s) then
      d.decision := 'block'; d.reason := 'attempts_exhausted'; exit decide;
    end if;
    if p_cache_key is not null then
      -- A hit costs nothing, so it is served before the money checks (even during a shutoff).
      select * into cl from llm_private.cache_lookup(p_tenant_id, p_cache_key, req.id);
      if (cl.entry).cache_key is not null then
        d.decision := 'cached'; d.reason := 'cache_hit'; d.held_micros := 0;
        d.reservation_id := llm_private.serve_from_cache(req, cl.entry, p_attempt);
        d.provider := (cl.entry).provider; d.model := (cl.entry).model; d.cached_output := (cl.entry).output;
        exit decide;
      end if;
      if cl.fill_in_flight then
        d.decision := 'wait'; d.reason := 'cache_fill_in_flight'; exit decide;
      end if;
    end if;
    select * into ch from llm_private.active_shutoff(p_tenant_id, p_user_id, v_now) w where w.id is not null;
    if ch.id is not null then
      d.decision := 'block';
      d.reason := case when ch.kind = 'manual' then 'manual_shutoff' else 'hourly_shutoff' end;
      d.limit_name := ch.scope || '_shutoff_window'; d.limit_micros := ch.threshold_micros;
      exit decide;
    end if;
    select * into ch from llm_private.choose_model(p_tenant_id, v_endpoint, p_provider, p_model, p_input_tokens,
      p_max_output_tokens, req.spent_micros, v_now, p_cost_ceiling_micros);
    d.decision := ch.decision; d.reason := ch.reason; d.provider := ch.provider; d.model := ch.model;
    d.max_output_tokens := ch.max_output_tokens; d.worst_case_micros := ch.worst_case_micros;
    d.limit_name := 'per_request_cap'; d.limit_micros := ch.limit_micros; d.used_micros := req.spent_micros;
    exit decide when ch.decision = 'block';
    select * into h from llm_private.hold_budget(p_tenant_id, p_user_id, v_month, v_hour, ch.worst_case_micros, p_request_id);
    if not h.ok then
      d.decision := 'block'; d.reason := h.reason;
      d.limit_name := h.limit_name; d.limit_micros := h.limit_micros; d.used_micros := h.used_micros;
      exit decide;
    end if;
    v_expires := v_now + make_interval(secs => (p_call_timeout_ms
      + (select s.hold_margin_ms from llm_private.settings s)) / 1000.0);
    insert into llm_private.reservations (tenant_id, user_id, request_pk, request_id, endpoint, attempt, caller_attempt, decision,
      requested_provider, requested_model, provider, model, price_id, input_tokens_estimate, max_output_tokens, held_micros,
      holds_global, month_start, hour_start, reserved_at, expires_at, cache_key)
    values (p_tenant_id, p_user_id, req.id, p_request_id, v_endpoint, req.attempt_count + 1, p_attempt, ch.decision,
      p_provider, p_model, ch.provider, ch.model, ch.price_id, p_input_tokens, ch.max_output_tokens, ch.worst_case_micros,
      h.holds_global, v_month, v_hour, v_now, v_expires, p_cache_key)
    returning id into res_id;
    if p_cache_key is not null then
      perform llm_private.start_cache_fill(p_tenant_id, p_cache_key, res_id, v_expires);
    end if;
    update llm_private.requests r
       set attempt_count = r.attempt_count + 1, last_caller_attempt = greatest(p_attempt, coalesce(r.last_caller_attempt, 0)),
           state = 'open', updated_at = v_now
     where r.id = req.id;
    d.reservation_id := res_id; d.held_micros := ch.worst_case_micros; d.expires_at := v_expires;
    exit decide;
  end loop;

  if d.decision = 'block' and req.id is not null and req.state <> 'done' then
    update llm_private.requests r set state = 'refused', updated_at = v_now where r.id = req.id;
  end if;
  insert into llm_private.decisions (decided_at, tenant_id, user_id, request_id, endpoint, caller_attempt, reservation_id, decision,
    reason, requested_provider, requested_model, provider, model, input_tokens_estimate, requested_max_output_tokens,
    granted_max_output_tokens, worst_case_micros, limit_name, limit_micros, used_micros)
  values (v_now, p_tenant_id, p_user_id, p_request_id, v_endpoint, p_attempt, d.reservation_id, d.decision, d.reason,
    p_provider, p_model, d.provider, d.model, p_input_tokens, p_max_output_tokens,
    case when d.decision in ('allow', 'cap', 'fallback') then d.max_output_tokens end,
    d.worst_case_micros, d.limit_name, d.limit_micros, d.used_micros);
  return query select d.decision, d.reason, d.reservation_id, d.provider, d.model, d.max_output_tokens, d.held_micros,
    d.worst_case_micros, d.limit_name, d.limit_micros, d.used_micros, d.expires_at, d.cached_output;
end
$$;
comment on function llm.reserve_call(uuid, uuid, text, text, text, text, integer, integer, integer, integer, bigint, text) is
  'Before a provider call: claims (tenant, request_id, endpoint) once, applies the per-request cap (or the caller''s lower p_cost_ceiling_micros), the breaker, shutoff windows, the user and tenant monthly caps and the hourly thresholds, holds the worst case, records and returns the decision: allow | cap | fallback (call the provider with the returned model and max_output_tokens, then llm.settle_call) or block | replay (do not call the provider), cached (a cache hit: cached_output is the answer, recorded at zero cost), wait (an identical request is filling the cache: ask again shortly). Pass p_cache_key = llm.cache_key(payload) to use the cache. Runs as llm_app with the tenant+user context set.';
grant execute on function llm.reserve_call(uuid, uuid, text, text, text, text, integer, integer, integer, integer, bigint, text) to llm_app;
