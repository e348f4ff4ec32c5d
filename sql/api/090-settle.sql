/*
 * Settle, release, expire: an UPDATE of an attempt's state. The legal transitions:
 *   held     -> settled   the provider answered or failed; cost from the tokens at the pinned price,
 *                         or, when the usage is unknown (NULL tokens: timeout after sending, dropped
 *                         connection, malformed body), the full hold, flagged usage_unknown
 *                         (another model's answer, answered_model: its tokens at the dearest price, or when
 *                         that model has no price here, usage_unknown: the full hold, or the tokens at the asked
 *                         price when that is more)
 *   held     -> released  no provider request was sent: nothing charged
 *   held     -> expired   the hold outlived its call (worker died, retry superseded it): charged in
 *                         full, flagged usage_unknown, and only once its expires_at has passed
 *   expired  -> settled   a late settle: the conservative charge is replaced by the real cost, once
 *   released -> settled   a late settle after a release: the real cost is charged
 * settled, refused and cached are final. Everything but the state and the facts of the call
 * (tokens, latency, status, output validity, PII, the model that answered) is immutable or derived here.
 * A settle never fails for money reasons: the provider has billed; a cost above the hold is
 * recorded in full (the period may pass its cap by that overrun, which llm.calls shows).
 */
/*
 * An answer from another model than the one asked for (attempts.answered_model, set by the settle): the names under which
 * the provider may price it. The name as given; without an organisation prefix (vLLM's meta-llama/...); without Ollama's
 * :latest; and each of those without a dated snapshot suffix (-2024-08-06, -0613, -20241022) or with it as -latest.
 * A name that is no price's model adds nothing: the settle takes the dearest price among them.
 */
create or replace function llm_private.answered_model_names(p_answered text) returns text[]
  language sql immutable parallel safe
  set search_path = pg_catalog
as $$
  with named(n) as (
    select p_answered
    union select regexp_replace(p_answered, '^[A-Za-z0-9._-]{1,100}/', '')
  ), untagged(n) as (
    select n from named
    union select regexp_replace(n, ':latest$', '') from named
  ), snapshot(n) as (
    select n from untagged
    union select regexp_replace(n, '-([0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{4}|[0-9]{8})$', '') from untagged
    union select regexp_replace(n, '-([0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{4}|[0-9]{8})$', '-latest') from untagged
  )
  select array_agg(n order by n) from snapshot where n <> ''
$$;
comment on function llm_private.answered_model_names(text) is
  'The model names an answer of another model (attempts.answered_model) may be priced under: the name, without an organisation prefix, without :latest, without a dated snapshot suffix or with -latest in its place.';

/*
 * The cost of a call answered by another model: its tokens at the dearest price in effect at the reserve (p_at) among
 * the answering model's names for the same provider. NULL when none has a price: the cost is unknown.
 */
create or replace function llm_private.answered_cost_micros(p_provider text, p_answered text, p_at timestamptz,
  p_input_tokens integer, p_cached_input_tokens integer, p_output_tokens integer) returns bigint
  language sql stable
  set search_path = pg_catalog
as $$
  select max(llm_private.call_cost_micros(x, p_input_tokens, p_cached_input_tokens, p_output_tokens))
    from unnest(llm_private.answered_model_names(p_answered)) n(model)
   cross join lateral llm_private.price_in_effect(p_provider, n.model, p_at) x
   where x.id is not null
$$;
comment on function llm_private.answered_cost_micros(text, text, timestamptz, integer, integer, integer) is
  'A call answered by another model: its tokens at the dearest price in effect at p_at among that model''s names (llm_private.answered_model_names) for the same provider; NULL when none is priced (the cost is unknown).';

/*
 * Whether an answer's model name is the asked model's own: the name, with Ollama's :latest, or a dated snapshot of it
 * (name-latest as name-<date>). Not under an organisation prefix: evilorg/small is not small (review of the last fixes).
 */
create or replace function llm_private.is_asked_model(p_asked text, p_answered text) returns boolean
  language sql immutable parallel safe
  set search_path = pg_catalog
