/*
 * The limit engine. A meter counts something (scope, window, unit, filters); a limit caps a
 * meter for everyone, a tenant or a user. For a call, every meter whose filters match and that
 * has a limit for the call's subject applies, with its most specific limit valid now.
 *
 * Periods are computed in UTC whatever the session's TimeZone. Usage rows are keyed
 * (tenant, meter, user, budget scope, period start, shard); the nil uuid / '' stand for "not split
 * by it". Lock order, the rule that keeps reserve, settle, release and expiry free of deadlocks:
 *   request row -> attempt row -> breaker row -> usage rows in (meter id, shard) order -> alerts, windows.
 * Escrow donors are taken with SKIP LOCKED, so no wait ever goes against that order.
 */
create or replace function llm_private.period_start(p_window llm_private.limit_window, p_at timestamptz) returns timestamptz
  language sql stable parallel safe
as $$
  select case p_window
    when 'minute' then pg_catalog.date_trunc('minute', p_at, 'UTC')
    when 'hour' then pg_catalog.date_trunc('hour', p_at, 'UTC')
    when 'day' then pg_catalog.date_trunc('day', p_at, 'UTC')
    when 'week' then pg_catalog.date_trunc('week', p_at, 'UTC')
    when 'month' then pg_catalog.date_trunc('month', p_at, 'UTC')
    when 'quarter' then pg_catalog.date_trunc('quarter', p_at, 'UTC')
    when 'none' then '-infinity'::pg_catalog.timestamptz
  end
$$;
comment on function llm_private.period_start(llm_private.limit_window, timestamptz) is
  'The start (UTC) of the clock period of a window containing an instant; -infinity for window none; NULL for request and budget_scope windows (their start is the budget scope''s).';

create or replace function llm_private.period_end(p_window llm_private.limit_window, p_start timestamptz) returns timestamptz
  language sql stable parallel safe
as $$
  select case p_window
    when 'minute' then p_start + '1 minute'::pg_catalog.interval
    when 'hour' then p_start + '1 hour'::pg_catalog.interval
    when 'day' then pg_catalog.timezone('UTC', pg_catalog.timezone('UTC', p_start) + '1 day'::pg_catalog.interval)
    when 'week' then pg_catalog.timezone('UTC', pg_catalog.timezone('UTC', p_start) + '7 days'::pg_catalog.interval)
    when 'month' then pg_catalog.timezone('UTC', pg_catalog.timezone('UTC', p_start) + '1 month'::pg_catalog.interval)
    when 'quarter' then pg_catalog.timezone('UTC', pg_catalog.timezone('UTC', p_start) + '3 months'::pg_catalog.interval)
    else 'infinity'::pg_catalog.timestamptz
  end
$$;
comment on function llm_private.period_end(llm_private.limit_window, timestamptz) is 'The end (UTC, exclusive) of the period that starts at p_start.';

/*
 * The limits that apply to one call: for every matching meter, its most specific valid limit.
 * p_model NULL matches only meters without a model filter (used before a model is chosen).
 */
create or replace function llm_private.applicable_limits(p_tenant_id uuid, p_user_id uuid, p_endpoint llm_private.endpoint,
  p_provider text, p_model text, p_has_scope boolean, p_at timestamptz)
  returns setof llm_private.applicable_limit
  language plpgsql stable
  set search_path = pg_catalog
as $$
begin
  return query
  select m.id, m.name, m.scope, m."window", m.unit, m.shards, l.id, l.cap, l.kind, l.action, l.min_output_tokens, l.trips_shutoff,
         l.alert_pcts, l.pressure_pct, l.pressure_model
    from llm_private.meters m
    cross join lateral (
      select x.* from llm_private.limits x
       where x.meter_id = m.id
         -- everyone's, the tenant's, the user's (a user's limit names its tenant: a CHECK): three exact ranges of
         -- limits_meter_idx. Written (tenant null or ours) and (user null or ours), the tenant's range was read whole:
         -- every per-user limit of the tenant's, on each of its reserves (review at scale: 1 200 of them).
         and ((x.tenant_id is null and x.user_id is null)
              or (x.tenant_id = p_tenant_id and x.user_id is null)
              or (x.tenant_id = p_tenant_id and x.user_id = p_user_id))
         and x.valid_from <= p_at and x.valid_until > p_at
       -- temporary before permanent; among temporary ones the newest, among permanent ones the latest to start (review 91)
       order by (x.user_id is not null) desc, (x.tenant_id is not null) desc, x.temporary desc,
                (case when x.temporary then '-infinity'::timestamptz else x.valid_from end) desc, x.id desc
       limit 1) l
   where (m.disabled_at is null or m.disabled_at > p_at)
     and (m.tenant_id is null or m.tenant_id = p_tenant_id)
     and (m.endpoint is null or m.endpoint = p_endpoint)
     and (m.provider is null or m.provider = p_provider)
     and (m.model is null or m.model = p_model)
     and (m.scope <> 'budget_scope' or p_has_scope)
   order by m.id;
