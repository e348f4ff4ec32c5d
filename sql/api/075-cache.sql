/*
 * The Postgres cache. Exact match per tenant on sha256(normalized request + source watermark):
 * when the data behind a request changes, the caller's watermark changes, the key changes, and
 * the old entry can never be served again. No watermark, no caching (a TTL alone would guess).
 * Single flight: one reservation per (tenant, key) fills the entry; identical requests get
 * decision 'wait' and ask again, to be served from the cache once the fill settles.
 * Serialisation: an advisory transaction lock on (tenant, key) orders concurrent reserves of the
 * same key, so exactly one becomes the filler.
 */
create or replace function llm.cache_key(p_payload jsonb) returns text
  language sql immutable
  set search_path = pg_catalog
as $$
  select case when p_payload ? 'source_watermark' then
    encode(sha256(convert_to(jsonb_build_object(
      'endpoint', p_payload->>'endpoint',
      'model', p_payload->>'model',
      'max_output_tokens', p_payload->'max_output_tokens',
      'response_format', coalesce(p_payload->>'response_format', 'text'),
      'watermark', p_payload->>'source_watermark',
      'messages', (select jsonb_agg(jsonb_build_object('role', m->>'role',
                     'content', btrim(replace(m->>'content', E'\r\n', E'\n'), E' \t\n')) order by i)
                     from jsonb_array_elements(p_payload->'messages') with ordinality e(m, i))
    )::text, 'UTF8')), 'hex')
  end
$$;
comment on function llm.cache_key(jsonb) is
  'The cache key of an LLM job payload: sha256 of its endpoint, model, output parameters, messages (line endings and outer whitespace normalized) and source_watermark; NULL when the payload has no watermark (not cached).';

create or replace function llm_private.cache_lookup(p_tenant_id uuid, p_cache_key text, p_request_pk bigint,
  out entry llm_private.cache_entries, out fill_in_flight boolean)
  language plpgsql
  set search_path = pg_catalog
as $$
begin
  perform pg_advisory_xact_lock(hashtextextended(p_tenant_id::text || ':' || p_cache_key, 7420003));
  select * into entry from llm_private.cache_entries c
   where c.tenant_id = p_tenant_id and c.cache_key = p_cache_key and c.expires_at > llm_private.now();
  -- A fill by another request (any user of the tenant) that has not ended or expired; a fill by an
  -- earlier attempt of this same request is ours to take over.
  fill_in_flight := entry.cache_key is null and exists (
    select 1 from llm_private.cache_fills f
     where f.tenant_id = p_tenant_id and f.cache_key = p_cache_key and f.expires_at > llm_private.now()
       and not exists (select 1 from llm_private.reservations x where x.id = f.reservation_id and x.request_pk = p_request_pk));
end
$$;
comment on function llm_private.cache_lookup(uuid, text, bigint) is
  'Under the (tenant, key) lock: the live cache entry, or whether another request is filling it now.';

create or replace function llm_private.serve_from_cache(p_req llm_private.requests, p_entry llm_private.cache_entries, p_attempt integer)
  returns bigint
  language plpgsql
  set search_path = pg_catalog
as $$
declare
  v_now timestamptz := llm_private.now();
  rid bigint;
begin
  -- A cache hit is a call in the ledger: cached, no provider, no hold, zero cost, never distillable.
  insert into llm_private.reservations (tenant_id, user_id, request_pk, request_id, endpoint, attempt, caller_attempt, decision,
    requested_provider, requested_model, provider, model, price_id, input_tokens_estimate, max_output_tokens, held_micros,
    holds_global, month_start, hour_start, reserved_at, expires_at, cache_key)
  values (p_req.tenant_id, p_req.user_id, p_req.id, p_req.request_id, p_req.endpoint, p_req.attempt_count + 1, p_attempt, 'cached',
    p_entry.provider, p_entry.model, p_entry.provider, p_entry.model,
    (select p.id from llm_private.model_prices p where p.provider = p_entry.provider and p.model = p_entry.model
      order by p.effective_from desc limit 1),
    0, 1, 0, false, date_trunc('month', v_now, 'UTC'), date_trunc('hour', v_now), v_now, v_now + interval '1 second', p_entry.cache_key)
  returning id into rid;
  update llm_private.reservations
     set state = 'settled', settled_at = v_now, ended_at = v_now, end_reason = 'cache_hit', input_tokens = 0, cached_input_tokens = 0,
         output_tokens = 0, cost_micros = 0, overrun_micros = 0, latency_ms = 0, provider_status = 'ok', usage_estimated = false,
         cached = true, cache_saved_micros = p_entry.source_cost_micros,
         distillation_eligible = false, distillation_reason = 'from_cache'
   where id = rid;
  update llm_private.requests
     set attempt_count = attempt_count + 1, last_caller_attempt = greatest(p_attempt, coalesce(last_caller_attempt, 0)),
         state = 'done', updated_at = v_now
   where id = p_req.id;
  -- The answer is the request's result like any other (llm.request_results); never distillable.
  insert into llm_private.call_outputs (reservation_id, tenant_id, user_id, endpoint, provider, model, messages, output, output_valid,
    pii_flagged, created_at, expires_at)
  values (rid, p_req.tenant_id, p_req.user_id, p_req.endpoint, p_entry.provider, p_entry.model, '[]', p_entry.output, true, false, v_now,
    v_now + make_interval(secs => (select s.output_retention_ms from llm_private.settings s) / 1000.0));
  return rid;