as $$
  -- Case aside, and :latest aside on either side (review of the final replay: llama3:latest answered llama3 was refused).
  with n as (select lower(regexp_replace(p_asked, ':latest$', '')) as asked, lower(regexp_replace(p_answered, ':latest$', '')) as ans)
  select n.ans = n.asked
      or n.ans = n.asked || '-latest'
      -- asked under an organisation prefix (openai/gpt-4o), answered bare; never the other way
      or (strpos(n.ans, '/') = 0 and strpos(n.asked, '/') > 0 and n.ans = regexp_replace(n.asked, '^[^/]*/', ''))
      or (left(n.ans, length(n.asked)) = n.asked
          and substr(n.ans, length(n.asked) + 1) ~ '^-([0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{4}|[0-9]{8})$')
      or (n.asked ~ '-latest$' and left(n.ans, length(n.asked) - 7) = left(n.asked, length(n.asked) - 7)
          and substr(n.ans, length(n.asked) - 6) ~ '^-([0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{4}|[0-9]{8})$')
    from n
$$;
comment on function llm_private.is_asked_model(text, text) is
  'Whether an answer''s model name is the asked model''s own, case aside: the name, with or without :latest or -latest, or a dated snapshot (name-2024-08-06, name-0613, name-20241022; name-latest as name-<date>); the bare name of an asked org/name; never a name under another organisation prefix.';

create or replace function llm_private.tg_attempts__transition() returns trigger
  language plpgsql
  set search_path = pg_catalog
  set plan_cache_mode = force_generic_plan
as $$
declare
  v_now timestamptz := llm_private.now();
  p llm_private.model_prices;
  q llm_private.requests;
  g record;
  v_scope_started timestamptz;
  v_answered_cost bigint;
