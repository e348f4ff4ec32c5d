/*
 * The circuit breaker per provider+model, shared by every worker through Postgres.
 *   closed    --(threshold consecutive failures)-->  open (until now + cooldown)
 *   open      --(cooldown over: the first reserve claims the probe)-->  half_open
 *   half_open --(probe succeeds)--> closed;  --(probe fails)--> open again
 * A probe that never reports (its worker died) is replaced after another cooldown.
 * Failures are provider-side outcomes (error, timeout, rate_limited, malformed, network), recorded
 * by llm.settle_call; client errors (4xx) say nothing about the provider's health.
 * Lock order: the breaker row is taken after the request/reservation rows and before rollups.
 */
create or replace function llm_private.breaker_admits(p_provider text, p_model text) returns boolean
  language plpgsql
  set search_path = pg_catalog
as $$
declare
  b llm_private.provider_breakers;
  cooldown interval := make_interval(secs => (select s.breaker_cooldown_ms from llm_private.settings s) / 1000.0);
  claimed boolean;
begin
  select * into b from llm_private.provider_breakers x where x.provider = p_provider and x.model = p_model;
  if not found or b.state = 'closed' then
    return true;
  end if;
  if b.state = 'open' and b.open_until > llm_private.now() then
    return false;
  end if;
  -- The conditional update admits exactly one probe: a concurrent caller waits on the row lock,
  -- then no longer matches (the state is half_open with a fresh probe).
  update llm_private.provider_breakers x
     set state = 'half_open', probe_started_at = llm_private.now(), updated_at = llm_private.now()
   where x.provider = p_provider and x.model = p_model
     and ((x.state = 'open' and x.open_until <= llm_private.now())
       or (x.state = 'half_open' and x.probe_started_at <= llm_private.now() - cooldown))
  returning true into claimed;
  return coalesce(claimed, false);
end
$$;
comment on function llm_private.breaker_admits(text, text) is
  'True when calls to this provider+model may go ahead: breaker closed, or this caller claimed the single half-open probe.';

create or replace function llm_private.record_breaker_outcome(p_provider text, p_model text, p_status text) returns void
  language plpgsql
  set search_path = pg_catalog
as $$
declare
  st llm_private.settings;
begin
  if p_status = 'client_error' then
    return;
  end if;
  if p_status = 'ok' then
    -- Healthy and closed is the common case: no write, so settles do not queue on this row.
    update llm_private.provider_breakers x
       set state = 'closed', consecutive_failures = 0, probe_started_at = null, open_until = null,
           last_success_at = llm_private.now(), updated_at = llm_private.now()
     where x.provider = p_provider and x.model = p_model and (x.state <> 'closed' or x.consecutive_failures <> 0);
    return;
  end if;
  select * into st from llm_private.settings;
  insert into llm_private.provider_breakers (provider, model) values (p_provider, p_model) on conflict do nothing;
  update llm_private.provider_breakers x
     set consecutive_failures = x.consecutive_failures + 1,
         last_failure_at = llm_private.now(),
         updated_at = llm_private.now(),
         state = case when x.state = 'half_open' or x.consecutive_failures + 1 >= st.breaker_failure_threshold then 'open' else x.state end,
         open_until = case when x.state = 'half_open' or x.consecutive_failures + 1 >= st.breaker_failure_threshold
                           then llm_private.now() + make_interval(secs => st.breaker_cooldown_ms / 1000.0) else x.open_until end,
         opened_count = x.opened_count + case when x.state <> 'open'
                           and (x.state = 'half_open' or x.consecutive_failures + 1 >= st.breaker_failure_threshold) then 1 else 0 end,
         probe_started_at = null
   where x.provider = p_provider and x.model = p_model;
end
$$;
comment on function llm_private.record_breaker_outcome(text, text, text) is
  'Records one provider outcome: ok closes the breaker; a provider-side failure counts and opens it at the threshold (or at once from half_open); client_error is ignored.';

create or replace function llm.reset_breaker(p_provider text, p_model text) returns boolean
  language sql
  set search_path = pg_catalog
as $$
  update llm_private.provider_breakers set state = 'closed', consecutive_failures = 0, open_until = null, probe_started_at = null,
    updated_at = llm_private.now()
   where provider = p_provider and model = p_model
  returning true
$$;
comment on function llm.reset_breaker(text, text) is 'Operator: closes a provider+model breaker by hand. Returns NULL when it has no row.';

create or replace function llm.set_breaker_settings(p_failure_threshold integer, p_cooldown_ms integer) returns void
  language sql
  set search_path = pg_catalog
as $$
  update llm_private.settings set breaker_failure_threshold = p_failure_threshold, breaker_cooldown_ms = p_cooldown_ms
$$;
comment on function llm.set_breaker_settings(integer, integer) is
  'Operator: consecutive failures that open a breaker, and its cooldown. One policy for every worker, so it lives in the database.';

create view llm.breaker_state with (security_invoker = true) as
select b.provider || ':' || b.model as model_ref, b.provider, b.model,
       case when b.state = 'open' and b.open_until <= llm_private.now() then 'open (probe due)' else b.state end as state,
       b.consecutive_failures, b.open_until, b.probe_started_at, b.opened_count, b.last_failure_at, b.last_success_at, b.updated_at
  from llm_private.provider_breakers b;
comment on view llm.breaker_state is 'The shared circuit breaker of each provider+model.';

grant execute on function llm_private.breaker_admits(text, text), llm_private.record_breaker_outcome(text, text, text) to llm_app, llm_operator;
grant execute on function llm.reset_breaker(text, text), llm.set_breaker_settings(integer, integer) to llm_operator;
grant select on llm.breaker_state to llm_auditor, llm_operator;