end
$$;
comment on function llm_private.applicable_limits(uuid, uuid, llm_private.endpoint, text, text, boolean, timestamptz) is
  'Every meter that applies to a call (filters match, a limit exists for the subject) with its effective limit: a user''s over a tenant''s over everyone''s, temporary over permanent; then the newest temporary, the latest permanent to start. In meter id order.';

/*
 * The limit in effect now on one usage subject (the usage row's key: nil uuid where the meter does not split by it), with
 * llm_private.applicable_limits' precedence: a user's over a tenant's over everyone's, temporary over permanent, then the
 * newest temporary or the permanent one that started last; none while the meter is disabled. usage.cap is the cap of the subject's last hold (a reserve follows a new one);
 * the audit views and llm.evaluate_limits read this instead, so that a limit set, ended or expired since shows at once.
 * (The two must rank alike: applicable_limits is the reserve's hot path and keeps its own query.)
 */
/*
 * The limit in effect, as a set of at most one row and without a SET clause (every name schema-qualified), so that a view
 * over many subjects inlines it as a join instead of calling it once per subject: llm.limit_usage's current rows at 10^5
 * users spent most of their time in those calls (review at scale, 2026-11-27). limit_in_effect is this, as one row.
 */
create or replace function llm_private.limits_in_effect(p_meter_id smallint, k_tenant uuid, k_user uuid, p_at timestamptz)
  returns setof llm_private.limits
  language sql stable
as $$
  select x.* from llm_private.limits x join llm_private.meters m on m.id operator(pg_catalog.=) x.meter_id
   where x.meter_id operator(pg_catalog.=) p_meter_id
     -- (three exact ranges of limits_meter_idx, as in applicable_limits)
     and ((x.tenant_id is null and x.user_id is null) or (x.tenant_id operator(pg_catalog.=) k_tenant and x.user_id is null)
          or (x.tenant_id operator(pg_catalog.=) k_tenant and x.user_id operator(pg_catalog.=) k_user))
     and x.valid_from operator(pg_catalog.<=) p_at and x.valid_until operator(pg_catalog.>) p_at
     and (m.disabled_at is null or m.disabled_at operator(pg_catalog.>) p_at)
   order by (x.user_id is not null) desc, (x.tenant_id is not null) desc, x.temporary desc,
            (case when x.temporary then '-infinity'::pg_catalog.timestamptz else x.valid_from end) desc, x.id desc
   limit 1
$$;
comment on function llm_private.limits_in_effect(smallint, uuid, uuid, timestamptz) is
  'llm_private.limit_in_effect as a set of at most one row, inlined into the views that read it for many subjects (llm.limit_usage).';

create or replace function llm_private.limit_in_effect(p_meter_id smallint, k_tenant uuid, k_user uuid, p_at timestamptz)
  returns llm_private.limits
  language sql stable
  set search_path = pg_catalog
as $$
  select e.* from llm_private.limits_in_effect(p_meter_id, k_tenant, k_user, p_at) e
$$;
comment on function llm_private.limit_in_effect(smallint, uuid, uuid, timestamptz) is
  'The limit in effect at p_at on a usage subject (meter, tenant or nil, user or nil), ranked as llm_private.applicable_limits ranks (user over tenant over everyone, temporary over permanent, then the newest temporary or the permanent one that started last); NULL when none applies (the meter then does not apply to the subject).';

/*
 * A budget scope's deadline as reserve enforces it: started_at + the smallest cap of the hard elapsed_ms limits that
 * llm_private.applicable_limits gives the scope's first request (its tenant, user and endpoint): a user's limit over a
 * tenant's over everyone's, temporary over permanent, meters of another tenant left out. The view had its own ordering
 * (tenant over global, newest first), which showed a permanent limit set after a temporary one that reserve applied,
 * ignored users' limits and read meters of other tenants. Meters filtered by provider or model are left out (a scope
 * has no single model). NULL: no deadline. Here, with the limit engine, for every reader of a scope's periods: the audit
 * views (sql/api/110-audit-views.sql) and the application's llm.my_usage (sql/api/100-requests.sql).
 */
