/*
 * The circuit breaker per provider+model, shared by every worker through Postgres.
 *   closed    --(threshold consecutive failures, of two tenants or more)-->  open (until now + cooldown)
 *   open      --(cooldown over: the first reserve claims the probe)-->  half_open
 *   half_open --(the probe succeeds)--> closed;  --(the probe fails)--> open again, unless the same tenant failed the previous
 *             probe too (then closed: its failure begins a new streak); other calls' outcomes decide nothing here
 * A probe that never reports (its worker died) is replaced after another cooldown.
 * Failures are provider-side outcomes (error, timeout, rate_limited, malformed, network), recorded
 * at settle; client errors (4xx) say nothing about the provider's health.
 * The row is written only when something changes (a failure, a state change, a probe): a
 * success on a closed breaker writes nothing, so healthy traffic of all tenants shares no hot row.
 * Every change of state is recorded in llm_private.breaker_transitions (llm.breaker_transitions) by the row's trigger.
 * Lock order: after the request and attempt rows, before usage rows. The probe claim takes the
 * row with SKIP LOCKED (a busy row means a probe is being claimed: not admitted), so reserve never waits here.
 */
create or replace function llm_private.breaker_admission(p_provider text, p_model text, p_at timestamptz) returns text
  language plpgsql
  set search_path = pg_catalog
as $$
declare
  b llm_private.provider_breakers;
  cooldown interval;
begin
  select * into b from llm_private.provider_breakers x where x.provider = p_provider and x.model = p_model;
  if not found or b.state = 'closed' then
    return 'closed';
  end if;
  if b.state = 'open' and b.open_until > p_at then
    return 'refused';
  end if;
  cooldown := make_interval(secs => (select s.breaker_cooldown_ms from llm_private.settings s) / 1000.0);
  if b.state = 'half_open' and b.probe_started_at > p_at - cooldown then
    return 'refused';                                     -- a probe is in flight
  end if;
  perform 1 from llm_private.provider_breakers x where x.provider = p_provider and x.model = p_model
     and ((x.state = 'open' and x.open_until <= p_at) or (x.state = 'half_open' and x.probe_started_at <= p_at - cooldown))
     for update skip locked;
  if not found then
    return 'refused';
  end if;
  update llm_private.provider_breakers x set state = 'half_open', probe_started_at = p_at, updated_at = p_at
   where x.provider = p_provider and x.model = p_model;
  return 'probe';
end
$$;
comment on function llm_private.breaker_admission(text, text, timestamptz) is
  'Whether calls to this provider+model may go ahead: closed (yes), probe (yes: this caller claimed the single half-open probe, which it must give back with breaker_unclaim if it does not call), refused.';

/*
 * A probe given back: the breaker is open again with its cooldown over, so the next caller probes at once. For a reserve
 * that claimed a probe and called nothing on that model (breaker_unclaim), and for a probe's call that ended without the
 * provider's word (released: nothing sent; a client error; aborted by our stopping worker).
 */
create or replace function llm_private.breaker_probe_back(p_provider text, p_model text, p_reserved_at timestamptz, p_at timestamptz)
  returns void
  language plpgsql
  set search_path = pg_catalog
as $$
begin
  update llm_private.provider_breakers x set state = 'open', open_until = p_at, probe_started_at = null, updated_at = p_at
   where x.provider = p_provider and x.model = p_model and x.state = 'half_open' and x.probe_started_at = p_reserved_at;
end
$$;
comment on function llm_private.breaker_probe_back(text, text, timestamptz, timestamptz) is
  'Gives back the half-open probe of the call reserved at p_reserved_at when it ended without an outcome of the provider''s (released, client_error, aborted): the breaker is open with its cooldown over, so the next caller probes.';

/*
 * A reserve that claimed a probe and then made no call on that model (a limit refused it, or it went on to
 * a fallback) gives the probe back: the breaker is open again with its cooldown over, so the next caller
 * may probe. Otherwise every tenant waited another cooldown for a probe nobody sent, and an over-budget
 * user retrying could hold the probe indefinitely (review of 2026-11-26).
 */
create or replace function llm_private.breaker_unclaim(p_claims text[], p_keep text, p_at timestamptz) returns void
  language plpgsql
  set search_path = pg_catalog
as $$
declare
  c text;
begin
  foreach c in array p_claims loop
    continue when c = p_keep;
    perform llm_private.breaker_probe_back(split_part(c, ':', 1), substr(c, length(split_part(c, ':', 1)) + 2), p_at, p_at);
  end loop;
