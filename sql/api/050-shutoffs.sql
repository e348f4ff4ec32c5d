/*
 * Emergency shutoff windows at global, tenant or user scope. Every window ends by time alone.
 *   manual:    an operator stops calls from now until a time (llm.trip_shutoff)
 *   scheduled: an operator stops calls between two times set in advance (llm.schedule_shutoff)
 *   tripped:   spent crossed a limit with trips_shutoff, at settle: until the limit's period ends
 * An operator may cancel a window (llm.cancel_shutoff), saying why. Reserve refuses while one is active.
 */
create or replace function llm_private.active_shutoff(p_tenant_id uuid, p_user_id uuid, p_at timestamptz) returns llm_private.shutoff_windows
  language plpgsql stable
  set search_path = pg_catalog
as $$
declare
  w llm_private.shutoff_windows;
begin
  select * into w from llm_private.shutoff_windows x
   where x.ends_at > p_at and x.starts_at <= p_at and x.cancelled_at is null
     and (x.tenant_id is null or (x.tenant_id = p_tenant_id and (x.user_id is null or x.user_id = p_user_id)))
   order by x.kind, x.ends_at desc
   limit 1;
  return w;
end
$$;
comment on function llm_private.active_shutoff(uuid, uuid, timestamptz) is 'The shutoff window (manual first) that stops a tenant''s user''s calls now, if any.';

create or replace function llm_private.trip_shutoff(p_meter_id smallint, p_limit_id integer, k_tenant uuid, k_user uuid,
  k_period timestamptz, p_used bigint, p_cap bigint) returns void
  language plpgsql
  set search_path = pg_catalog
as $$
declare
  m llm_private.meters;
  v_now timestamptz := llm_private.now();
  v_scope llm_private.limit_scope;
  v_end timestamptz;