create or replace function llm_private.budget_scope_span(p_tenant_id uuid, p_user_id uuid, p_endpoint llm_private.endpoint)
  returns interval
  language sql stable
  set search_path = pg_catalog
as $$
  select make_interval(secs => min(l.cap) / 1000.0)
    from llm_private.applicable_limits(p_tenant_id, p_user_id, p_endpoint, null, null, true, llm_private.now()) l
   where l.unit = 'elapsed_ms' and l.kind = 'hard'
$$;
comment on function llm_private.budget_scope_span(uuid, uuid, llm_private.endpoint) is
  'How long a budget scope whose first request is this tenant''s, user''s and endpoint''s lasts: the smallest hard elapsed_ms limit applicable now (in seconds, never days: no TimeZone moves it); NULL without one. Depends on these three only, so that a reader of many scopes computes it once per distinct three (llm_private.limit_usage_rows).';
-- llm_app: llm.my_usage ends the periods of the scopes its user started at their deadline (the application reads those
-- scopes' rows, policy app_select on budget_scopes, and the limits of its user, tenant and everyone, policy app_select on
-- limits; run with another user's id, the span it computes leaves that user's limits out, which it cannot read).
grant execute on function llm_private.budget_scope_span(uuid, uuid, llm_private.endpoint) to llm_auditor, llm_viewer, llm_operator, llm_app;

create or replace function llm_private.budget_scope_deadline(p_tenant_id uuid, p_user_id uuid, p_endpoint llm_private.endpoint,
  p_started_at timestamptz) returns timestamptz
  language sql stable
  set search_path = pg_catalog
as $$
  select p_started_at + llm_private.budget_scope_span(p_tenant_id, p_user_id, p_endpoint)
$$;
comment on function llm_private.budget_scope_deadline(uuid, uuid, llm_private.endpoint, timestamptz) is
  'When a budget scope started at p_started_at by this tenant, user and endpoint passes its deadline: p_started_at plus llm_private.budget_scope_span (the smallest hard elapsed_ms limit applicable now); NULL without one. The views add the span themselves, so that it is computed once per tenant, user and endpoint.';
grant execute on function llm_private.budget_scope_deadline(uuid, uuid, llm_private.endpoint, timestamptz)
  to llm_auditor, llm_viewer, llm_operator;

/*
 * Where a usage row's period ends: its meter's clock period's end (infinity for a lifetime), or a budget scope's deadline
 * when that comes first (reserve refuses every call of the scope from then on: a scope's life, and a clock period of it,
 * end there for the readers too). One rule for llm.limit_usage, llm.limit_use_maxima and llm.my_usage, which computed it
 * each in its own words (llm.my_usage left it out: a day of a scope showed open hours after its deadline). SQL without
 * SET (every name schema-qualified), so that it is inlined into the views.
 */
create or replace function llm_private.usage_period_end(p_window llm_private.limit_window, p_period_start timestamptz,
  p_deadline_at timestamptz) returns timestamptz
  language sql stable parallel safe
as $$
  select least(llm_private.period_end(p_window, p_period_start), coalesce(p_deadline_at, 'infinity'::pg_catalog.timestamptz))
$$;
comment on function llm_private.usage_period_end(llm_private.limit_window, timestamptz, timestamptz) is
  'The end (UTC, exclusive) of a usage period: llm_private.period_end(p_window, p_period_start), or p_deadline_at (a budget scope''s deadline: its start + llm_private.budget_scope_span; NULL without one, and for any other subject) when that comes first. Inlined into llm.limit_usage, llm.limit_use_maxima and llm.my_usage.';
grant execute on function llm_private.usage_period_end(llm_private.limit_window, timestamptz, timestamptz)
  to llm_auditor, llm_viewer, llm_operator, llm_app;