end
$$;
comment on function llm_private.breaker_unclaim(text[], text, timestamptz) is
  'Gives back the half-open probes a reserve claimed (provider:model, at p_at) except the one it calls (p_keep; NULL: all).';

create or replace function llm_private.record_breaker_outcome(p_provider text, p_model text, p_status llm_private.provider_status,
  p_tenant_id uuid, p_reserved_at timestamptz, p_at timestamptz) returns void
  language plpgsql
  set search_path = pg_catalog
as $$
declare
  st llm_private.settings;
  b llm_private.provider_breakers;
  v_many boolean;
  v_opens boolean;
  v_probe boolean;
begin
  -- Neither says anything about the provider's health: our request was wrong, or our worker aborted it (stopping). If it
  -- was the probe, the probe is given back (the next caller probes at once): kept, one tenant's bad requests held every
  -- tenant out for another cooldown, each time (third review of the fixes).
  if p_status in ('client_error', 'aborted') then
    perform llm_private.breaker_probe_back(p_provider, p_model, p_reserved_at, p_at);
    return;
  end if;
  -- A success clears a closed breaker's streak, or, from the probe, closes the breaker; a call sent before it opened that
  -- succeeds meanwhile decides nothing (only the probe does: it had ended every cooldown early).
  if p_status = 'ok' then
    update llm_private.provider_breakers x
       set state = 'closed', consecutive_failures = 0, probe_started_at = null, open_until = null, last_success_at = p_at, updated_at = p_at,
           streak_tenant_id = null, streak_tenants_many = false
     where x.provider = p_provider and x.model = p_model
       and ((x.state = 'closed' and x.consecutive_failures <> 0) or (x.state = 'half_open' and x.probe_started_at = p_reserved_at));
    return;
  end if;
  select * into st from llm_private.settings;
  insert into llm_private.provider_breakers (provider, model) values (p_provider, p_model) on conflict do nothing;
  select * into b from llm_private.provider_breakers x where x.provider = p_provider and x.model = p_model for update;
  -- A tenant decides how long its own calls take (max_output_tokens against the call timeout) and what it sends, so its
  -- failures alone must not stop every tenant's calls to the model (review of the provider boundary):
  --   closed:    a streak opens the breaker at the threshold only when a second tenant failed in it;
  --   open:      a failure (a call sent before it opened) is counted and moves nothing; only the probe decides;
  --   half_open: only the probe's own outcome decides (the attempt reserved when the probe was claimed: a call sent before
  --              the breaker opened had closed it); a failed probe reopens it, unless the same tenant failed the previous
  --              probe too: then it closes, and that failure begins a new streak (one tenant's slow probes had kept it
  --              open for as long as it liked; review of the fixes). streak_tenant_id holds, while open, the tenant of the
  --              last failed probe (NULL: opened by a streak).
  v_probe := b.state = 'half_open' and b.probe_started_at = p_reserved_at;
  if b.state = 'open' or (b.state = 'half_open' and not v_probe) then
    update llm_private.provider_breakers x set consecutive_failures = least(b.consecutive_failures + 1, 1000000), last_failure_at = p_at,
           updated_at = p_at
     where x.provider = p_provider and x.model = p_model;
    return;
  end if;
  if v_probe then
    v_opens := st.breaker_single_tenant_opens or b.streak_tenant_id is null or b.streak_tenant_id <> p_tenant_id;
    update llm_private.provider_breakers x
       set consecutive_failures = case when v_opens then least(b.consecutive_failures + 1, 1000000) else 1 end,
           streak_tenant_id = p_tenant_id, streak_tenants_many = false,
           last_failure_at = p_at, updated_at = p_at, probe_started_at = null,
           state = case when v_opens then 'open' else 'closed' end,
           open_until = case when v_opens then p_at + make_interval(secs => st.breaker_cooldown_ms / 1000.0) end,
           opened_count = b.opened_count + case when v_opens then 1 else 0 end
     where x.provider = p_provider and x.model = p_model;
    return;
  end if;
  v_many := b.consecutive_failures > 0 and (b.streak_tenants_many or b.streak_tenant_id is distinct from p_tenant_id);
  v_opens := b.consecutive_failures + 1 >= st.breaker_failure_threshold and (v_many or st.breaker_single_tenant_opens);
  update llm_private.provider_breakers x
     set consecutive_failures = least(b.consecutive_failures + 1, 1000000),
         streak_tenant_id = case when v_opens then null when b.consecutive_failures = 0 then p_tenant_id else b.streak_tenant_id end,
         streak_tenants_many = v_many and not v_opens,
         last_failure_at = p_at,
         updated_at = p_at,
         state = case when v_opens then 'open' else 'closed' end,
         open_until = case when v_opens then p_at + make_interval(secs => st.breaker_cooldown_ms / 1000.0) end,
         opened_count = b.opened_count + case when v_opens then 1 else 0 end
   where x.provider = p_provider and x.model = p_model;