begin
  select * into m from llm_private.meters x where x.id = p_meter_id;
  if m.scope not in ('global', 'tenant', 'user') then
    return;                                                -- a budget scope or request has no window of its own
  end if;
  v_scope := m.scope;
  -- 92 days as hours: '92 days' is added in the session's TimeZone, and across a clock change it made a window of 92 days
  -- and an hour, which the table's check refused: the settle that crossed the cap failed, and the expiry sweep with it
  -- for every tenant (fourth review of 2026-11-27, Europe/Berlin in August).
  v_end := least(llm_private.period_end(m."window", k_period), v_now + interval '2208 hours');
  if v_end <= v_now then
    return;
  end if;
  -- Once per period: the guard skips a window of a period that already has one (an operator's cancel stands), and the
  -- unique index on trip_period makes a concurrent second trip wait for the first and do nothing (twelfth review). The
  -- guard also sets the window's end and reason from what it checks; these are what the trip would say.
  -- starts_at is when it looked (in k_period): the guard reads its own clock (clock_timestamp, a little later), and when that
  -- is already the next period, with nothing spent yet, it skips the trip (it failed the settle with LG005 there: review of
  -- e5ed108, a minute meter's last instant).
  insert into llm_private.shutoff_windows (scope, tenant_id, user_id, kind, starts_at, ends_at, reason, limit_id)
  values (v_scope, case when v_scope = 'global' then null else k_tenant end, case when v_scope = 'user' then k_user end, 'tripped',
          v_now, v_end, format('%s: spent %s of %s %s', m.name, p_used, p_cap, m.unit), p_limit_id)
  on conflict do nothing;
end
$$;
comment on function llm_private.trip_shutoff(smallint, integer, uuid, uuid, timestamptz, bigint, bigint) is
  'Opens a tripped shutoff window for a limit''s subject until the end of its period (at most 92 days), once per period: a window an operator cancelled is not opened again.';

/* Windows are written only by the operator, or tripped by the ledger's triggers; they change only by being cancelled. */
/*
 * What an operator's window stops, checked when it is written (review 91): a window for a tenant that does not exist, or
 * for a user of another tenant, was accepted and stopped nobody (an incident's shutoff with a mistyped id looked done); a
 * scope that is no scope failed as a bare 22P02 and an end before the start as a constraint's name.
 */
create or replace function llm_private.require_shutoff_scope(p_scope text) returns llm_private.limit_scope
  language plpgsql immutable
  set search_path = pg_catalog
as $$
begin
  if p_scope is null or p_scope not in ('global', 'tenant', 'user') then
    raise exception using errcode = '22023', message = format('a shutoff window''s scope is global, tenant or user, not %L', p_scope),
      hint = 'global (tenant and user NULL), tenant (its id, user NULL) or user (its tenant and its id).';
  end if;
  return p_scope::llm_private.limit_scope;
end
$$;
comment on function llm_private.require_shutoff_scope(text) is 'The scope of an operator''s shutoff window, or 22023 naming the three there are.';

create or replace function llm_private.require_shutoff_subject(p_scope llm_private.limit_scope, p_tenant_id uuid, p_user_id uuid,
  p_starts_at timestamptz, p_ends_at timestamptz) returns void
  language plpgsql stable
  set search_path = pg_catalog
as $$
begin
  if (p_scope = 'global') <> (p_tenant_id is null) or (p_scope = 'user') <> (p_user_id is not null) then
    raise exception using errcode = '22023', message = format('a %s window names %s', p_scope,
        case p_scope when 'global' then 'no tenant and no user' when 'tenant' then 'its tenant and no user' else 'its tenant and its user' end),
      detail = format('tenant %s, user %s', coalesce(p_tenant_id::text, 'NULL'), coalesce(p_user_id::text, 'NULL')),
      hint = 'global: llm.trip_shutoff(''global'', NULL, NULL, ...); tenant: (''tenant'', tenant_id, NULL, ...); user: (''user'', tenant_id, user_id, ...).';
  end if;
  if p_tenant_id is not null and not exists (select 1 from llm_private.tenants t where t.id = p_tenant_id) then
    raise exception using errcode = '23503', message = 'no such tenant: the window would stop nobody',
      detail = format('tenant %s', p_tenant_id),
      hint = 'Check the id (select id, name from llm.tenants).';
  end if;
  if p_user_id is not null
     and not exists (select 1 from llm_private.users u where u.tenant_id = p_tenant_id and u.id = p_user_id)
     and exists (select 1 from llm_private.users u where u.id = p_user_id) then
    raise exception using errcode = '22023', message = 'the user belongs to another tenant: the window would stop nobody',
      detail = format('user %s is not a user of tenant %s', p_user_id, p_tenant_id),
      hint = 'Name the user''s own tenant (llm.monthly_spend lists each user with its tenant).';
  end if;
  if p_ends_at is null or p_starts_at is null or p_ends_at <= p_starts_at then
    raise exception using errcode = '22023', message = 'a shutoff window ends after it starts',
      detail = format('starts %s, ends %s', coalesce(p_starts_at::text, 'NULL'), coalesce(p_ends_at::text, 'NULL')),
      hint = 'A finite end after the start, at most 92 days later; to end a window early, llm.cancel_shutoff(window_id, reason).';
  end if;
end
$$;
comment on function llm_private.require_shutoff_subject(llm_private.limit_scope, uuid, uuid, timestamptz, timestamptz) is
  'An operator''s window (manual or scheduled) names a subject it can stop: the scope''s shape, a tenant that exists, a user of that tenant (one not seen yet is allowed: a window ahead of a first call), an end after the start; 22023 or 23503 with a hint otherwise.';

create or replace function llm_private.tg_shutoff_windows__guard() returns trigger
  language plpgsql
  set search_path = pg_catalog
as $$
declare
  m record;
  v_now timestamptz := llm_private.now();
  v_period timestamptz;
  v_spent bigint;
  v_cap bigint;
  v_applied boolean;
begin
  if tg_op = 'INSERT' then
    if new.kind = 'tripped' then
      -- Verified from the facts, whoever inserts (a settle's trigger, llm.evaluate_limits): the limit trips
      -- shutoffs, and its subject's spend in the current period (all shards) has reached the cap.
      -- The limit must be one the subject's usage was held under this period (usage.limit_id, set by every hold): a
      -- window citing another limit of the meter (a default the subject's own limit overrides, or another tenant's) had
      -- stopped a subject whose own limit never stops it (ninth review, from the worker's login as llm_operator).
      select * into m from llm_private.meters x join llm_private.limits l on l.meter_id = x.id
       where l.id = new.limit_id and l.trips_shutoff and x.scope = new.scope;
      if m.id is not null then
        v_period := llm_private.period_start(m."window", v_now);
        -- Once per period, whoever inserts: a window an operator cancelled stays cancelled (a money role re-inserting it
        -- stopped every tenant again; review of 2026-11-26). Skipped, not an error: a settle whose trip raced another's saw
        -- its window here, and failed (twelfth review); llm_private.trip_shutoff relies on this skip. Two trips that do not
        -- see each other meet the unique index on trip_period.
        if exists (select 1 from llm_private.shutoff_windows w
                    where w.kind = 'tripped' and w.limit_id = new.limit_id and w.scope = new.scope
                      and w.tenant_id is not distinct from new.tenant_id and w.user_id is not distinct from new.user_id
                      and w.starts_at >= v_period) then
          return null;
        end if;
        select sum(u.spent), max(u.cap), coalesce(bool_or(u.limit_id = new.limit_id), false) into v_spent, v_cap, v_applied
          from llm_private.usage u
         where u.tenant_id = coalesce(new.tenant_id, llm_private.nil_uuid()) and u.meter_id = m.id
           and u.user_id = coalesce(new.user_id, llm_private.nil_uuid()) and u.budget_scope = '' and u.period_start = v_period;
      end if;
      -- Below the cap now: not opened, and no error, as an alert below its threshold is skipped. The writer compared an
      -- older total or cap: a reserve raised the cap after llm.evaluate_limits' snapshot, and the whole sweep stopped on
      -- LG005 (review of 2026-11-27). A forged trip is no more opened than before; a wrong limit or subject still raises.
      -- Nothing spent reaches no cap, a cap of 0 included (its first charge trips it; review 91).
      if m.id is not null and v_spent is not null and v_applied and (v_spent <= 0 or v_spent < v_cap) then
        return null;
      end if;
      -- Nothing spent yet in this period, and the writer looked in an earlier one (its starts_at: llm_private.trip_shutoff's
      -- clock, read a little before this one): the period that crossed its cap has ended since, and there is nothing to stop.
      -- Skipped, not an error: it failed the settle that crossed a minute meter's cap in the minute's last instant (review of
      -- e5ed108; an hourly meter the same at the hour). A start written is only ever a reason not to open a window.
      if m.id is not null and v_spent is null and llm_private.period_start(m."window", new.starts_at) < v_period then
        return null;
      end if;
      if m.id is null or v_spent is null or not v_applied then
        raise exception using errcode = 'LG005', message = 'a tripped window is opened only by spend crossing a limit',
          detail = format('limit %s: spent %s of %s this period', new.limit_id, coalesce(v_spent::text, 'nothing'), coalesce(v_cap::text, '?')),
          hint = 'Operators use llm.trip_shutoff or llm.schedule_shutoff.';
      end if;
      new.starts_at := v_now;
      new.trip_period := v_period;
      -- Until the period ends (92 days at most), with the figures it tripped on, whoever inserts: taken as written, a money
      -- role's one-second window took the period's only trip, and the subject was never stopped (thirteenth review).
      new.ends_at := least(llm_private.period_end(m."window", v_period), v_now + interval '2208 hours');
      new.reason := format('%s: spent %s of %s %s', m.name, v_spent, v_cap, m.unit);
    end if;
    if new.kind <> 'tripped' then
      new.trip_period := null;
      perform llm_private.require_shutoff_subject(new.scope, new.tenant_id, new.user_id, new.starts_at, new.ends_at);
    end if;
    if new.kind = 'manual' and new.starts_at > llm_private.now() + interval '1 minute' then
      raise exception using errcode = '22023', message = 'a manual window starts now; schedule a later one',
        hint = 'Use llm.schedule_shutoff.';
    end if;
    new.created_at := llm_private.now();
    new.created_by := current_user;
    new.cancelled_at := null;
    new.cancelled_by := null;
    new.cancel_reason := null;
    return new;
  end if;
  if old.cancelled_at is not null or new.cancelled_at is null
     or (new.id, new.scope, new.tenant_id, new.user_id, new.kind, new.starts_at, new.ends_at, new.reason, new.limit_id, new.created_by, new.created_at,
         new.trip_period)
        is distinct from (old.id, old.scope, old.tenant_id, old.user_id, old.kind, old.starts_at, old.ends_at, old.reason, old.limit_id,
                          old.created_by, old.created_at, old.trip_period) then
    raise exception using errcode = 'LG002', message = 'a shutoff window changes only by being cancelled, once',
      detail = format('window %s', old.id);
  end if;
  -- The reason is the canceller's own words (the one thing a cancel writes), checked here for a plain UPDATE too; when and
  -- who are stamped, whatever the UPDATE said.
  new.cancel_reason := llm_private.require_cancel_reason(new.cancel_reason);
  new.cancelled_at := llm_private.now();
  new.cancelled_by := current_user;
  return new;
end
$$;
comment on function llm_private.tg_shutoff_windows__guard() is
  'Windows: a tripped one only when its limit trips shutoffs, was applied to its subject this period (else LG005), and the subject''s spend this period is above 0 and has reached the cap (checked from usage, whoever inserts; below it, skipped), once per period (a second is skipped; trip_period, derived here, is unique with the limit and subject; one whose writer looked in an earlier period, none spent in this one, is skipped); manual ones start now; afterwards a window can only be cancelled, once, with a reason (22023 without one; stamped with who and when).';
create or replace trigger _100_guard before insert or update on llm_private.shutoff_windows
  for each row execute function llm_private.tg_shutoff_windows__guard();

create or replace function llm.trip_shutoff(p_scope text, p_tenant_id uuid, p_user_id uuid, p_until timestamptz, p_reason text)
  returns bigint
  language plpgsql
  set search_path = pg_catalog
as $$
declare
  v_id bigint;
begin
  insert into llm_private.shutoff_windows (scope, tenant_id, user_id, kind, starts_at, ends_at, reason)
  values (llm_private.require_shutoff_scope(p_scope), p_tenant_id, p_user_id, 'manual', llm_private.now(), p_until, p_reason)
  returning id into v_id;
  return v_id;
end
$$;
comment on function llm.trip_shutoff(text, uuid, uuid, timestamptz, text) is
  'Operator: stops calls now at global (tenant and user NULL), tenant (user NULL) or user scope until p_until (finite, at most 92 days). Returns the window id.';

create or replace function llm.schedule_shutoff(p_scope text, p_tenant_id uuid, p_user_id uuid, p_starts_at timestamptz,
  p_ends_at timestamptz, p_reason text) returns bigint
  language plpgsql
  set search_path = pg_catalog
as $$
declare
  v_id bigint;
begin
  insert into llm_private.shutoff_windows (scope, tenant_id, user_id, kind, starts_at, ends_at, reason)
  values (llm_private.require_shutoff_scope(p_scope), p_tenant_id, p_user_id, 'scheduled', p_starts_at, p_ends_at, p_reason)
  returning id into v_id;
  return v_id;
end
$$;
comment on function llm.schedule_shutoff(text, uuid, uuid, timestamptz, timestamptz, text) is
  'Operator: schedules a shutoff between two times (for example a maintenance hour) at global, tenant or user scope. Returns the window id.';

/* Why a window was cancelled is the DBA's answer to "why were these calls not refused": required, like the window's reason. */
create or replace function llm_private.require_cancel_reason(p_reason text) returns text
  language plpgsql immutable
  set search_path = pg_catalog
as $$
begin
  -- Something to read: not only white space, control or invisible characters (tabs, newlines, no-break and zero-width
  -- spaces passed as not blank: review of 6de7f09). The table's CHECK says the same.
  if p_reason is null or p_reason !~ '[^[:space:][:cntrl:]\u00a0\u200b\u2060\ufeff]' or length(p_reason) > 200 then
    raise exception using errcode = '22023', message = 'a shutoff window is cancelled with a reason',
      detail = format('reason: %s', coalesce(length(p_reason) || ' characters', 'none')),
      hint = 'Say why in 1..200 characters: llm.cancel_shutoff(window_id, reason).';
  end if;
  return p_reason;
end
$$;
comment on function llm_private.require_cancel_reason(text) is
  'Returns a cancel''s reason, raising 22023 when it is missing, blank or longer than 200 characters.';

create or replace function llm.cancel_shutoff(p_window_id bigint, p_reason text) returns boolean
  language plpgsql
  set search_path = pg_catalog
as $$
begin
  perform llm_private.require_cancel_reason(p_reason);
  update llm_private.shutoff_windows w set cancelled_at = llm_private.now(), cancel_reason = p_reason
   where w.id = p_window_id and w.cancelled_at is null;
  return found;
end
$$;
comment on function llm.cancel_shutoff(bigint, text) is
  'Operator: cancels a window (active or scheduled), saying why (1..200 characters; 22023 without); shown with who and when in llm.shutoff_windows. False when it was already cancelled or does not exist.';

grant execute on function llm_private.active_shutoff(uuid, uuid, timestamptz),
  llm_private.trip_shutoff(smallint, integer, uuid, uuid, timestamptz, bigint, bigint) to llm_money, llm_operator;
grant execute on function llm.trip_shutoff(text, uuid, uuid, timestamptz, text), llm.schedule_shutoff(text, uuid, uuid, timestamptz, timestamptz, text),
  llm.cancel_shutoff(bigint, text), llm_private.require_cancel_reason(text), llm_private.require_shutoff_scope(text),
  llm_private.require_shutoff_subject(llm_private.limit_scope, uuid, uuid, timestamptz, timestamptz) to llm_operator;