/*
 * A limit the engine cannot apply, or would apply to a subject it does not name, is refused when it is defined (22023, with
 * what to pass instead), not accepted and ignored. Checked for llm.set_limit and for an operator's direct INSERT:
 *  - a soft limit on a per-request meter would have nothing to alert on (alerts are once per usage period, and a request
 *    has no usage row);
 *  - a limit finer than the meter's counter: a tenant's limit on a global meter, a user's on a tenant or budget-scope meter
 *    (a budget scope's deadline aside: it is read per call, not counted). The counter is one for everyone (a tenant's, a
 *    scope's), and its cap is the one of whoever reserved last: a tenant's 1 000 000 on global_hourly let that tenant hold
 *    240 000 under everyone's 100 000 (llm.limit_usage: 240 %), and a tenant's 100 000 refused it for 80 000 that other
 *    tenants had spent (review 91);
 *  - a limit that never applies: a meter of another tenant, a user enrolled in another tenant, a disabled meter;
 *  - a rule the limit's meter cannot follow: a shutoff trip on a budget-scope or per-request meter (a shutoff window stops
 *    everyone, a tenant or a user; a budget scope's hard cap already refuses, per day as over its life),
 *    an action other than block on anything but a hard micro-USD limit per request or budget scope (the only ones that
 *    shape a call);
 *  - a negative cap (23514) and an unknown tenant (23503), with a hint rather than the constraint's name.
 */
create or replace function llm_private.tg_limits__check() returns trigger
  language plpgsql
  set search_path = pg_catalog
as $$
declare
  m llm_private.meters;
begin
  -- Temporary unless said otherwise when it ends by itself (llm.set_limit says, from p_valid_until).
  new.temporary := coalesce(new.temporary, new.valid_until < 'infinity');
  select * into m from llm_private.meters x where x.id = new.meter_id;
  if m.id is null then
    return new;                                        -- the foreign key refuses it
  end if;
  if new.cap < 0 then
    raise exception using errcode = '23514', message = 'a cap is 0 or more',
      detail = format('meter %s: cap %s', m.name, new.cap),
      hint = 'A hard cap of 0 refuses every call on the meter; to lift a limit, llm.end_limit(limit_id); to return money, llm.adjust_usage with a negative amount.';
  end if;
  if new.tenant_id is not null and not exists (select 1 from llm_private.tenants t where t.id = new.tenant_id) then
    raise exception using errcode = '23503', message = 'no such tenant',
      detail = format('meter %s: tenant %s', m.name, new.tenant_id),
      hint = 'Create the tenant first (llm.upsert_tenant), or check the id; everyone''s limit has p_tenant_id NULL.';
  end if;
  if new.kind = 'soft' and m."window" = 'request' then
    raise exception using errcode = '22023', message = 'a per-request limit is hard',
      detail = format('meter %s', m.name),
      hint = 'A per-request limit blocks, caps or falls back; to be alerted on spend, set a soft limit on a clock-window or budget-scope meter.';
  end if;
  if m.scope = 'global' and new.tenant_id is not null then
    raise exception using errcode = '22023', message = format('meter %s is global: its limit is everyone''s', m.name),
      detail = format('meter %s counts every tenant''s calls on one counter; a limit naming tenant %s would set that counter''s cap for every tenant whenever this tenant reserves',
        m.name, new.tenant_id),
      hint = 'Leave p_tenant_id and p_user_id NULL. For one tenant''s own cap, use a tenant meter (tenant_hourly, tenant_monthly, or llm.define_meter(name, ''tenant'', window, unit)).';
  end if;
  if m.scope in ('tenant', 'budget_scope') and new.user_id is not null and m.unit <> 'elapsed_ms' then
    raise exception using errcode = '22023', message = format('meter %s is shared by the tenant''s users: it has no per-user limit', m.name),
      detail = format('meter %s (scope %s) counts the calls of all the tenant''s users on one counter; a limit naming user %s would set that counter''s cap for every user of the tenant whenever this user reserves',
        m.name, m.scope, new.user_id),
      hint = case when m.scope = 'tenant'
                  then 'Leave p_user_id NULL (the tenant''s limit), or for one user''s own cap use a user meter (user_hourly, user_monthly, or llm.define_meter(name, ''user'', window, unit)).'
                  else 'Leave p_user_id NULL: a budget scope is the tenant''s, shared by the users who name it.' end;
  end if;
  if m.tenant_id is not null and new.tenant_id is not null and new.tenant_id <> m.tenant_id then
    raise exception using errcode = '22023', message = format('meter %s counts another tenant''s calls only', m.name),
      detail = format('meter %s counts tenant %s only; the limit names tenant %s, whose calls it never counts', m.name, m.tenant_id, new.tenant_id),
      hint = 'Name the meter''s own tenant (or NULL), or define a meter for this tenant (llm.define_meter(..., p_tenant_id => ...)).';
  end if;
  if new.user_id is not null
     and not exists (select 1 from llm_private.users u where u.tenant_id = new.tenant_id and u.id = new.user_id)
     and exists (select 1 from llm_private.users u where u.id = new.user_id) then
    raise exception using errcode = '22023', message = 'the user belongs to another tenant',
      detail = format('user %s is not a user of tenant %s (its calls are another tenant''s): the limit would never apply', new.user_id, new.tenant_id),
      hint = 'Name the user''s own tenant (llm.monthly_spend lists each user with its tenant).';
  end if;
  if m.disabled_at is not null and m.disabled_at <= llm_private.now() then
    raise exception using errcode = '22023', message = format('meter %s is disabled', m.name),
      detail = format('disabled at %s: it counts nothing, and a limit on it never applies', m.disabled_at),
      hint = 'Define a new meter (llm.define_meter) and set the limit on it.';
  end if;
  if new.trips_shutoff and m.scope not in ('global', 'tenant', 'user') then
    raise exception using errcode = '22023', message = format('a limit of a %s meter trips no shutoff', m.scope),
      detail = format('meter %s: a shutoff window stops a global, tenant or user subject until its period ends; a %s has none', m.name, m.scope),
      hint = 'Leave p_trips_shutoff false: a hard limit already refuses what does not fit; to stop the tenant or user, put the trip on a tenant or user meter.';
  end if;
  -- By scope, as the reserve shapes: a budget scope's micro-USD cap per day shapes its calls as its cap over its life does.
  if new.action <> 'block' and not (new.kind = 'hard' and m.unit = 'micros' and m.scope in ('request', 'budget_scope')) then
    raise exception using errcode = '22023', message = format('action %s shapes a call only under a hard micro-USD limit per request or budget scope', new.action),
      detail = format('meter %s: scope %s, window %s, unit %s, kind %s', m.name, m.scope, m."window", m.unit, new.kind),
      hint = 'Leave p_action block (a hard limit of this meter refuses a call that does not fit); to lower max output tokens or fall back, use a per-request or budget-scope micro-USD meter.';
  end if;
  return new;