end
$$;
comment on function llm_private.record_breaker_outcome(text, text, llm_private.provider_status, uuid, timestamptz, timestamptz) is
  'Records one provider outcome of a tenant''s call (reserved at p_reserved_at). While closed: ok clears the streak (writing only when there is one); a provider-side failure counts, and opens the breaker at the threshold when the streak holds failures of two tenants or more (or of one, where settings.breaker_single_tenant_opens). While open: a failure is counted and nothing moves. In half_open only the probe''s own outcome decides: ok closes it; a failure reopens it, unless the same tenant failed the previous probe too (then it closes, a new streak). client_error and aborted say nothing about the provider: a probe ending so is given back.';

/* The money role writes the breaker only through the ledger's triggers; the operator by hand. */
create or replace function llm_private.tg_provider_breakers__guard() returns trigger
  language plpgsql
  set search_path = pg_catalog
as $$
begin
  if current_user = 'llm_money' and pg_trigger_depth() < 2 then
    raise exception using errcode = 'LG005', message = 'the breaker records outcomes of settled calls only',
      hint = 'Breaker state is shared by every tenant: it moves with llm.settle_call and llm.reserve_call, or an operator''s llm.reset_breaker.';
  end if;
  return new;
end
$$;
comment on function llm_private.tg_provider_breakers__guard() is 'The shared breaker: the money role may write it only from the ledger''s triggers (a settle''s outcome, a reserve''s probe).';
create or replace trigger _100_guard before insert or update on llm_private.provider_breakers
  for each row execute function llm_private.tg_provider_breakers__guard();

/*
 * The history a DBA reads (llm.breaker_transitions): one row per change of a breaker's state, written by this AFTER trigger
 * in the transaction that changes it, whoever changes it (a reserve claiming the probe, a settle's outcome, an operator
 * by hand). Fired only when the state changes (the trigger's WHEN): a healthy call writes no breaker row, so no
 * transition either (issue 11). Why it changed follows from where the change comes from: trigger depth 1 is a statement
 * of its own (llm.reset_breaker, a plain UPDATE or INSERT: by hand); deeper, one of the breaker's functions run by the
 * ledger's triggers, and the states and the cooldown say which.
 */
create or replace function llm_private.tg_provider_breakers__record_transition() returns trigger
  language plpgsql
  set search_path = pg_catalog
as $$
declare
  v_from text := case when tg_op = 'INSERT' then 'closed' else old.state end;   -- no row is a closed breaker
  v_by_hand boolean := pg_trigger_depth() < 2;
  v_cause text;
begin
  v_cause := case when v_by_hand then 'by_hand'
                  when new.state = 'half_open' then 'probe_claimed'
                  when v_from = 'closed' and new.state = 'open' then 'failures'
                  when v_from = 'half_open' and new.state = 'closed' then
                    case when new.consecutive_failures = 0 then 'probe_ok' else 'probe_failed_same_tenant' end
                  when v_from = 'half_open' and new.state = 'open' then
                    case when new.open_until > llm_private.now() then 'probe_failed' else 'probe_given_back' end
                  else 'other' end;
  insert into llm_private.breaker_transitions (provider, model, from_state, to_state, cause, consecutive_failures, open_until,
    streak_tenant_id, streak_tenants_many, call_tenant_id)
  values (new.provider, new.model, v_from, new.state, v_cause,
          new.consecutive_failures, case when new.state = 'open' then new.open_until end,
          case when tg_op = 'UPDATE' then old.streak_tenant_id end, tg_op = 'UPDATE' and old.streak_tenants_many,
          case when not v_by_hand then llm_private.current_tenant_id() end);
  -- Wakes every worker at commit (never if the transaction rolls back): it reads the transitions since the last one it
  -- logged from llm.breaker_transitions and logs each (src/worker/cache-fill-listener.ts). No payload: any login may
  -- LISTEN, and any may NOTIFY, so the worker logs only what the table holds (review 92: a forged payload was logged).
  perform pg_catalog.pg_notify('llm_breaker_transition', '');
  return null;