begin
  if (new.tenant_id, new.request_pk, new.attempt_no, new.user_id, new.purpose, new.job_attempt, new.decision, new.reason, new.price_id,
      new.input_tokens_estimate, new.max_output_tokens, new.held_micros, new.reserved_at, new.expires_at, new.meter_ids, new.limit_id,
      new.limit_cap, new.limit_used, new.cache_key, new.cache_source_pk, new.similarity, new.semantic_candidates, new.semantic_bound_hit,
      new.trace_id, new.fills_cache, new.holds_least_charge)
     is distinct from
     (old.tenant_id, old.request_pk, old.attempt_no, old.user_id, old.purpose, old.job_attempt, old.decision, old.reason, old.price_id,
      old.input_tokens_estimate, old.max_output_tokens, old.held_micros, old.reserved_at, old.expires_at, old.meter_ids, old.limit_id,
      old.limit_cap, old.limit_used, old.cache_key, old.cache_source_pk, old.similarity, old.semantic_candidates, old.semantic_bound_hit,
      old.trace_id, old.fills_cache, old.holds_least_charge) then
    raise exception using errcode = 'LG001', message = 'an attempt''s decision and hold are immutable',
      detail = format('attempt %s/%s', old.request_pk, old.attempt_no), hint = 'Only the state and the facts of the call change.';
  end if;
  if not ((old.state = 'held' and new.state in ('settled', 'released', 'expired'))
       or (old.state in ('expired', 'released') and new.state = 'settled')) then
    raise exception using errcode = 'LG002', message = 'illegal attempt state transition',
      detail = format('attempt %s/%s: %s -> %s', old.request_pk, old.attempt_no, old.state, new.state),
      hint = 'held -> settled | released | expired; expired | released -> settled; settled, refused and cached are final.';
  end if;
  if new.state = 'expired' and v_now < old.expires_at then
    raise exception using errcode = 'LG002', message = 'a hold expires only after its expiry',
      detail = format('attempt %s/%s expires at %s', old.request_pk, old.attempt_no, old.expires_at);
  end if;

  select * into p from llm_private.model_prices x where x.id = old.price_id;
  new.ended_at := v_now;
  new.late := false;
  new.distillation_eligible := null;
  new.distillation_reason := null;
  if new.state = 'settled' then
    if new.provider_status is null then
      raise exception using errcode = '22023', message = 'a settle needs the provider status';
    end if;
    -- The answering model's name as a model name, or ?: no free text of the provider's in the ledger, whoever wrote it.
    if new.answered_model !~ '^[A-Za-z0-9._:/@-]{1,200}$' then
      new.answered_model := '?';
    end if;
    if new.input_tokens is null or new.output_tokens is null then
      new.input_tokens := null; new.cached_input_tokens := null; new.output_tokens := null;
      new.usage_unknown := true;
      new.cost_micros := old.held_micros;
    else
      new.cached_input_tokens := coalesce(new.cached_input_tokens, 0);
      new.usage_unknown := false;
      new.cost_micros := llm_private.call_cost_micros(p, new.input_tokens, new.cached_input_tokens, new.output_tokens);
      if new.answered_model is not null then
        -- Another model answered (a gateway's routing or fallback), or a name of the asked one priced apart: the provider
        -- billed these tokens at that model's price. The dearest of the prices when it has one here; when it has none, the
        -- cost is unknown: the full hold, or these tokens at the asked price when that is more (review of the fixes).
        v_answered_cost := llm_private.answered_cost_micros(p.provider, new.answered_model, old.reserved_at,
          new.input_tokens, new.cached_input_tokens, new.output_tokens);
        new.usage_unknown := v_answered_cost is null;
        new.cost_micros := greatest(new.cost_micros, coalesce(v_answered_cost, old.held_micros));
      end if;
    end if;
    new.charged_micros := new.cost_micros;
    new.late := old.state in ('expired', 'released');
    if new.purpose = 'chat' and new.answered_model is not null and new.provider_status = 'ok'
       and not llm_private.is_asked_model(p.model, new.answered_model) then
      -- Another model's answer: its terms and its quality are not the asked model's. (A snapshot of the asked model priced
      -- apart is the asked model: charged its price, judged as the asked model's.)
      new.distillation_eligible := false;
      new.distillation_reason := 'other_model_answered';
    elsif new.purpose = 'chat' then
      select * into g from llm_private.distillation_gate(new.tenant_id, new.decision, new.provider_status, new.output_valid, new.pii_flagged,
        p.provider, p.model);
      new.distillation_eligible := g.eligible;
      new.distillation_reason := g.reason;
    else
      new.distillation_eligible := false;
      new.distillation_reason := 'not_chat';
    end if;
  else
    new.input_tokens := null; new.cached_input_tokens := null; new.output_tokens := null; new.cost_micros := null;
    new.latency_ms := case when new.state = 'released' then null else new.latency_ms end;
    new.provider_status := null; new.output_valid := null; new.pii_flagged := null; new.answered_model := null;
    new.usage_unknown := new.state = 'expired';
    new.charged_micros := case when new.state = 'expired' then old.held_micros else 0 end;
  end if;

  -- Lock order: the request row, then the breaker, then usage in meter order. A chat call that settles ok makes its
  -- request done here, in the statement that locks the row: the AFTER trigger did it with a second statement on the
  -- request, -2.2 % instructions per pair (bench/PROFILE.md §21). A later BEFORE trigger (_900_ranges) that refuses the
  -- row refuses the statement, and the request's change with it.
  if new.state = 'settled' and new.purpose = 'chat' and new.provider_status = 'ok' then
    update llm_private.requests x set state = 'done', reason = 'ok', finished_at = new.ended_at
     where x.tenant_id = new.tenant_id and x.id = new.request_pk and x.state in ('queued', 'running')
    returning x.* into q;
  end if;
  if q.id is null then
    select * into q from llm_private.requests x where x.tenant_id = new.tenant_id and x.id = new.request_pk for update;
  end if;
  if new.state = 'settled' and p.id is not null then
    perform llm_private.record_breaker_outcome(p.provider, p.model, new.provider_status, new.tenant_id, old.reserved_at, v_now);
  elsif new.state = 'released' and p.id is not null then
    -- Nothing was sent: a probe released is given back (kept, one tenant releasing its probes held every tenant out).
    perform llm_private.breaker_probe_back(p.provider, p.model, old.reserved_at, v_now);
  end if;
  if q.budget_scope is not null then
    -- Only the scope the attempt was reserved in (llm_private.reserved_in_scope); without one, the scope was forgotten,
    -- its usage is gone, and usage_apply refuses (P0004) rather than count the money on another scope of its name.
    select b.started_at into v_scope_started from llm_private.budget_scopes b
     where b.tenant_id = q.tenant_id and b.scope_key = q.budget_scope and llm_private.reserved_in_scope(old.reserved_at, b.started_at);
  end if;
  perform llm_private.usage_apply(old, new, q.budget_scope, v_scope_started);
  return new;
end
$$;
comment on function llm_private.tg_attempts__transition() is
  'BEFORE UPDATE on attempts: allows only legal transitions, keeps the decision and hold immutable, derives cost, charge, flags and distillation eligibility from the facts, makes the request done when a chat call settles ok (in the statement that locks the request row), records the breaker outcome and moves usage (held -> spent) on the attempt''s footprint.';
create or replace trigger _100_transition before update on llm_private.attempts
  for each row execute function llm_private.tg_attempts__transition();

create or replace function llm_private.tg_attempts__after_transition() returns trigger
  language plpgsql
  set search_path = pg_catalog
as $$
begin
  if old.state = 'held' and new.fills_cache then
    perform llm_private.end_cache_fill(new.tenant_id, new.request_pk, new.attempt_no);
  end if;
  return null;
end
$$;
comment on function llm_private.tg_attempts__after_transition() is
  'AFTER UPDATE on attempts, fired only for a hold that filled the cache: ends its fill (waking waiters) once the row is written. (A chat call that settled ok makes its request done in the BEFORE trigger, llm_private.tg_attempts__transition.)';
create or replace trigger _200_after_transition after update on llm_private.attempts
  for each row when (old.state = 'held' and new.fills_cache)
  execute function llm_private.tg_attempts__after_transition();

create or replace trigger _100_no_delete before delete on llm_private.attempts
  for each row execute function llm_private.tg_ledger__no_delete();
create or replace trigger _100_no_truncate before truncate on llm_private.attempts
  for each statement execute function llm_private.tg_ledger__no_delete();

/* Outputs and traces belong to a settled call of the same tenant and user, once. */
create or replace function llm_private.tg_call_outputs__derive() returns trigger
  language plpgsql
  set search_path = pg_catalog
as $$
declare
  a llm_private.attempts;
  st llm_private.settings;
begin
  select * into a from llm_private.attempts x
   where x.tenant_id = new.tenant_id and x.request_pk = new.request_pk and x.attempt_no = new.attempt_no;
  if a.user_id is distinct from new.user_id or a.purpose <> 'chat'
     or not (a.state = 'cached' or (a.state = 'settled' and a.provider_status = 'ok')) then
    raise exception using errcode = 'LG007', message = format('a %s belongs to a settled call of the same tenant and user',
        case tg_table_name when 'call_outputs' then 'final output' else 'reasoning trace' end),
      detail = format('attempt %s/%s is %s', new.request_pk, new.attempt_no, coalesce(a.state::text, 'missing'));
  end if;
  if tg_table_name = 'reasoning_traces' and a.state = 'cached' then
    raise exception using errcode = 'LG007', message = 'a cache hit has no reasoning trace';
  end if;
  select * into st from llm_private.settings;
  new.created_at := llm_private.now();
  new.expires_at := new.created_at + make_interval(secs => case tg_table_name when 'call_outputs' then st.output_retention_ms
                                                                else st.trace_retention_ms end / 1000.0);
  return new;
end
$$;
comment on function llm_private.tg_call_outputs__derive() is
  'Outputs and reasoning traces: only for a settled (ok) or cache-served chat attempt of the same tenant and user; created_at and expires_at (retention) derived.';
create or replace trigger _100_derive before insert on llm_private.call_outputs
  for each row execute function llm_private.tg_call_outputs__derive();
create or replace trigger _100_derive before insert on llm_private.reasoning_traces
  for each row execute function llm_private.tg_call_outputs__derive();

create or replace function llm_private.require_status(p_status text) returns llm_private.provider_status
  language plpgsql immutable
  set search_path = pg_catalog
as $$
begin
  if p_status is null or p_status not in ('ok', 'error', 'timeout', 'rate_limited', 'malformed', 'network', 'client_error', 'aborted') then
    raise exception using errcode = '22023', message = 'unknown provider status',
      detail = format('p_status = %s', coalesce(p_status, 'NULL')),
      hint = 'One of ok, error, timeout, rate_limited, malformed, network, client_error, aborted.';
  end if;
  return p_status::llm_private.provider_status;
end
$$;
comment on function llm_private.require_status(text) is 'Casts a provider status, raising 22023 with the allowed values otherwise.';

create or replace function llm_private.require_failure_reason(p_reason text) returns llm_private.reason
  language plpgsql immutable
  set search_path = pg_catalog
as $$
begin
  if p_reason is not null and p_reason not in ('provider_client_error', 'attempts_exhausted', 'provider_not_configured', 'invalid_output',
       'worker_error', 'job_lost') then
    raise exception using errcode = '22023', message = 'unknown failure reason', detail = format('reason = %s', p_reason),
      hint = 'One of provider_client_error, attempts_exhausted, provider_not_configured, invalid_output, worker_error, job_lost.';
  end if;
  return p_reason::llm_private.reason;
end
$$;
comment on function llm_private.require_failure_reason(text) is 'Casts a request failure reason (NULL passes), raising 22023 otherwise.';

create or replace function llm_private.finish_failed(p_tenant_id uuid, p_request_pk bigint, p_reason llm_private.reason) returns void
  language plpgsql
  set search_path = pg_catalog
as $$
begin
  update llm_private.requests q set state = 'failed', reason = p_reason, finished_at = llm_private.now()
   where q.tenant_id = p_tenant_id and q.id = p_request_pk and q.state in ('queued', 'running');
end
$$;
comment on function llm_private.finish_failed(uuid, bigint, llm_private.reason) is 'Ends a request that is still open as failed, with its reason.';

/*
 * A settle or release names the reservation it ends by the expires_at reserve returned (p_reserved_expiry). An attempt of the
 * same request pk and number that is not that reservation is another request's: the database went back to an earlier state
 * (a restore, a point-in-time recovery, a failover that lost commits) and issued the lost request's ids again, and a worker
 * that kept running settled its lost call onto the new request: its tokens, cost and answer (backup drill 89). Refused,
 * nothing recorded: the call's usage is in that worker's log (event stale_reservation).
 */
create or replace function llm_private.stale_reservation(a llm_private.attempts, p_reserved_expiry timestamptz) returns void
  language plpgsql
  set search_path = pg_catalog
as $$
begin
  raise exception using errcode = 'LG008', message = 'not the reservation this attempt is',
    detail = format('attempt %s/%s was reserved to expire at %s; the caller''s reservation expires at %s', a.request_pk, a.attempt_no,
      a.expires_at, p_reserved_expiry),
    hint = 'The database lost the caller''s reservation (a restore, a point-in-time recovery or a failover that lost commits) and issued its ids again: nothing is recorded. The call''s usage is in the worker''s log (event stale_reservation).';
end
$$;
comment on function llm_private.stale_reservation(llm_private.attempts, timestamptz) is
  'Raises LG008: a settle or release names a reservation (its expires_at) that the attempt of that pk and number is not.';

create or replace function llm.settle_call(p_request_pk bigint, p_attempt_no integer, p_status text,
  p_input_tokens integer, p_cached_input_tokens integer, p_output_tokens integer, p_latency_ms integer,
  p_output text default null, p_reasoning text default null, p_output_valid boolean default null, p_pii_flagged boolean default null,
  p_final_failure text default null, p_embedding real[] default null, p_answered_model text default null,
  p_answered_same boolean default false, p_reserved_expiry timestamptz default null)
  returns table (state text, cost_micros bigint, held_micros bigint, released_micros bigint, overrun_micros bigint,
    usage_unknown boolean, late boolean, replayed boolean, request_state text)
  language plpgsql
  set search_path = pg_catalog
  set plan_cache_mode = force_generic_plan
as $$
#variable_conflict use_column
declare
  v_status llm_private.provider_status := llm_private.require_status(p_status);
  v_failure llm_private.reason := llm_private.require_failure_reason(p_final_failure);
  q llm_private.requests;
  a llm_private.attempts;
  v_prev llm_private.attempt_state;
  -- Texts above what call_outputs and reasoning_traces hold (1 MiB) are not stored: the money is settled all the same
  -- (a failed insert lost the settle, and with it usage above the hold), and such an output is not valid.
  v_output text := case when octet_length(p_output) <= 1048576 then p_output end;
  v_reasoning text := case when octet_length(p_reasoning) <= 1048576 then p_reasoning end;
  -- Another model's name as the answer gave it (the settle trigger stores ? for what is no model name).
  v_answered text := p_answered_model;
begin
  if llm_private.current_tenant_id() is null or llm_private.current_user_id() is null then perform llm_private.require_money_context(); end if;
  if p_input_tokens not between 0 and 10000000 then perform llm_private.require_range('p_input_tokens', p_input_tokens, 0, 10000000); end if;
  if p_cached_input_tokens not between 0 and 10000000 then perform llm_private.require_range('p_cached_input_tokens', p_cached_input_tokens, 0, 10000000); end if;
  if p_output_tokens not between 0 and 10000000 then perform llm_private.require_range('p_output_tokens', p_output_tokens, 0, 10000000); end if;
  if p_latency_ms is null or p_latency_ms not between 0 and 86400000 then perform llm_private.require_range('p_latency_ms', p_latency_ms, 0, 86400000); end if;
  if p_embedding is not null then
    perform llm_private.require_embedding(p_embedding);
  end if;
  select * into q from llm_private.requests x
   where x.tenant_id = llm_private.current_tenant_id() and x.user_id = llm_private.current_user_id() and x.id = p_request_pk
   for update;
  select * into a from llm_private.attempts x where x.tenant_id = q.tenant_id and x.request_pk = q.id and x.attempt_no = p_attempt_no;
  if q.id is null or a.attempt_no is null then
    raise exception using errcode = 'P0002', message = 'attempt not found',
      detail = format('attempt %s/%s is not visible in this tenant and user context', p_request_pk, p_attempt_no);
  end if;
  if p_reserved_expiry is not null and a.expires_at - p_reserved_expiry not between interval '-1 millisecond' and interval '1 millisecond' then
    perform llm_private.stale_reservation(a, p_reserved_expiry);
  end if;
  if a.state in ('settled', 'refused', 'cached') then
    return query select a.state::text, coalesce(a.charged_micros, 0), a.held_micros, 0::bigint,
      greatest(coalesce(a.charged_micros, 0) - a.held_micros, 0), a.usage_unknown, a.late, true, q.state::text;
    return;
  end if;
  if v_answered is not null and p_answered_same then
    -- The worker's configuration takes this name for the model asked for (a dated snapshot, a deployment's alias): noted
    -- only when one of its names is priced apart here (gpt-4o-2024-05-13 costs more than gpt-4o; review of the fixes).
    select case when exists (select 1 from unnest(llm_private.answered_model_names(v_answered)) n(model)
                              where n.model <> pr.model and (llm_private.price_in_effect(pr.provider, n.model, a.reserved_at)).id is not null)
                then v_answered end
      into v_answered
      from llm_private.model_prices pr where pr.id = a.price_id;
  end if;
  v_prev := a.state;
  update llm_private.attempts x
     set state = 'settled', input_tokens = p_input_tokens, cached_input_tokens = p_cached_input_tokens, output_tokens = p_output_tokens,
         latency_ms = p_latency_ms, provider_status = v_status,
         output_valid = case when p_output is null then null when v_output is null then false else p_output_valid end,
         pii_flagged = p_pii_flagged, answered_model = v_answered
   where x.tenant_id = a.tenant_id and x.request_pk = a.request_pk and x.attempt_no = a.attempt_no
  returning x.* into a;
  -- The final output and the reasoning go to their own tables, with their own retention.
  if v_output is not null and v_status = 'ok' and a.purpose = 'chat' then
    insert into llm_private.call_outputs (tenant_id, request_pk, attempt_no, user_id, output, created_at, expires_at)
    values (a.tenant_id, a.request_pk, a.attempt_no, a.user_id, v_output, llm_private.now(), llm_private.now());
    if v_reasoning is not null then
      insert into llm_private.reasoning_traces (tenant_id, request_pk, attempt_no, user_id, trace, created_at, expires_at)
      values (a.tenant_id, a.request_pk, a.attempt_no, a.user_id, v_reasoning, llm_private.now(), llm_private.now());
    end if;
    -- A shared cache (the tenant's: owner nil) takes only an answer known to be free of personal data: a flagged one was
    -- served to a colleague by a semantic hit (tenth review). A user's own cache serves the user's own answers.
    if a.decision = 'allow' and a.output_valid and not a.usage_unknown
       and (a.answered_model is null or exists (select 1 from llm_private.model_prices pr
                                                 where pr.id = a.price_id and llm_private.is_asked_model(pr.model, a.answered_model)))
       and (a.pii_flagged is false or llm_private.cache_owner(a.tenant_id, a.user_id, q.endpoint) <> llm_private.nil_uuid())
       and (select x.cache_key from llm_private.request_inputs x where x.tenant_id = a.tenant_id and x.request_pk = a.request_pk) is not null
       and (select x.model_ref from llm_private.request_inputs x where x.tenant_id = a.tenant_id and x.request_pk = a.request_pk)
           = (select pr.provider || ':' || pr.model from llm_private.model_prices pr where pr.id = a.price_id) then
      insert into llm_private.cache_entries (tenant_id, owner_user_id, cache_key, endpoint, provider, model, system_hash, response_format,
        source_watermark, output, source_request_pk, source_attempt_no, source_cost_micros, embedding, created_at, expires_at)
      values (a.tenant_id, null, null, null, null, null, null, null, null, v_output, a.request_pk, a.attempt_no, null, p_embedding, null, null)
      on conflict (tenant_id, owner_user_id, cache_key) do update
        set output = excluded.output, source_request_pk = excluded.source_request_pk, source_attempt_no = excluded.source_attempt_no,
            embedding = excluded.embedding;
    end if;
  end if;
  if v_failure is not null then
    perform llm_private.finish_failed(q.tenant_id, q.id, v_failure);
  end if;
  -- The commit need not wait for its WAL flush when a lost settle cannot under-count: the attempt then stays held (its
  -- reserve committed durably) or expired, and the expiry charges the hold in full, which is at least this settle's charge
  -- in every unit. An overrun (a charge above the hold) and a settle after a release (which charged nothing) wait for their
  -- flush. settings.settle_commit = 'durable' makes every one wait. What the expiry charges is the hold without its least
  -- charge (held_amount with holds_least_charge false: the worst case, the estimate, the max output), so a charge of 1 input
  -- token on an estimate of 0 waits for its flush, though the hold was 1 (an expiry would charge 0 of them).
  if v_prev in ('held', 'expired') and (select s.settle_commit = 'deferred' from llm_private.settings s)
     and not exists (select 1 from unnest(enum_range(null::llm_private.limit_unit)) u
                      where llm_private.charged_amount(u, a)
                            > llm_private.held_amount(u, a.held_micros, a.input_tokens_estimate, a.max_output_tokens, a.purpose, false)) then
    perform set_config('synchronous_commit', 'off', true);
  end if;
  return query select 'settled'::text, a.charged_micros, a.held_micros,
    case when v_prev = 'held' then greatest(a.held_micros - a.charged_micros, 0) else 0::bigint end,
    greatest(a.charged_micros - a.held_micros, 0), a.usage_unknown, a.late, false,
    (select case when x.state = 'queued' then 'running' else x.state::text end from llm_private.requests x
      where x.tenant_id = q.tenant_id and x.id = q.id);
end
$$;
comment on function llm.settle_call(bigint, integer, text, integer, integer, integer, integer, text, text, boolean, boolean, text, real[], text, boolean, timestamptz) is
  'After a provider call (the worker, as llm_money): records the outcome of attempt p_attempt_no. Cost = tokens at the price pinned at reserve (input excludes cached input); NULL tokens mean the usage is unknown and the full hold is charged (flagged usage_unknown); p_answered_model: the model the provider said answered, when its name is not the one asked for (p_answered_same: the worker''s configuration takes it for the model asked for, a dated snapshot or an alias; it is then kept only when one of its names is priced apart): its tokens are charged at the dearest price in effect at reserve among the asked model and the answering model''s names for the same provider; when the answering model has no price, the cost is unknown (usage_unknown): the full hold, or the tokens at the asked price when that is more; another model''s answer fills no cache and is not eligible for distillation (a snapshot of the asked model priced apart is judged as the asked model''s); a 429, 500 or 503 the provider answered itself is settled with zeros (a gateway''s 502 or 504, its timeout of the upstream call (408, 520, 524, 598, 599), and any 5xx of a provider configured as a gateway leave the outcome unknown: NULL tokens; the worker decides, src/provider/errors.ts kindForStatus). Stores the final output and the reasoning trace apart, fills the cache with a complete valid answer of the requested model (p_embedding: its question''s embedding, for the semantic cache), records the breaker outcome, decides distillation eligibility. p_final_failure (provider_client_error, attempts_exhausted, ...): no retry will follow, the request ends failed. Idempotent: settling again returns the first result with replayed = true. p_reserved_expiry: the expires_at reserve returned; an attempt that is not that reservation is refused (LG008: the database lost it to a restore or failover and issued its ids again), nothing recorded. Its transaction commits without waiting for the WAL flush (synchronous_commit = off) when the charge is within the hold in every unit (the hold as an expiry charges it: without the least charge held on the meters, llm_private.held_amount) and settings.settle_commit is deferred: a crash that loses it leaves the hold, which the expiry charges in full.';

create or replace function llm.release_call(p_request_pk bigint, p_attempt_no integer, p_reason text, p_final_failure text default null,
  p_reserved_expiry timestamptz default null)
  returns table (state text, released_micros bigint, request_state text)
  language plpgsql
  set search_path = pg_catalog
  set plan_cache_mode = force_generic_plan
as $$
#variable_conflict use_column
declare
  v_failure llm_private.reason := llm_private.require_failure_reason(p_final_failure);
  q llm_private.requests;
  a llm_private.attempts;
begin
  if llm_private.current_tenant_id() is null or llm_private.current_user_id() is null then perform llm_private.require_money_context(); end if;
  if p_reason is null or length(p_reason) not between 1 and 200 then
    raise exception using errcode = '22023', message = 'a release needs a reason of 1 to 200 characters';
  end if;
  select * into q from llm_private.requests x
   where x.tenant_id = llm_private.current_tenant_id() and x.user_id = llm_private.current_user_id() and x.id = p_request_pk
   for update;
  select * into a from llm_private.attempts x where x.tenant_id = q.tenant_id and x.request_pk = q.id and x.attempt_no = p_attempt_no;
  if q.id is null or a.attempt_no is null then
    raise exception using errcode = 'P0002', message = 'attempt not found',
      detail = format('attempt %s/%s is not visible in this tenant and user context', p_request_pk, p_attempt_no);
  end if;
  if p_reserved_expiry is not null and a.expires_at - p_reserved_expiry not between interval '-1 millisecond' and interval '1 millisecond' then
    perform llm_private.stale_reservation(a, p_reserved_expiry);
  end if;
  if a.state = 'held' then
    update llm_private.attempts x set state = 'released'
     where x.tenant_id = a.tenant_id and x.request_pk = a.request_pk and x.attempt_no = a.attempt_no;
  end if;
  if v_failure is not null then
    perform llm_private.finish_failed(q.tenant_id, q.id, v_failure);
  end if;
  return query select x.state::text, case when a.state = 'held' then a.held_micros else 0::bigint end,
    (select case when r.state = 'queued' then 'running' else r.state::text end from llm_private.requests r
      where r.tenant_id = q.tenant_id and r.id = q.id)
    from llm_private.attempts x where x.tenant_id = a.tenant_id and x.request_pk = a.request_pk and x.attempt_no = a.attempt_no;
end
$$;
comment on function llm.release_call(bigint, integer, text, text, timestamptz) is
  'The worker sent no provider request for a held attempt (e.g. the provider is not configured here): gives the hold back, nothing charged. A later settle of the same attempt still charges it (late). p_final_failure ends the request failed. p_reserved_expiry: as for llm.settle_call (LG008).';

create or replace function llm.fail_request(p_request_pk bigint, p_reason text) returns text
  language plpgsql
  set search_path = pg_catalog
  set plan_cache_mode = force_generic_plan
as $$
declare
  v_failure llm_private.reason := llm_private.require_failure_reason(p_reason);
  q llm_private.requests;
begin
  if llm_private.current_tenant_id() is null or llm_private.current_user_id() is null then perform llm_private.require_money_context(); end if;
  if v_failure is null then
    raise exception using errcode = '22023', message = 'a failure needs a reason';
  end if;
  select * into q from llm_private.requests x
   where x.tenant_id = llm_private.current_tenant_id() and x.user_id = llm_private.current_user_id() and x.id = p_request_pk
   for update;
  if q.id is null then
    raise exception using errcode = 'P0002', message = 'request not found',
      detail = format('request %s is not visible in this tenant and user context', p_request_pk);
  end if;
  perform llm_private.finish_failed(q.tenant_id, q.id, v_failure);
  return (select x.state::text from llm_private.requests x where x.tenant_id = q.tenant_id and x.id = q.id);
end
$$;
comment on function llm.fail_request(bigint, text) is
  'The worker gives up on a request that has no live attempt (for example its job''s last attempt failed before reserving): the request ends failed with the reason. Returns its final state (unchanged if it was already final).';

grant execute on function llm_private.require_status(text), llm_private.require_failure_reason(text),
  llm_private.finish_failed(uuid, bigint, llm_private.reason) to llm_money, llm_operator;
grant execute on function llm_private.stale_reservation(llm_private.attempts, timestamptz) to llm_money;
-- The settle trigger prices another model's answer as the role that settles: the worker.
grant execute on function llm_private.answered_model_names(text), llm_private.is_asked_model(text, text),
  llm_private.answered_cost_micros(text, text, timestamptz, integer, integer, integer) to llm_money;
grant execute on function llm.settle_call(bigint, integer, text, integer, integer, integer, integer, text, text, boolean, boolean, text, real[], text, boolean, timestamptz),
  llm.release_call(bigint, integer, text, text, timestamptz), llm.fail_request(bigint, text) to llm_money;