end
$$;
comment on function llm_private.tg_limits__check() is
  'BEFORE INSERT on limits: refuses (22023, with a hint) a limit the engine cannot apply or would apply to a subject it does not name: a soft per-request limit, a tenant''s limit on a global meter, a user''s on a tenant or budget-scope counter, a limit on another tenant''s or a disabled meter or for another tenant''s user, a shutoff trip on a budget-scope or request meter, an action other than block where nothing shapes; and a negative cap (23514) or an unknown tenant (23503) with a hint.';
create or replace trigger _100_check before insert on llm_private.limits
  for each row execute function llm_private.tg_limits__check();

/* The usage key of a meter for a call. */
create or replace function llm_private.usage_shard(p_scope llm_private.limit_scope, p_shards smallint, p_tenant_id uuid, p_user_id uuid)
  returns smallint
  language sql immutable parallel safe
as $$
  select case when p_shards <= 1 then 0::pg_catalog.int2
              when p_scope = 'global' then ((pg_catalog.hashtext(p_tenant_id::pg_catalog.text) operator(pg_catalog.&) 2147483647) % p_shards)::pg_catalog.int2
              else ((pg_catalog.hashtext(coalesce(p_user_id, '00000000-0000-0000-0000-000000000000'::pg_catalog.uuid)::pg_catalog.text)
                     operator(pg_catalog.&) 2147483647) % p_shards)::pg_catalog.int2 end
$$;
comment on function llm_private.usage_shard(llm_private.limit_scope, smallint, uuid, uuid) is
  'The escrow shard a call uses on a shared meter: by tenant for global meters, by user for tenant meters; 0 when unsharded.';

create or replace function llm_private.usage_key(p_scope llm_private.limit_scope, p_window llm_private.limit_window, p_shards smallint,
  p_tenant_id uuid, p_user_id uuid, p_budget_scope text, p_scope_started_at timestamptz, p_at timestamptz)
  returns table (k_tenant uuid, k_user uuid, k_scope text, k_period timestamptz, k_shard smallint)
  language sql stable parallel safe