end
$$;
comment on function llm_private.serve_from_cache(llm_private.requests, llm_private.cache_entries, integer) is
  'Records a cache hit as a settled, cached, zero-cost call of the request and closes the request.';

create or replace function llm_private.start_cache_fill(p_tenant_id uuid, p_cache_key text, p_reservation_id bigint, p_expires_at timestamptz)
  returns void
  language sql
  set search_path = pg_catalog
as $$
  insert into llm_private.cache_fills (tenant_id, cache_key, reservation_id, expires_at)
  values (p_tenant_id, p_cache_key, p_reservation_id, p_expires_at)
  on conflict (tenant_id, cache_key) do update set reservation_id = excluded.reservation_id, expires_at = excluded.expires_at
$$;
comment on function llm_private.start_cache_fill(uuid, text, bigint, timestamptz) is
  'Marks a reservation as the one filling a cache key (until it settles or its hold expires).';

create or replace function llm_private.finish_cache_fill(r llm_private.reservations, p_status text, p_output text, p_output_valid boolean,
  p_cost_micros bigint) returns void
  language plpgsql
  set search_path = pg_catalog
as $$
begin
  delete from llm_private.cache_fills f where f.tenant_id = r.tenant_id and f.cache_key = r.cache_key and f.reservation_id = r.id;
  -- Only complete, valid answers are cached: not failures, not outputs cut by a cap.
  if p_status = 'ok' and p_output is not null and coalesce(p_output_valid, false) and r.decision <> 'cap' then
    insert into llm_private.cache_entries (tenant_id, cache_key, endpoint, provider, model, output, source_reservation_id,
      source_cost_micros, created_at, expires_at)
    values (r.tenant_id, r.cache_key, r.endpoint, r.provider, r.model, p_output, r.id, p_cost_micros, llm_private.now(),
      llm_private.now() + make_interval(secs => (select s.cache_ttl_ms from llm_private.settings s) / 1000.0))
    on conflict (tenant_id, cache_key) do update set output = excluded.output, provider = excluded.provider, model = excluded.model,
      source_reservation_id = excluded.source_reservation_id, source_cost_micros = excluded.source_cost_micros,
      created_at = excluded.created_at, expires_at = excluded.expires_at;
  end if;
end
$$;
comment on function llm_private.finish_cache_fill(llm_private.reservations, text, text, boolean, bigint) is
  'At settle: ends the reservation''s cache fill and stores a complete, valid output under its key.';

create or replace function llm.purge_expired(p_limit integer default 10000)
  returns table (traces bigint, outputs bigint, cache_entries bigint)
  language plpgsql
  set search_path = pg_catalog
as $$
declare
  t bigint; o bigint; c bigint;
begin
  perform llm_private.require_range('p_limit', p_limit, 1, 1000000);
  delete from llm_private.reasoning_traces x where x.ctid in
    (select y.ctid from llm_private.reasoning_traces y where y.expires_at <= llm_private.now() limit p_limit);
  get diagnostics t = row_count;
  delete from llm_private.call_outputs x where x.ctid in
    (select y.ctid from llm_private.call_outputs y where y.expires_at <= llm_private.now() limit p_limit);
  get diagnostics o = row_count;
  delete from llm_private.cache_entries x where x.ctid in
    (select y.ctid from llm_private.cache_entries y where y.expires_at <= llm_private.now() limit p_limit);
  get diagnostics c = row_count;
  return query select t, o, c;
end
$$;
comment on function llm.purge_expired(integer) is
  'Operator (scheduled): deletes reasoning traces, final outputs and cache entries past their retention. The ledger itself is never purged.';

create view llm.cache_stats with (security_invoker = true) as
select r.tenant_id, date_trunc('month', r.reserved_at, 'UTC') as month_start, count(*)::bigint as hits,
       coalesce(sum(r.cache_saved_micros), 0)::bigint as saved_micros
  from llm_private.reservations r
 where r.cached
 group by 1, 2;
comment on view llm.cache_stats is 'Cache hits per tenant and month, and the money they saved (what the filling calls cost).';

grant execute on function llm.cache_key(jsonb), llm_private.cache_lookup(uuid, text, bigint),
  llm_private.serve_from_cache(llm_private.requests, llm_private.cache_entries, integer),
  llm_private.start_cache_fill(uuid, text, bigint, timestamptz),
  llm_private.finish_cache_fill(llm_private.reservations, text, text, boolean, bigint) to llm_app;
grant execute on function llm.purge_expired(integer) to llm_operator;
grant select on llm.cache_stats to llm_auditor, llm_operator;