end
$$;
comment on function llm_private.tg_provider_breakers__record_transition() is
  'Records a breaker''s change of state in llm_private.breaker_transitions (from, to, why, the streak before it, the tenant whose call made it; by hand at trigger depth 1), and notifies channel llm_breaker_transition at commit (no payload: the workers read the table).';
create or replace trigger _200_record_transition after update on llm_private.provider_breakers
  for each row when (old.state is distinct from new.state) execute function llm_private.tg_provider_breakers__record_transition();
create or replace trigger _200_record_transition_born after insert on llm_private.provider_breakers
  for each row when (new.state <> 'closed') execute function llm_private.tg_provider_breakers__record_transition();

/*
 * The transitions are append-only and written only by the trigger above (trigger depth >= 2; no runtime role can create a
 * trigger of its own): a money role's or an operator's INSERT of its own, with a time and tenant of its choosing, had
 * forged the history a DBA proves refusals with. When and who are derived, whoever inserts. No UPDATE; a DELETE only of a
 * row older than the ledger's retention (llm.purge_expired, also from the worker's login); no TRUNCATE.
 */
create or replace function llm_private.tg_breaker_transitions__guard() returns trigger
  language plpgsql
  set search_path = pg_catalog
as $$
begin
  if tg_op = 'INSERT' then
    if pg_trigger_depth() < 2 then
      raise exception using errcode = 'LG005', message = 'a breaker transition is recorded only by the breaker''s change of state',
        hint = 'The breaker moves with llm.reserve_call and llm.settle_call, or an operator''s llm.reset_breaker; each change records itself.';
    end if;
    new.changed_at := llm_private.now();
    new.changed_by := current_user;
    return new;
  elsif tg_op = 'DELETE' and old.changed_at < llm_private.ledger_kept_from() then
    return old;
  end if;
  raise exception using errcode = 'LG006', message = 'breaker transitions are never changed, nor deleted within the ledger''s retention',
    detail = format('%s of transition %s', tg_op, old.id),
    hint = 'llm.purge_expired deletes those older than settings.ledger_retention_months.';
end
$$;
comment on function llm_private.tg_breaker_transitions__guard() is
  'Breaker transitions: inserted only by provider_breakers'' trigger (depth >= 2, else LG005), stamped with the time and the role; never updated; deleted only once older than the ledger''s retention (else LG006).';
create or replace trigger _100_guard before insert or update or delete on llm_private.breaker_transitions
  for each row execute function llm_private.tg_breaker_transitions__guard();
create or replace trigger _100_no_truncate before truncate on llm_private.breaker_transitions
  for each statement execute function llm_private.tg_ledger__no_delete();

create or replace function llm.reset_breaker(p_provider text, p_model text) returns boolean
  language plpgsql
  set search_path = pg_catalog
as $$
begin
  update llm_private.provider_breakers set state = 'closed', consecutive_failures = 0, open_until = null, probe_started_at = null,
    updated_at = llm_private.now()
   where provider = p_provider and model = p_model;
  return found;
end
$$;
comment on function llm.reset_breaker(text, text) is
  'Operator: closes a provider+model breaker by hand. False when it has no row. A breaker that was not closed records the change (llm.breaker_transitions: by_hand, changed_by).';

create or replace function llm.set_breaker_settings(p_failure_threshold integer, p_cooldown_ms integer) returns void
  language sql
  set search_path = pg_catalog
as $$
  update llm_private.settings set breaker_failure_threshold = p_failure_threshold, breaker_cooldown_ms = p_cooldown_ms
$$;
comment on function llm.set_breaker_settings(integer, integer) is
  'Operator: consecutive failures that open a breaker, and its cooldown. One policy for every worker, so it lives in the database.';

grant execute on function llm_private.breaker_admission(text, text, timestamptz),
  llm_private.breaker_probe_back(text, text, timestamptz, timestamptz),
  llm_private.breaker_unclaim(text[], text, timestamptz),
  llm_private.record_breaker_outcome(text, text, llm_private.provider_status, uuid, timestamptz, timestamptz) to llm_money, llm_operator;
grant execute on function llm.reset_breaker(text, text), llm.set_breaker_settings(integer, integer) to llm_operator;