as $$
  -- SQL and without SET, so that it is inlined into a query over many attempts: llm.reconciliation_drift spent 31 of its
  -- 38 s on 2 M attempts calling the PL/pgSQL version once per attempt and meter (review at scale, 2026-11-26).
  select case when p_scope operator(pg_catalog.=) 'global' then llm_private.nil_uuid() else p_tenant_id end,
         case when p_scope operator(pg_catalog.=) 'user' then p_user_id else llm_private.nil_uuid() end,
         case when p_scope operator(pg_catalog.=) 'budget_scope' then p_budget_scope else '' end,
         -- A budget scope's period: its life (from its start), or the clock period of p_at. Either only with the scope's row
         -- (p_scope_started_at): without one (a call of a scope retention forgot) no period, as in llm_private.usage_apply.
         case when p_window operator(pg_catalog.=) 'budget_scope' then p_scope_started_at
              when p_scope operator(pg_catalog.=) 'budget_scope' and p_scope_started_at is null then null
              else llm_private.period_start(p_window, p_at) end,
         llm_private.usage_shard(p_scope, p_shards, p_tenant_id, p_user_id)
$$;
comment on function llm_private.usage_key(llm_private.limit_scope, llm_private.limit_window, smallint, uuid, uuid, text, timestamptz, timestamptz) is
  'The usage row a call counts on for a meter: subject (tenant or nil, user or nil, budget scope or ''''), period start and shard. A budget-scope meter''s period is the scope''s life (window budget_scope: its start) or the clock period of p_at; NULL without the scope''s start (p_scope_started_at: a forgotten scope''s call counts on no row).';

/*
 * What an attempt holds and charges on a meter of a given unit.
 *   micros: the worst case while held; the cost (or the full hold when usage is unknown) once charged
 *   tokens: input estimate + allowed output while held; the tokens used (or the held ones) once charged
 *   input_tokens: the input estimate while held; the input tokens used, cached ones included (or the estimate) once charged
 *   output_tokens: the allowed output while held; the output tokens used (or the allowed output) once charged
 *   calls:  1 per chat call that reached the provider (an embedding call is not a tool-call step)
 * Unknown usage is charged as held, or as reported when the report is more (another model's answer, unpriced): in each
 * token unit on its own, so that no unit counts less than it held.
 *
 * The least charge. A hold is at least 1 of each unit the call can be charged in (every unit but an embedding call's
 * output tokens and calls), on every meter of its footprint, hard or soft: a hard limit keeps room for the least charge
 * above 0 (a hold of 0 is refused by a full cap), and the hold takes the room it was checked for, so that a concurrent
 * reserve sees that unit taken. Checked for 1 and holding 0, every caller of a cap with one unit left fitted in it: 8
 * sessions reserving calls estimated at 0 input tokens on a hard cap of 40 (4 shards), each settled with 1 input token,
 * admitted 43 calls and charged 43 tokens (review of the zero holds). The same amount on a soft meter, so that what an
 * attempt holds is a function of the attempt alone (its limits may change kind before it settles). Nothing else moves
 * with it: held_micros stays the worst case, which an expiry charges in full; the charges below are not floored (an
 * expired call estimated at 0 input tokens is charged 0 of them, and gives back the 1 it held). An attempt reserved
 * before API generation 49 (holds_least_charge false) held its amounts as they were, and gives back those.
 */
/*
 * The amounts an attempt counts on a meter of a unit: held while it is held, charged once settled or expired. Each rule
 * is written once, over the columns it reads; the forms over a whole attempts row (what the usage triggers and the
 * settle use) pass those columns on. The audit views use the column forms, so that llm_viewer needs no column it must
 * not read (attempts.cache_key: the bare sha256 of a payload, with which a guessed prompt could be confirmed).
 */
create or replace function llm_private.held_amount(p_unit llm_private.limit_unit, p_held_micros bigint, p_input_tokens_estimate integer,
  p_max_output_tokens integer, p_purpose llm_private.purpose, p_holds_least_charge boolean) returns bigint
  language sql immutable parallel safe
as $$
  -- (The least charge as an int4 of the boolean, 1 or 0: one expression, so that the function is inlined.)
  select case p_unit
    when 'micros' then greatest(p_held_micros, p_holds_least_charge::pg_catalog.int4)
    when 'tokens' then greatest(p_input_tokens_estimate::pg_catalog.int8 + p_max_output_tokens, p_holds_least_charge::pg_catalog.int4)
    when 'input_tokens' then greatest(p_input_tokens_estimate::pg_catalog.int8, p_holds_least_charge::pg_catalog.int4)
    when 'output_tokens' then greatest(p_max_output_tokens::pg_catalog.int8, (p_holds_least_charge and p_purpose = 'chat')::pg_catalog.int4)
    when 'calls' then case when p_purpose = 'chat' then 1::pg_catalog.int8 else 0::pg_catalog.int8 end
    else 0::pg_catalog.int8 end
$$;
comment on function llm_private.held_amount(llm_private.limit_unit, bigint, integer, integer, llm_private.purpose, boolean) is
  'What a held attempt holds on a meter of this unit, from its columns (held_micros, input_tokens_estimate, max_output_tokens, purpose, holds_least_charge): the amount, and with holds_least_charge at least 1 of each unit the call can be charged in (the least charge, the room a hard limit checked: not an embedding call''s output tokens or calls). held_micros (the worst case, which an expiry charges) is not floored.';

create or replace function llm_private.held_amount(p_unit llm_private.limit_unit, a llm_private.attempts) returns bigint
  language sql immutable parallel safe
as $$
  select llm_private.held_amount(p_unit, a.held_micros, a.input_tokens_estimate, a.max_output_tokens, a.purpose, a.holds_least_charge)
$$;
comment on function llm_private.held_amount(llm_private.limit_unit, llm_private.attempts) is
  'What a held attempt holds on a meter of this unit (at least 1 of each unit it can be charged in, for an attempt that holds the least charge).';

create or replace function llm_private.charged_amount(p_unit llm_private.limit_unit, p_state llm_private.attempt_state,
  p_charged_micros bigint, p_usage_unknown boolean, p_input_tokens_estimate integer, p_max_output_tokens integer, p_input_tokens integer,
  p_cached_input_tokens integer, p_output_tokens integer, p_purpose llm_private.purpose) returns bigint
  language sql immutable parallel safe
as $$
  select case when p_state in ('held', 'released', 'refused', 'cached') then 0::pg_catalog.int8
    else case p_unit
      when 'micros' then p_charged_micros
      -- Unknown usage: the tokens held, or the tokens reported when there are more (another model's answer, unpriced).
      when 'tokens' then case when p_usage_unknown then greatest(p_input_tokens_estimate::pg_catalog.int8 + p_max_output_tokens,
                                                                          coalesce(p_input_tokens, 0)::pg_catalog.int8 + coalesce(p_cached_input_tokens, 0) + coalesce(p_output_tokens, 0))
                              else coalesce(p_input_tokens, 0)::pg_catalog.int8 + coalesce(p_cached_input_tokens, 0) + coalesce(p_output_tokens, 0) end
      when 'input_tokens' then case when p_usage_unknown then greatest(p_input_tokens_estimate::pg_catalog.int8,
                                                                        coalesce(p_input_tokens, 0)::pg_catalog.int8 + coalesce(p_cached_input_tokens, 0))
                                    else coalesce(p_input_tokens, 0)::pg_catalog.int8 + coalesce(p_cached_input_tokens, 0) end
      when 'output_tokens' then case when p_usage_unknown then greatest(p_max_output_tokens::pg_catalog.int8, coalesce(p_output_tokens, 0)::pg_catalog.int8)
                                     else coalesce(p_output_tokens, 0)::pg_catalog.int8 end
      when 'calls' then case when p_purpose = 'chat' then 1::pg_catalog.int8 else 0::pg_catalog.int8 end
      else 0::pg_catalog.int8 end end
$$;
comment on function llm_private.charged_amount(llm_private.limit_unit, llm_private.attempt_state, bigint, boolean, integer, integer, integer,
  integer, integer, llm_private.purpose) is
  'What a settled or expired attempt counts as spent on a meter of this unit, from its columns (0 while held, and when released, refused or cached).';

create or replace function llm_private.charged_amount(p_unit llm_private.limit_unit, a llm_private.attempts) returns bigint
  language sql immutable parallel safe
as $$
  select llm_private.charged_amount(p_unit, a.state, a.charged_micros, a.usage_unknown, a.input_tokens_estimate, a.max_output_tokens,
    a.input_tokens, a.cached_input_tokens, a.output_tokens, a.purpose)
$$;
comment on function llm_private.charged_amount(llm_private.limit_unit, llm_private.attempts) is
  'What a settled or expired attempt counts as spent on a meter of this unit (0 while held, and when released, refused or cached).';

/*
 * Which budget scope row an attempt counts under: retention forgets a scope unused for the whole retention, and a request
 * naming it again starts a new row (llm_maint.forget_unused_budget_scopes); the old scope's attempts may still be in a
 * month kept whole. Every reserve of the old scope precedes the UTC month before the new start (it is forgotten only when
 * not reserved in any month kept, and retention keeps at least two), while a scope's own call precedes its start only by
 * a racing first reserve or a clock moved back (seconds, not a month). The settle, llm.reconciliation_drift and
 * llm.budget_scopes ask it; found by key alone, a late settle of an old attempt moved money onto the new scope, and the
 * reconciliation showed drift (review of c99c829). SQL without SET, so that it is inlined into a query over many attempts.
 */
create or replace function llm_private.reserved_in_scope(p_reserved_at timestamptz, p_scope_started_at timestamptz) returns boolean
  language sql immutable parallel safe
as $$
  select p_reserved_at operator(pg_catalog.>=) llm_private.month_start(llm_private.month_index(p_scope_started_at) operator(pg_catalog.-) 1)
$$;
comment on function llm_private.reserved_in_scope(timestamptz, timestamptz) is
  'Whether an attempt reserved at p_reserved_at counts under the budget scope row started at p_scope_started_at (and not under one of its name that retention forgot): reserved on or after the UTC month before the start.';

/*
 * How old a request may be and still be sent: claimed this UTC month or the previous one (reserve refuses an older one:
 * block / request_stale). The reconciliation reads the attempts of exactly the requests that could have been reserved in
 * the periods it checks (those starting last month or later: this bound at last month's start), so no attempt counted in
 * usage escapes it. A request id is found again for idempotency as long (idempotency_months, default 2; set higher, a key
 * found again whose request is older than this ends refused / request_stale at its job's reserve, a final answer).
 */
create or replace function llm_private.oldest_reservable_request_pk(p_at timestamptz) returns bigint
  language sql immutable parallel safe
as $$
  select (llm_private.month_index(p_at) operator(pg_catalog.-) 1)::bigint operator(pg_catalog.<<) 40
$$;
comment on function llm_private.oldest_reservable_request_pk(timestamptz) is
  'The smallest request id a reserve at p_at may send: the first of the previous UTC month (request ids carry their month in the bits above 40). Below it: block / request_stale. The reconciliation reads the attempts of requests from this bound at last month''s start.';

grant execute on function llm_private.period_start(llm_private.limit_window, timestamptz),
  llm_private.period_end(llm_private.limit_window, timestamptz),
  llm_private.applicable_limits(uuid, uuid, llm_private.endpoint, text, text, boolean, timestamptz),
  llm_private.limit_in_effect(smallint, uuid, uuid, timestamptz), llm_private.limits_in_effect(smallint, uuid, uuid, timestamptz),
  llm_private.usage_shard(llm_private.limit_scope, smallint, uuid, uuid),
  llm_private.usage_key(llm_private.limit_scope, llm_private.limit_window, smallint, uuid, uuid, text, timestamptz, timestamptz),
  llm_private.reserved_in_scope(timestamptz, timestamptz), llm_private.oldest_reservable_request_pk(timestamptz),
  llm_private.held_amount(llm_private.limit_unit, llm_private.attempts), llm_private.charged_amount(llm_private.limit_unit, llm_private.attempts),
  llm_private.held_amount(llm_private.limit_unit, bigint, integer, integer, llm_private.purpose, boolean),
  llm_private.charged_amount(llm_private.limit_unit, llm_private.attempt_state, bigint, boolean, integer, integer, integer, integer, integer,
    llm_private.purpose)
  to llm_money, llm_operator, llm_auditor, llm_app;
-- llm_viewer (the audit views' login): what the views compute with.
grant execute on function llm_private.period_start(llm_private.limit_window, timestamptz),
  llm_private.period_end(llm_private.limit_window, timestamptz),
  llm_private.applicable_limits(uuid, uuid, llm_private.endpoint, text, text, boolean, timestamptz),
  llm_private.limits_in_effect(smallint, uuid, uuid, timestamptz),
  llm_private.usage_key(llm_private.limit_scope, llm_private.limit_window, smallint, uuid, uuid, text, timestamptz, timestamptz),
  llm_private.usage_shard(llm_private.limit_scope, smallint, uuid, uuid),
  llm_private.reserved_in_scope(timestamptz, timestamptz), llm_private.oldest_reservable_request_pk(timestamptz),
  llm_private.held_amount(llm_private.limit_unit, bigint, integer, integer, llm_private.purpose, boolean),
  llm_private.charged_amount(llm_private.limit_unit, llm_private.attempt_state, bigint, boolean, integer, integer, integer, integer, integer,
    llm_private.purpose)
  to llm_viewer;
