/*
 * Operator functions (llm_operator): tenants, models and prices, fallbacks, meters and limits,
 * settings, adjustments, and the scheduled sweeps. The database is the one source of truth for
 * prices, fallbacks and consent: a worker never writes them at start (`npm run sync-config` calls
 * these functions on purpose).
 */
create or replace function llm.upsert_tenant(p_tenant_id uuid, p_name text) returns void
  language plpgsql
  set search_path = pg_catalog
as $$
begin
  insert into llm_private.tenants (id, name) values (p_tenant_id, p_name)
  on conflict (id) do update set name = excluded.name;
end
$$;
comment on function llm.upsert_tenant(uuid, text) is
  'Operator: creates a tenant (or renames it). Its caps are limits: the defaults apply until llm.set_limit sets its own.';

create or replace function llm.set_model_price(p_provider text, p_model text, p_input_per_mtok_micros bigint,
  p_cached_input_per_mtok_micros bigint, p_output_per_mtok_micros bigint, p_effective_from timestamptz default null) returns integer
  language plpgsql
  set search_path = pg_catalog
as $$
declare
  v_id integer;
begin
  insert into llm_private.model_prices (provider, model, effective_from, input_per_mtok_micros, cached_input_per_mtok_micros, output_per_mtok_micros)
  values (p_provider, p_model, coalesce(p_effective_from, llm_private.now()), p_input_per_mtok_micros, p_cached_input_per_mtok_micros,
    p_output_per_mtok_micros)
  returning id into v_id;
  return v_id;
end
$$;
comment on function llm.set_model_price(text, text, bigint, bigint, bigint, timestamptz) is
  'Operator: a new price (micro-USD per million tokens: input, cached input, output) from p_effective_from (default now). Append-only: calls already reserved keep the price they pinned.';

create or replace function llm.define_model(p_provider text, p_model text, p_max_output_tokens integer, p_training_allowed boolean,
  p_input_per_mtok_micros bigint, p_cached_input_per_mtok_micros bigint, p_output_per_mtok_micros bigint,
  p_token_parameter text default 'max_tokens', p_kind text default 'chat') returns void
  language plpgsql
  set search_path = pg_catalog
as $$
declare
  cur llm_private.model_prices;
begin
  insert into llm_private.models (provider, model, kind, max_output_tokens, token_parameter, training_allowed)
  values (p_provider, p_model, p_kind, p_max_output_tokens, p_token_parameter, p_training_allowed)
  on conflict (provider, model) do update set kind = excluded.kind, max_output_tokens = excluded.max_output_tokens,
    token_parameter = excluded.token_parameter, training_allowed = excluded.training_allowed;
  cur := llm_private.price_in_effect(p_provider, p_model, llm_private.now());
  if cur.id is null or (cur.input_per_mtok_micros, cur.cached_input_per_mtok_micros, cur.output_per_mtok_micros)
     is distinct from (p_input_per_mtok_micros, p_cached_input_per_mtok_micros, p_output_per_mtok_micros) then
    perform llm.set_model_price(p_provider, p_model, p_input_per_mtok_micros, p_cached_input_per_mtok_micros, p_output_per_mtok_micros);
  end if;
end
$$;
comment on function llm.define_model(text, text, integer, boolean, bigint, bigint, bigint, text, text) is
  'Operator: declares a model (chat or embedding; its output limit parameter; whether its terms allow training) and, when it differs from the one in effect, a new price starting now.';

create or replace function llm.set_fallbacks(p_provider text, p_model text, p_chain text[]) returns void
  language plpgsql
  set search_path = pg_catalog
as $$
declare
  r record;
begin
  if cardinality(p_chain) > 10 then
    raise exception using errcode = '22023', message = 'a fallback chain has at most 10 models';
  end if;
  delete from llm_private.model_fallbacks f where f.provider = p_provider and f.model = p_model;
  for r in select c, n from unnest(p_chain) with ordinality u(c, n) loop
    insert into llm_private.model_fallbacks (provider, model, position, fallback_provider, fallback_model)
    select p_provider, p_model, r.n, x.provider, x.model from llm_private.split_model_ref(r.c) x;
  end loop;
end
$$;
comment on function llm.set_fallbacks(text, text, text[]) is 'Operator: the ordered fallback chain of a model, as provider:model references (replaces the previous chain).';

create or replace function llm.define_meter(p_name text, p_scope text, p_window text, p_unit text, p_tenant_id uuid default null,
  p_provider text default null, p_model text default null, p_endpoint text default null, p_shards integer default 1) returns smallint
  language plpgsql
  set search_path = pg_catalog
as $$
declare
  v_id smallint;
begin
  -- Each rule of the table, refused with what to pass instead (a raw 22P02 or a constraint's name said nothing: adopter's
  -- review, 2026-11-27). The table's checks stay the rule; these only explain.
  if p_scope is null or p_scope::text not in (select e::text from unnest(enum_range(null::llm_private.limit_scope)) e) then
    raise exception using errcode = '22023', message = format('unknown meter scope %L', p_scope),
      hint = format('One of %s.', (select string_agg(e::text, ', ') from unnest(enum_range(null::llm_private.limit_scope)) e));
  end if;
  if p_window is null or p_window::text not in (select e::text from unnest(enum_range(null::llm_private.limit_window)) e) then
    raise exception using errcode = '22023', message = format('unknown meter window %L', p_window),
      hint = format('One of %s. Clock windows are UTC; there is no window shorter than a minute.',
        (select string_agg(e::text, ', ') from unnest(enum_range(null::llm_private.limit_window)) e));
  end if;
  if p_unit is null or p_unit::text not in (select e::text from unnest(enum_range(null::llm_private.limit_unit)) e) then
    raise exception using errcode = '22023', message = format('unknown meter unit %L', p_unit),
      hint = format('One of %s.', (select string_agg(e::text, ', ') from unnest(enum_range(null::llm_private.limit_unit)) e));
  end if;
  -- A budget scope counts over its life (window budget_scope) or per clock window (at most $5 a day, 20 calls an hour): not
  -- none, whose counter would be its life again under another name (and another period start than its first call).
  if (p_scope = 'request') <> (p_window = 'request') or (p_window = 'budget_scope' and p_scope <> 'budget_scope')
     or (p_scope = 'budget_scope' and p_window = 'none') then
    raise exception using errcode = '22023', message = format('scope %s does not go with window %s', p_scope, p_window),
      hint = case when p_scope = 'budget_scope'
                  then 'A budget scope counts over its life (window budget_scope, from its first call) or per clock window (minute, hour, day, week, month, quarter).'
                  else 'Scope request goes with window request, window budget_scope with scope budget_scope, every other scope with a clock window or none.' end;
  end if;
  if p_unit = 'elapsed_ms' and p_window <> 'budget_scope' then
    raise exception using errcode = '22023', message = 'an elapsed_ms meter is a deadline of a budget scope',
      hint = 'Scope and window budget_scope: the time since the scope''s first call.';
  end if;
  if p_shards is distinct from 1 and (p_shards is null or p_shards not between 1 and 64 or p_scope not in ('global', 'tenant')) then
    raise exception using errcode = '22023', message = format('p_shards = %s: a meter of scope %s', coalesce(p_shards::text, 'NULL'), p_scope),
      hint = 'Escrow shards (2..64) split a global or a tenant meter; every other meter has 1.';
  end if;
  if p_model is not null and p_provider is null then
    raise exception using errcode = '22023', message = 'a meter of one model names its provider',
      detail = format('p_model = %L without p_provider', p_model),
      hint = case when position(':' in p_model) > 0
                  then format('For the model reference %L: p_provider => %L, p_model => %L.', p_model,
                              split_part(p_model, ':', 1), substr(p_model, position(':' in p_model) + 1))
                  else 'p_provider => the provider''s name (as in the configuration), p_model => the model''s name there.' end;
  end if;
  if p_name is null or p_name !~ '^[a-z][a-z0-9_]{0,59}$' then
    raise exception using errcode = '22023', message = format('a meter''s name is lower case, not %L', p_name),
      hint = 'A letter, then letters, digits or _ (60 at most): it is the refusal''s reason a caller reads, e.g. tenant_weekly_tokens.';
  end if;
  if exists (select 1 from llm_private.meters m where m.name = p_name) then
    raise exception using errcode = '23505', message = format('meter %s exists', p_name),
      hint = 'Meters are never changed or deleted: set a limit on it (llm.set_limit), or disable it (llm.disable_meter) and define one of another name.';
  end if;
  if p_tenant_id is not null and not exists (select 1 from llm_private.tenants t where t.id = p_tenant_id) then
    raise exception using errcode = '23503', message = 'no such tenant', detail = format('tenant %s', p_tenant_id),
      hint = 'Create the tenant first (llm.upsert_tenant), or check the id; a meter of every tenant has p_tenant_id NULL.';
  end if;
  if p_endpoint is not null and p_endpoint not in (select e::text from unnest(enum_range(null::llm_private.endpoint)) e) then
    raise exception using errcode = '22023', message = format('unknown endpoint %L', p_endpoint),
      hint = format('One of %s, or NULL for every endpoint.', (select string_agg(e::text, ', ') from unnest(enum_range(null::llm_private.endpoint)) e));
  end if;
  if p_window = 'request' and p_unit is distinct from 'micros' then
    raise exception using errcode = '22023', message = 'a per-request meter counts micros only',
      detail = format('meter %s: window request, unit %s', p_name, p_unit),
      hint = 'Tokens per request are bounded by max_output_tokens (and the model''s limit), calls per request by llm.set_setting(''max_attempts_per_request'', n); a token or call cap over a budget scope or a clock window is a meter of that window.';
  end if;
  insert into llm_private.meters (name, tenant_id, scope, "window", unit, provider, model, endpoint, shards)
  values (p_name, p_tenant_id, p_scope::llm_private.limit_scope, p_window::llm_private.limit_window, p_unit::llm_private.limit_unit,
    p_provider, p_model, p_endpoint::llm_private.endpoint, p_shards)
  returning id into v_id;
  return v_id;
end
$$;
comment on function llm.define_meter(text, text, text, text, uuid, text, text, text, integer) is
  'Operator: a new kind of limit is a row. A meter counts a unit (micros, tokens, input_tokens, output_tokens, calls, elapsed_ms; input_tokens include cached input) for a scope (global, tenant, user, budget_scope, request) over a window (minute, hour, day, week, month, quarter, none, budget_scope, request), optionally only for a tenant, provider, model or endpoint; shared scopes may be split into escrow shards. Window request goes with scope request only; a budget scope counts over its life (window budget_scope) or per clock window (e.g. at most $5 per UTC day of each investigation), not none; elapsed_ms is a budget scope''s deadline (window budget_scope). A request-window meter counts micros only (22023 otherwise). Caps come from llm.set_limit.';

create or replace function llm.disable_meter(p_name text) returns boolean
  language plpgsql
  set search_path = pg_catalog
as $$
begin
  update llm_private.meters m set disabled_at = llm_private.now() where m.name = p_name and m.disabled_at is null;
  return found;
end
$$;
comment on function llm.disable_meter(text) is 'Operator: new calls stop counting on a meter (it is never deleted: attempts refer to it).';

create or replace function llm.set_limit(p_meter text, p_cap bigint, p_tenant_id uuid default null, p_user_id uuid default null,
  p_kind text default 'hard', p_action text default 'block', p_valid_from timestamptz default null, p_valid_until timestamptz default null,
  p_alert_pcts smallint[] default '{80,95,100}', p_trips_shutoff boolean default false, p_pressure_pct smallint default null,
  p_pressure_model text default null, p_min_output_tokens integer default 16, p_note text default null) returns integer
  language plpgsql
  set search_path = pg_catalog
as $$
declare
  v_meter smallint;
  v_id integer;
  v_now timestamptz := llm_private.now();
  v_from timestamptz;
  v_until timestamptz;
begin
  select m.id into v_meter from llm_private.meters m where m.name = p_meter;
  if v_meter is null then
    raise exception using errcode = 'P0002', message = 'unknown meter', detail = format('meter %s', p_meter),
      hint = 'See llm.limits for the meters, or create one with llm.define_meter.';
  end if;
  -- An unknown kind or action: 22023 naming what to pass (a raw 22P02 from the cast said only "invalid input value"), as
  -- llm.define_meter does for its scope, window and unit (review 91).
  if p_kind is null or p_kind not in (select e::text from unnest(enum_range(null::llm_private.limit_kind)) e) then
    raise exception using errcode = '22023', message = format('unknown limit kind %L', p_kind),
      hint = 'hard (refuses, or shapes, a call that does not fit) or soft (only counts and alerts).';
  end if;
  if p_action is null or p_action not in (select e::text from unnest(enum_range(null::llm_private.limit_action)) e) then
    raise exception using errcode = '22023', message = format('unknown limit action %L', p_action),
      hint = 'block; or, for a hard micro-USD limit per request or budget scope, cap (lower max output tokens to fit) or fallback (a model of the fallback chain that fits).';
  end if;
  if p_valid_until is not null and p_valid_until <= greatest(coalesce(p_valid_from, v_now), v_now) then
    raise exception using errcode = '22023', message = 'a limit ends after it starts',
      detail = format('p_valid_from = %s, p_valid_until = %s, now = %s', coalesce(p_valid_from::text, 'now'), p_valid_until, v_now),
      hint = 'p_valid_until later than p_valid_from (and than now); to end a limit now, llm.end_limit(limit_id).';
  end if;
  if p_valid_from < v_now - interval '1 minute' then
    raise exception using errcode = '22023', message = 'a limit starts now or later',
      detail = format('p_valid_from = %s, now = %s', p_valid_from, v_now),
      hint = 'Reserves already decided under the limits of their time; to correct spend use llm.adjust_usage.';
  end if;
  v_from := greatest(coalesce(p_valid_from, v_now), v_now);
  if p_valid_until is null then
    -- One change of a meter's permanent limits at a time (llm.end_limit takes the same lock: the meter's row): two operators'
    -- set_limit at once each ended only what its snapshot saw, and both new limits stayed open-ended, the first coming back
    -- into effect when the second was ended (helper 92). Reserve never locks a meter's row (nor does the foreign key's
    -- KEY SHARE wait for this lock).
    perform 1 from llm_private.meters m where m.id = v_meter for no key update;
    -- A new permanent limit replaces the subject's permanent one in effect when it starts (until then the old one
    -- applies; temporary ones stand), also one that a limit scheduled later was already to replace, and lasts until the
    -- next permanent one scheduled after it starts, if any: the subject's permanent limits are one timeline. A limit set
    -- to apply at once ended only permanent limits without an end, and a 20 000 set at 10:30 waited behind a 100 000 that a
    -- 50 000 scheduled for 11:00 was to replace (review 91).
    update llm_private.limits l set valid_until = v_from
     where l.meter_id = v_meter and l.tenant_id is not distinct from p_tenant_id and l.user_id is not distinct from p_user_id
       and not l.temporary and l.valid_from <= v_from and l.valid_until > v_from;
    select min(l.valid_from) into v_until from llm_private.limits l
     where l.meter_id = v_meter and l.tenant_id is not distinct from p_tenant_id and l.user_id is not distinct from p_user_id
       and not l.temporary and l.valid_from > v_from and l.valid_until > l.valid_from;
  end if;
  insert into llm_private.limits (meter_id, tenant_id, user_id, cap, kind, action, min_output_tokens, trips_shutoff, alert_pcts,
    pressure_pct, pressure_model, valid_from, valid_until, temporary, note)
  values (v_meter, p_tenant_id, p_user_id, p_cap, p_kind::llm_private.limit_kind, p_action::llm_private.limit_action, p_min_output_tokens,
    p_trips_shutoff, p_alert_pcts, p_pressure_pct, p_pressure_model, v_from, coalesce(p_valid_until, v_until, 'infinity'),
    p_valid_until is not null, p_note)
  returning id into v_id;
  return v_id;
end
$$;
comment on function llm.set_limit(text, bigint, uuid, uuid, text, text, timestamptz, timestamptz, smallint[], boolean, smallint, text, integer, text) is
  'Operator: caps a meter for everyone (tenant and user NULL), a tenant or a user. hard refuses (or shapes: action cap | fallback for request and budget scope limits), soft only alerts. With p_valid_until it is temporary (e.g. an increase until Friday) and ends by itself; without, it replaces the subject''s permanent limit from p_valid_from (default now; never in the past). Alerts at p_alert_pcts of the cap; p_trips_shutoff opens a shutoff window when spent crosses the cap (a cap of 0: both at the first charge); p_pressure_pct switches to p_pressure_model (or the fallback chain) above that share (held + spent above 0: at a cap of 0, from the first hold or charge). Returns the limit id.';

create or replace function llm.end_limit(p_limit_id integer) returns boolean
  language plpgsql
  set search_path = pg_catalog
as $$
declare
  v_now timestamptz := llm_private.now();
  l llm_private.limits;
begin
  select * into l from llm_private.limits x where x.id = p_limit_id;
  if not found then
    return false;
  end if;
  -- The meter's permanent limits, as llm.set_limit changes them (one change at a time); then the row as it is now.
  perform 1 from llm_private.meters m where m.id = l.meter_id for no key update;
  select * into l from llm_private.limits x where x.id = p_limit_id and x.valid_until > v_now for update;
  if not found then
    return false;
  end if;
  if l.valid_from > v_now and not l.temporary then
    -- A permanent limit scheduled and not yet started is cancelled: the one it was to replace goes on as if it had not
    -- been scheduled (set_limit ended that one at this one's start). Not one that never applied (valid_from =
    -- valid_until): a limit cancelled before, or replaced before it started, ends there too, and it came back into
    -- effect (a raise to 1 000 000 cancelled at 10:30, a 50 000 for the same 11:00 set and cancelled: the 1 000 000
    -- applied from 11:00).
    update llm_private.limits p set valid_until = l.valid_until
     where p.meter_id = l.meter_id and p.tenant_id is not distinct from l.tenant_id and p.user_id is not distinct from l.user_id
       and p.id <> l.id and not p.temporary and p.valid_until = l.valid_from and p.valid_from < p.valid_until;
  end if;
  -- One not yet started ends at its start: it never applies (it had failed limits' check, valid_from <= valid_until).
  update llm_private.limits x set valid_until = greatest(v_now, l.valid_from) where x.id = l.id;
  return true;
end
$$;
comment on function llm.end_limit(integer) is 'Operator: ends a limit now (the next most specific one applies again); a limit scheduled and not yet started never applies, and a permanent one so cancelled leaves the limit it was to replace in effect.';

create or replace function llm.set_setting(p_name text, p_value text) returns void
  language plpgsql
  set search_path = pg_catalog
as $$
begin
  if p_name not in ('hold_margin_ms', 'max_attempts_per_request', 'enqueue_max_attempts', 'breaker_failure_threshold', 'breaker_cooldown_ms',
      'cache_ttl_ms', 'cache_fill_wait_ms', 'output_retention_ms', 'trace_retention_ms', 'ledger_retention_months', 'partitions_ahead_months',
      'idempotency_months', 'semantic_max_candidates', 'settle_commit', 'queue_share_jobs', 'breaker_single_tenant_opens',
      'reconciliation_work_mem_mb') then
    raise exception using errcode = '22023', message = 'unknown setting', detail = format('setting %s', p_name),
      hint = 'See the columns of llm_private.settings (comments say what each does).';
  end if;
  if p_name = 'settle_commit' then
    update llm_private.settings set settle_commit = p_value;
    return;
  end if;
  if p_name = 'breaker_single_tenant_opens' then
    update llm_private.settings set breaker_single_tenant_opens = p_value::boolean;
    return;
  end if;
  execute format('update llm_private.settings set %I = $1::bigint', p_name) using p_value;
end
$$;
comment on function llm.set_setting(text, text) is 'Operator: changes one global setting (see the comments on llm_private.settings); the value''s range is checked by the table.';

/*
 * Adjustments: an operator's credit (negative) or debit (positive) of a subject's spend, append-only.
 * It flows into every unfiltered micro-USD meter of the subject (user if given, tenant, global)
 * for the period of effective_at, as the ledger row that justifies the change.
 */
create or replace function llm_private.tg_adjustments__apply() returns trigger
  language plpgsql
  set search_path = pg_catalog
as $$
declare
  l llm_private.applicable_limit;
  k record;
  r record;
  e llm_private.limits;
  v_limit_id integer;
  v_cap bigint;
  -- The alerts to check, once every meter's usage row is held (the lock order: usage, then alerts and windows).
  a_meter smallint[] := '{}'; a_tenant uuid[] := '{}'; a_user uuid[] := '{}'; a_scope text[] := '{}'; a_period timestamptz[] := '{}';
  a_shard smallint[] := '{}'; a_spent bigint[] := '{}'; a_quota bigint[] := '{}'; a_shards smallint[] := '{}'; a_limit integer[] := '{}';
  a_cap bigint[] := '{}';
  v_closed_through timestamptz;
begin
  new.created_at := llm_private.now();
  new.created_by := current_user;
  if new.effective_at is null then
    raise exception using errcode = '22023', message = 'an adjustment needs its effective time';
  end if;
  -- Never in the future: it made a month's spend before the month began (finance review 86).
  if new.effective_at > llm_private.now() then
    raise exception using errcode = '22023', message = 'an adjustment takes effect now or in the past',
      detail = format('effective_at %s is after now (%s)', new.effective_at, llm_private.now()),
      hint = 'Leave p_effective_at NULL (now), or give the past instant the correction belongs to.';
  end if;
  -- Never in a closed month (llm.close_month): an invoiced month's figures stay as they were invoiced. The lock orders this
  -- insert with a close: a close in flight is waited for and then seen; a close waits for this transaction to end, so its
  -- month cannot gain an adjustment once it is closed. READ COMMITTED, so that the read below sees a close committed while
  -- it waited (a REPEATABLE READ snapshot would predate it).
  perform llm_private.require_read_committed('an adjustment is made', 'its snapshot may predate a month''s close',
    'select llm.adjust_usage(...)');
  lock table llm_private.month_closes in row exclusive mode;
  v_closed_through := llm_private.closed_through();
  if new.effective_at < v_closed_through then
    raise exception using errcode = 'LG001', message = 'an adjustment dated in a closed month',
      detail = format('effective_at %s; every month before %s is closed (llm.month_closes)', new.effective_at, v_closed_through),
      hint = 'Post the correction in an open month (p_effective_at NULL: now), naming the closed month in its reason.';
  end if;
  -- Its subject must exist: a tenant we know, and a user enrolled in that tenant. There is no foreign key (no cross-tenant
  -- key, for sharding), and an adjustment naming another tenant's user, or no tenant at all, made usage rows of a subject
  -- that has no calls (user_monthly of B1 under tenant A; tenant_monthly of an unknown uuid).
  if not exists (select 1 from llm_private.tenants t where t.id = new.tenant_id) then
    raise exception using errcode = '23503', message = 'no such tenant',
      detail = format('tenant %s', new.tenant_id),
      hint = 'Adjust a tenant created with llm.upsert_tenant (see llm.monthly_spend for the tenants and users with spend).';
  end if;
  if new.user_id is not null and not exists (select 1 from llm_private.users u where u.tenant_id = new.tenant_id and u.id = new.user_id) then
    raise exception using errcode = '23503', message = 'no such user in this tenant',
      detail = format('user %s in tenant %s', new.user_id, new.tenant_id),
      hint = 'A user belongs to one tenant and is enrolled at its first call: name the user''s own tenant, or adjust the tenant (p_user_id NULL).';
  end if;
  new.meter_ids := '{}';
  for l in select * from llm_private.applicable_limits(new.tenant_id, coalesce(new.user_id, llm_private.nil_uuid()), null, null, null, false,
      new.effective_at) x
    loop
    continue when l.unit <> 'micros' or l."window" in ('request', 'budget_scope')
      or (l.scope = 'user' and new.user_id is null)
      or exists (select 1 from llm_private.meters m where m.id = l.meter_id and (m.endpoint is not null or m.provider is not null));
    select * into k from llm_private.usage_key(l.scope, l."window", l.shards, new.tenant_id, new.user_id, '', null, new.effective_at);
    -- The cap the rows get: in a current period the limit in effect now, as a reserve would set it. The limit of effective_at
    -- (an adjustment back-dated before a limit change) had set the row's cap back to the old limit; in a
    -- past period the cap the rows already have.
    v_limit_id := l.limit_id; v_cap := l.cap;
    if llm_private.period_end(l."window", k.k_period) > llm_private.now() then
      e := llm_private.limit_in_effect(l.meter_id, k.k_tenant, k.k_user, llm_private.now());
      if e.id is not null then
        v_limit_id := e.id; v_cap := e.cap;
      end if;
    else
      select u.limit_id, u.cap into v_limit_id, v_cap from llm_private.usage u
       where u.tenant_id = k.k_tenant and u.meter_id = l.meter_id and u.user_id = k.k_user and u.budget_scope = k.k_scope
         and u.period_start = k.k_period and u.shard = 0;
      if v_cap is null then
        v_limit_id := l.limit_id; v_cap := l.cap;
      end if;
    end if;
    perform llm_private.usage_prepare(l.meter_id, l.shards, k.k_tenant, k.k_user, k.k_scope, k.k_period, v_limit_id, v_cap);
    -- In a current period, the same cap under another limit: the rows name the limit in effect, as a re-cap names it, so
    -- that the debit alerts at its percentages and trips by its rule at once. Naming the old one, a debit alerted at an
    -- ended limit's percentages and tripped only at the next sweep (review of 2026-11-27). A past period keeps its names.
    if llm_private.period_end(l."window", k.k_period) > llm_private.now() then
      perform llm_private.usage_name_limit(l.meter_id, k.k_tenant, k.k_user, k.k_scope, k.k_period, v_limit_id);
    end if;
    update llm_private.usage u set spent = u.spent + new.amount_micros
     where u.tenant_id = k.k_tenant and u.meter_id = l.meter_id and u.user_id = k.k_user and u.budget_scope = k.k_scope
       and u.period_start = k.k_period and u.shard = k.k_shard
    returning u.spent, u.quota, u.next_alert_at, u.limit_id, u.cap into r;
    -- A credit never takes spent below 0. (A late settle may: its call cost less than the full charge of its expired hold
    -- that a credit had already returned; the subject then holds a credit, and the ledger says the same. Refused by a CHECK
    -- on usage, that settle failed and its answer was lost; tenth review.)
    if new.amount_micros < 0 and r.spent < 0 then
      raise exception using errcode = '23514', message = 'a credit larger than what was spent',
        detail = format('meter %s of tenant %s, user %s: spent %s after the credit', l.meter_id, new.tenant_id,
          coalesce(new.user_id::text, 'none'), r.spent),
        hint = 'Credit at most what the subject spent in the period of effective_at.';
    end if;
    -- A debit is money spent: it crosses thresholds (alerts, shutoff trips) as a settle does, once every meter's usage is
    -- held (below). Alerting meter by meter, an adjustment held one meter's new alert while it waited for the next meter's
    -- usage, which llm.evaluate_limits had re-capped and held while it waited for that alert (40P01; review of the fixes).
    if new.amount_micros > 0 and r.spent >= r.next_alert_at then
      a_meter := a_meter || l.meter_id; a_tenant := a_tenant || k.k_tenant; a_user := a_user || k.k_user; a_scope := a_scope || k.k_scope;
      a_period := a_period || k.k_period; a_shard := a_shard || k.k_shard; a_spent := a_spent || r.spent; a_quota := a_quota || r.quota;
      -- The limit and cap the rows name (the one in effect, named above), as a settle passes them: a trip naming a limit
      -- the rows did not name was refused by the window guard (LG005), and the debit with it (review of 2026-11-27).
      a_shards := a_shards || l.shards; a_limit := a_limit || r.limit_id; a_cap := a_cap || r.cap;
    end if;
    -- A debit beyond this shard's quota takes the excess from the other shards' free quota (escrow stays strict).
    if l.shards > 1 and new.amount_micros > 0 then
      perform llm_private.usage_borrow(l.meter_id, k.k_tenant, k.k_user, k.k_scope, k.k_period, k.k_shard, 0);
    end if;
    new.meter_ids := new.meter_ids || l.meter_id;
  end loop;
  for i in 1 .. coalesce(cardinality(a_meter), 0) loop
    perform llm_private.usage_after_spend(a_meter[i], a_tenant[i], a_user[i], a_scope[i], a_period[i], a_shard[i], a_spent[i], a_quota[i],
      a_shards[i], new.amount_micros, a_limit[i], a_cap[i]);
  end loop;
  return new;
end
$$;
comment on function llm_private.tg_adjustments__apply() is
  'BEFORE INSERT on adjustments: refuses (23503) a tenant that does not exist or a user not enrolled in that tenant; applies the amount to spent on every unfiltered micro-USD meter of the subject in the period of effective_at (a debit fires the alerts and shutoff trips it crosses, as a settle does, after every meter''s usage row is held; beyond a shard''s quota it borrows the excess from the other shards), and records which (meter_ids).';
create or replace trigger _100_apply before insert on llm_private.adjustments
  for each row execute function llm_private.tg_adjustments__apply();
create or replace trigger _100_no_update before update or delete on llm_private.adjustments
  for each row execute function llm_private.tg_ledger__no_delete();
create or replace trigger _100_no_truncate before truncate on llm_private.adjustments
  for each statement execute function llm_private.tg_ledger__no_delete();

-- Every partition of the ledger refuses TRUNCATE as its table does: a statement trigger is neither cloned to partitions nor
-- fired for a partition truncated by name (`truncate llm_private.usage_m202611` reset a month's counters; review 79). The
-- triggers of usage and alerts (040), attempts (090), requests (100) and adjustments (above) exist by now; the months to
-- come get theirs when they are created (llm_private.create_month_partition). Written again at every replay, which drops
-- as stale a trigger of sql/api's functions that it did not write.
select llm_private.guard_partition_truncate(i.inhrelid::regclass)
  from pg_catalog.pg_inherits i
 where i.inhparent in ('llm_private.requests'::regclass, 'llm_private.attempts'::regclass, 'llm_private.usage'::regclass,
                       'llm_private.adjustments'::regclass, 'llm_private.alerts'::regclass)
 order by i.inhrelid;

create or replace function llm.adjust_usage(p_tenant_id uuid, p_user_id uuid, p_amount_micros bigint, p_reason text,
  p_effective_at timestamptz default null) returns bigint
  language plpgsql
  set search_path = pg_catalog
as $$
declare
  v_id bigint;
begin
  insert into llm_private.adjustments (tenant_id, user_id, amount_micros, reason, effective_at)
  values (p_tenant_id, p_user_id, p_amount_micros, p_reason, coalesce(p_effective_at, llm_private.now()))
  returning id into v_id;
  return v_id;
end
$$;
comment on function llm.adjust_usage(uuid, uuid, bigint, text, timestamptz) is
  'Operator, in a READ COMMITTED transaction (25000): credits (negative) or debits (positive) a tenant''s or user''s spend with a reason, recorded append-only with who and when; it flows into usage, llm.monthly_spend and llm.hourly_spend (at effective_at, now by default) and into llm.reconciliation_drift. The tenant must exist and the user be one of its own (23503); effective_at may not be in the future (22023) nor in a closed month (LG001, llm.month_closes: post it in an open month). Returns the adjustment id.';

/*
 * Closed months (finance review 86): once a month is invoiced, its figures must stay what was invoiced. An operator closes
 * a month once it has ended and no hold reserved before its end is still open (its settle or expiry would still charge it);
 * closing a month closes every month before it. An adjustment dated in a closed month is refused (LG001: the correction
 * goes in an open month). A late settle still changes a closed month: it replaces the full charge of an expired hold with
 * the call's real cost (DESIGN-NOTES 2), and llm.month_closes counts those. Every rule is in the table's trigger, so an
 * INSERT of the operator's own is held to them as llm.close_month is.
 */
create or replace function llm_private.closed_through() returns timestamptz
  language sql stable
  set search_path = pg_catalog
as $$
  -- Finite closes only: a row of 'infinity' (refused by the trigger since review 87, where its month was NULL and every
  -- check passed) would make the newest close NULL and open every month again.
  select llm_private.month_start(llm_private.month_index(max(c.month_start)) + 1) from llm_private.month_closes c
   where c.month_start > '-infinity' and c.month_start < 'infinity'
$$;
comment on function llm_private.closed_through() is
  'The first instant after every closed month (the end of the newest month llm.close_month closed), or NULL: an adjustment must be dated at or after it.';
grant execute on function llm_private.closed_through() to llm_operator;

create or replace function llm_private.tg_month_closes__check() returns trigger
  language plpgsql
  set search_path = pg_catalog
as $$
declare
  v_end timestamptz;
  v_through timestamptz;
  v_open bigint;
  v_running text[];
  v_waited_until timestamptz;
  v_pids text;
begin
  perform llm_private.require_read_committed('a month is closed', 'its snapshot may miss a hold or an adjustment committed meanwhile',
    'select * from llm.close_month(...)');
  if new.month_start is null or new.month_start in ('infinity', '-infinity')
     or new.month_start is distinct from llm_private.month_start(llm_private.month_index(new.month_start)) then
    raise exception using errcode = '22023', message = 'a month is closed by its first instant in UTC',
      detail = format('month_start = %s', new.month_start),
      hint = 'For example llm.close_month(''2026-11-01 00:00+00'', ''invoiced'').';
  end if;
  new.closed_at := llm_private.now();
  new.closed_by := llm_private.acting_role();
  -- One close at a time, and none while an adjustment is being made (it takes ROW EXCLUSIVE): the checks below and every
  -- adjustment after them see the same closes.
  lock table llm_private.month_closes in share row exclusive mode;
  v_end := llm_private.month_start(llm_private.month_index(new.month_start) + 1);
  if v_end > new.closed_at then
    raise exception using errcode = '55000', message = 'a month is closed once it has ended',
      detail = format('month %s ends at %s; now is %s', new.month_start, v_end, new.closed_at),
      hint = 'Close it after its end, once no hold reserved in it is open.';
  end if;
  v_through := llm_private.closed_through();
  if v_through is not null and v_end <= v_through then
    raise exception using errcode = '55000', message = 'the month is already closed',
      detail = format('every month before %s is closed (llm.month_closes)', v_through),
      hint = 'Closing a month closes every month before it.';
  end if;
  -- Every transaction of this database that was running now, and is not waiting for this close, ends first: a reserve in
  -- flight dated its hold when it ran (before the month's end) and commits it later, unseen by the count below, which
  -- then closed the month under it (review 88). A transaction started from now on dates its holds after the month's end.
  -- Waited for as CREATE INDEX CONCURRENTLY waits for older transactions (their virtual transaction ids), 60 s at most.
  select array_agg(l.virtualxid) into v_running
    from pg_catalog.pg_locks l join pg_catalog.pg_stat_activity a on a.pid = l.pid
   where l.locktype = 'virtualxid' and l.granted and l.pid <> pg_catalog.pg_backend_pid()
     and a.datname = pg_catalog.current_database();
  v_waited_until := pg_catalog.clock_timestamp() + interval '60 seconds';
  loop
    select string_agg(l.pid::text, ', ' order by l.pid) into v_pids
      from pg_catalog.pg_locks l
     where l.locktype = 'virtualxid' and l.virtualxid = any(v_running)
       and not (pg_catalog.pg_blocking_pids(l.pid) @> array[pg_catalog.pg_backend_pid()]);
    exit when v_pids is null;
    if pg_catalog.clock_timestamp() > v_waited_until then
      raise exception using errcode = '55000', message = 'transactions older than the close are still open',
        detail = format('pids %s have run for more than 60 s since the close began; a reserve among them may hold money in the month', v_pids),
        hint = 'Close again once they end (pg_stat_activity), or end them.';
    end if;
    perform pg_catalog.pg_sleep(0.02);
  end loop;
  -- A hold reserved before the month's end and still open would be charged in it by its settle or expiry. Every one the
  -- expiry's full pass reads (expiring in the last 35 days or later): the minute's sweep watches only those expiring after
  -- its watermark, and a hold committed after the watermark had passed it is older (review 87: such a hold, listed by
  -- llm.open_holds, was charged into a month closed meanwhile). A one-shot plan with the values, so that the expires_at
  -- BRIN is used.
  execute 'select count(*) from llm_private.attempts a where a.state = ''held'' and a.reserved_at < $1 and a.expires_at > $2'
    into v_open using v_end, llm_private.now() - interval '840 hours';
  if v_open > 0 then
    raise exception using errcode = '55000', message = 'a hold reserved in the month is still open',
      detail = format('%s attempt(s) reserved before %s are held (llm.open_holds)', v_open, v_end),
      hint = 'Wait for their settle or for the expiry sweep (llm.expire_holds, every minute), then close again.';
  end if;
  return new;
end
$$;
comment on function llm_private.tg_month_closes__check() is
  'BEFORE INSERT on month_closes, READ COMMITTED only (25000): when and who, whatever the writer gave; refuses a month_start that is not a month''s first instant in UTC (22023), a month not ended, one already closed (by itself or a later one), or one with a hold reserved before its end still open, after waiting for every transaction of the database that was running (a reserve in flight), 60 s at most (55000). One close at a time, never beside an adjustment in flight (SHARE ROW EXCLUSIVE).';
create or replace trigger _100_check before insert on llm_private.month_closes
  for each row execute function llm_private.tg_month_closes__check();
create or replace trigger _100_no_update before update or delete on llm_private.month_closes
  for each row execute function llm_private.tg_ledger__no_delete();
create or replace trigger _100_no_truncate before truncate on llm_private.month_closes
  for each statement execute function llm_private.tg_ledger__no_delete();

create or replace function llm.close_month(p_month_start timestamptz, p_reason text)
  returns table (month_start timestamptz, closed_at timestamptz, closed_by text)
  language plpgsql
  set search_path = pg_catalog
as $$
#variable_conflict use_column
declare
  c llm_private.month_closes;
begin
  -- The trigger's lock, taken before the INSERT's own ROW EXCLUSIVE: taken after it, two closes (or an adjustment and a
  -- close of one session against another's) each held the weaker lock and waited for the stronger (40P01; review 87).
  lock table llm_private.month_closes in share row exclusive mode;
  insert into llm_private.month_closes as x (month_start, closed_at, closed_by, reason)
  values (p_month_start, llm_private.now(), current_user, p_reason)
  returning x.* into c;
  return query select c.month_start, c.closed_at, c.closed_by;
end
$$;
comment on function llm.close_month(timestamptz, text) is
  'Operator, in a READ COMMITTED transaction: closes the month starting at p_month_start (its first instant in UTC) and every month before it, once it has ended and no hold reserved before its end is open (55000 otherwise). From then on an adjustment dated before its end is refused (LG001); only late settles still change it (llm.month_closes counts them). Returns what it recorded.';
revoke all on function llm.close_month(timestamptz, text) from public;
grant execute on function llm.close_month(timestamptz, text) to llm_operator;

create view llm.month_closes with (security_invoker = true) as
select c.month_start, llm_private.month_start(llm_private.month_index(c.month_start) + 1) as closes_through, c.closed_at, c.closed_by,
       c.reason,
       -- Attempts reserved in the months this close closed (after the previous close's) that ended after it: a late settle
       -- (no hold was open at the close).
       (select count(*) from llm_private.attempts a
         where a.reserved_at < llm_private.month_start(llm_private.month_index(c.month_start) + 1)
           and a.reserved_at >= coalesce((select llm_private.month_start(llm_private.month_index(max(p.month_start)) + 1)
                                            from llm_private.month_closes p where p.month_start < c.month_start), '-infinity')
           and a.ended_at >= c.closed_at)::bigint as late_settles_after
  from llm_private.month_closes c;
comment on view llm.month_closes is
  'The closed months (llm.close_month): each close closes every month before closes_through, with when, who and why. late_settles_after: attempts reserved in the months it closed (since the previous close) that ended after it: late settles (no hold was open at the close), the only way a closed month''s figures still change (llm.calls where late: the real cost replaced the full charge of an expired hold).';
grant select on llm.month_closes to llm_operator, llm_auditor, llm_viewer;

create or replace function llm_private.watched_holds_from() returns timestamptz
  language sql stable
  set search_path = pg_catalog
as $$
  select s.swept_until - interval '1 hour' from llm_private.settings s
$$;
comment on function llm_private.watched_holds_from() is
  'The holds the minute''s expiry sweep reads: those expiring after this (its watermark, settings.swept_until, less an hour). llm.expire_holds reads from here; llm.open_hold_counts counts from here.';
grant execute on function llm_private.watched_holds_from() to llm_operator, llm_auditor, llm_viewer;

/*
 * The expiry sweep (every minute): holds whose call could no longer be running are charged in
 * full (never under-count) and flagged; a late settle corrects them once. Lock order, as
 * everywhere: request -> attempt -> usage.
 *   1. Each request is taken with SKIP LOCKED, so the sweep never waits on a live settle or
 *      reserve of it (a skipped hold is picked up by the next sweep).
 *   2. Every usage row of the whole batch is locked in ONE statement, in the global usage order
 *      (meter id, then key): the order reserve and settle follow. Expiring the attempts one by one
 *      instead would lock a later attempt's lower meter (a user's month) while holding an earlier
 *      attempt's higher one (a tenant's daily model cap): a reserve of that user holds the former
 *      and waits for the latter, which deadlocked (40P01).
 *   3. The attempts expire; their usage moves on rows this transaction already holds.
 */
create or replace function llm.expire_holds(p_limit integer default 10000, p_full boolean default false) returns integer
  language plpgsql
  set search_path = pg_catalog
as $$
declare
  v_now timestamptz := llm_private.now();
  -- The watermark reads only holds that expired since the last sweep (an hour before it). A hold whose transaction committed
  -- after the watermark had passed its expiry (the money role kept its transaction open) is older than that: the full pass
  -- (p_full, daily) reads the holds of the last 35 days and leaves the watermark as it is (tenth review). 35 days, not all:
  -- the expiry's BRIN index then reads about a month of the ledger, not every month retention keeps (eleventh review).
  v_from timestamptz := case when p_full then llm_private.now() - interval '840 hours' else llm_private.watched_holds_from() end;
  r record;
  n integer := 0;
  skipped timestamptz;
  v_scanned integer := 0;
  v_last timestamptz;
  v_tenants uuid[] := '{}';
  v_pks bigint[] := '{}';
  v_nos integer[] := '{}';
begin
  perform llm_private.require_range('p_limit', p_limit, 1, 1000000);
  for r in select a.tenant_id, a.request_pk, a.attempt_no, a.expires_at from llm_private.attempts a
            where a.state = 'held' and a.expires_at <= v_now and a.expires_at > v_from
            order by a.expires_at limit p_limit loop
    v_scanned := v_scanned + 1;
    v_last := r.expires_at;
    perform 1 from llm_private.requests q where q.tenant_id = r.tenant_id and q.id = r.request_pk for update skip locked;
    if not found then
      skipped := least(skipped, r.expires_at);
      continue;
    end if;
    v_tenants := v_tenants || r.tenant_id; v_pks := v_pks || r.request_pk; v_nos := v_nos || r.attempt_no;
  end loop;
  perform 1 from llm_private.usage u
   where (u.tenant_id, u.meter_id, u.user_id, u.budget_scope, u.period_start, u.shard) in (
     select case when m.scope = 'global' then llm_private.nil_uuid() else a.tenant_id end, m.id,
            case when m.scope = 'user' then a.user_id else llm_private.nil_uuid() end,
            case when m.scope = 'budget_scope' then q.budget_scope else '' end,
            case when m."window" = 'budget_scope' then b.started_at else llm_private.period_start(m."window", a.reserved_at) end,
            llm_private.usage_shard(m.scope, m.shards, a.tenant_id, a.user_id)
       from unnest(v_tenants, v_pks, v_nos) x(tenant_id, request_pk, attempt_no)
       join llm_private.attempts a on a.tenant_id = x.tenant_id and a.request_pk = x.request_pk and a.attempt_no = x.attempt_no
       join llm_private.requests q on q.tenant_id = a.tenant_id and q.id = a.request_pk
       left join llm_private.budget_scopes b on b.tenant_id = q.tenant_id and b.scope_key = q.budget_scope
       join llm_private.meters m on m.id = any (a.meter_ids)
      where a.state = 'held')
   order by u.meter_id, u.tenant_id, u.user_id, u.budget_scope, u.period_start, u.shard
   for update of u;
  for i in 1 .. cardinality(v_pks) loop
    update llm_private.attempts a set state = 'expired'
     where a.tenant_id = v_tenants[i] and a.request_pk = v_pks[i] and a.attempt_no = v_nos[i] and a.state = 'held';
    if found then
      n := n + 1;
    end if;
  end loop;
  -- A full batch may have left older holds unread: the next sweep starts from the last one read (an hour before it).
  if p_full then
    return n;
  end if;
  update llm_private.settings s set swept_until = greatest(s.swept_until, least(coalesce(skipped, v_now), v_now - interval '10 minutes',
    case when v_scanned >= p_limit then v_last end));
  return n;
end
$$;
comment on function llm.expire_holds(integer, boolean) is
  'Operator (cron, every minute): charges in full and flags usage_unknown every hold past its expiry (the worker died, or the call outlived its timeout), reading from a watermark; p_full (cron, daily) reads every hold of the last 35 days, also those committed after the watermark passed them. Returns how many.';

/*
 * Sharded meters see an alert threshold crossed only when the shard being settled crosses its
 * own share; this catches crossings first seen on another shard (cron, every minute). It also
 * checks every subject whose cap changed since its last settle (next_alert_at reset to 0 by
 * usage_prepare): a cap lowered below the spend crossed thresholds that no settle may report.
 * Current periods only: those begun in the last 100 days (clock windows, and budget scopes, whose
 * period begins with their first call), and lifetimes (none; a sharded lifetime meter never
 * alerted; tenth review); and, for their alerts, periods ended in the last 10 minutes.
 *
 * Before that, it re-caps the subjects whose limit changed since their last hold: usage.cap followed
 * the limit only at the subject's next reserve, so a temporary increase that expired, a limit ended,
 * or a new limit (lower, or more specific) left the old cap in usage, and the alerts and trips were
 * checked against it (53 000 spent of a cap of 30 000 in effect: no alert, while the next reserve was
 * refused at 177 %). A subject is stale when the limit its rows name is no longer valid, or a limit of
 * its meter and subject that ranks before it began after its period did; both are read from the rows
 * this query scans anyway (one scan: a hash join to the few limits), so nothing more is read when no
 * limit changed. Lock order: every re-cap (usage rows, in (meter id, key) order, as expire_holds locks
 * them) comes before the first alert or window.
 *
 * A sharded subject is evaluated only when its total has something left to fire (a threshold reached
 * without its alert, a tripping cap reached without the period's trip): every active tenant was, every
 * minute (0.8 s at 10^4 tenants, review at scale). The query reads the clock once (v_now): the
 * PL/pgSQL clock called per usage row was most of what remained.
 */
create or replace function llm.evaluate_limits() returns integer
  language plpgsql
  set search_path = pg_catalog
  -- Its one query is estimated at (subjects) x (the filter's subqueries); past jit_above_cost every run compiled it, ~0.9 s
  -- of LLVM for a query that runs in ~0.1 s (review of the filter, 10^4 tenants and 1 200 tripped windows in history).
  set jit = off
as $$
declare
  r record;
  n integer := 0;
  v_now timestamptz := llm_private.now();
  e llm_private.limits;
  v_tenants uuid[] := '{}';
  v_meters smallint[] := '{}';
  v_users uuid[] := '{}';
  v_scopes text[] := '{}';
  v_periods timestamptz[] := '{}';
  v_shards smallint[] := '{}';
  v_spent bigint[] := '{}';
  v_caps bigint[] := '{}';
  v_limits integer[] := '{}';
  v_recapped boolean[] := '{}';
  v_due boolean[] := '{}';
  v_recap boolean;
  v_checked integer;
  v_cap bigint;
  v_limit integer;
begin
  -- Phase 1: the subjects to look at, and the re-caps, in meter order.
  for r in with recent as materialized (
             -- Limits valid now that began in the last 100 days (a limit set, or a future one that started): usually none.
             -- from_period: the first period of its meter not ended 10 minutes ago (the rows the main query reads below).
             select b.id, b.meter_id, b.tenant_id, b.user_id, b.valid_from, b.valid_until, b.temporary,
                    case when m."window" in ('none', 'budget_scope', 'request') then '-infinity'::timestamptz
                         else llm_private.period_start(m."window", v_now - interval '10 minutes') end as from_period
               from llm_private.limits b join llm_private.meters m on m.id = b.meter_id
              where b.valid_from > v_now - interval '2400 hours' and b.valid_from <= v_now and b.valid_until > v_now
           ), reached as (
             -- Their subjects' current rows from before they began: a tenant's or a user's limit by the usage key (an index
             -- range), everyone's over the meter's rows.
             select u.tenant_id, u.meter_id, u.user_id, u.budget_scope, u.period_start, u.limit_id,
                    b.id as b_id, b.tenant_id as b_tenant, b.user_id as b_user, b.temporary as b_temporary, b.valid_from as b_from
               from recent b join llm_private.usage u on u.tenant_id = b.tenant_id and u.meter_id = b.meter_id
              where b.tenant_id is not null and (b.user_id is null or u.user_id = b.user_id) and u.shard = 0
                and u.period_start < b.valid_from and u.period_start >= b.from_period
                and (u.period_start >= v_now - interval '2400 hours' or u.period_start = '-infinity')
             union all
             select u.tenant_id, u.meter_id, u.user_id, u.budget_scope, u.period_start, u.limit_id, b.id, b.tenant_id, b.user_id, b.temporary,
                    b.valid_from
               from recent b join llm_private.usage u on u.meter_id = b.meter_id
              where b.tenant_id is null and (b.user_id is null or u.user_id = b.user_id) and u.shard = 0
                and u.period_start < b.valid_from and u.period_start >= b.from_period
                and (u.period_start >= v_now - interval '2400 hours' or u.period_start = '-infinity')
           ), outranked as (
             -- ... whose rows name a limit that the new one ranks before (applicable_limits' order): not the one in effect.
             select distinct o.tenant_id, o.meter_id, o.user_id, o.budget_scope, o.period_start
               from reached o left join llm_private.limits x on x.id = o.limit_id
              where x.id is null
                 or (o.b_user is not null, o.b_tenant is not null, o.b_temporary,
                     case when o.b_temporary then '-infinity'::timestamptz else o.b_from end, o.b_id)
                    > (x.user_id is not null, x.tenant_id is not null, x.temporary,
                       case when x.temporary then '-infinity'::timestamptz else x.valid_from end, x.id)
           )
           select g.* from (
           select u.tenant_id, u.meter_id, u.user_id, u.budget_scope, u.period_start, m.shards, m.scope,
                  llm_private.period_end(m."window", u.period_start) as period_end,
                  sum(u.spent)::bigint as spent, max(u.cap) as cap, max(u.limit_id) as limit_id,
                  bool_or(u.next_alert_at <= u.spent and u.spent > 0) as alert_due,
                  -- stale: the limit the rows name has ended (expired, ended, replaced), or another ranks before it now; in a
                  -- current period only (usage_recaps leaves an ended one as it is: re-capped each run of the 10 minutes after)
                  bool_or(x.id is null or x.valid_until <= v_now or o.meter_id is not null)
                    and llm_private.period_end(m."window", u.period_start) > v_now as stale
             -- Each meter's rows of the periods not ended 10 minutes ago, by (meter_id, period_start): from the start of the
             -- period that contains that instant (every other ended before it); a lifetime's or a budget scope's all. Read as
             -- the join of every usage row of the 2400 hours with its meter, a meter per minute (one row per subject, shard
             -- and minute) made every run read them all: 0.45-0.52 s a minute for one global 8-shard meter and 30 days of
             -- minutes, growing with its subjects (review of e5ed108).
             -- (A lateral per meter, kept one by OFFSET 0, so that each is an index range: pulled up into a join, the planner
             -- hashed every row of the 2400 hours.)
             from llm_private.meters m
             cross join lateral (
               select * from llm_private.usage u
                where u.meter_id = m.id
                  and u.period_start >= case when m."window" in ('none', 'budget_scope', 'request') then '-infinity'::timestamptz
                                             else llm_private.period_start(m."window", v_now - interval '10 minutes') end
               offset 0) u
             left join llm_private.limits x on x.id = u.limit_id
             left join outranked o on o.tenant_id = u.tenant_id and o.meter_id = u.meter_id and o.user_id = u.user_id
                                  and o.budget_scope = u.budget_scope and o.period_start = u.period_start
            where (m.shards > 1 or (u.next_alert_at <= u.spent and u.spent > 0) or x.id is null or x.valid_until <= v_now
                   or o.meter_id is not null)
              -- (period_start alone, so that the months before are pruned: a test on the meter's window scanned them all)
              and (u.period_start >= v_now - interval '2400 hours' or u.period_start = '-infinity')
              -- and periods ended in the last 10 minutes: a crossing on a shard that checks nothing, committed after the
              -- period's last run (or while it ran, after its snapshot), had no later run to find it (review of the filter)
              and llm_private.period_end(m."window", u.period_start) > v_now - interval '10 minutes'
            group by u.tenant_id, u.meter_id, u.user_id, u.budget_scope, u.period_start, m.shards, m.scope, m."window"
           ) g
           -- A sharded meter's subject only when its total has something left to fire: a threshold it reached with no alert
           -- yet (the alert's key), or a cap it reached that trips a shutoff with no trip this period (the window guard's own
           -- once-per-period test, cancelled windows included). Any other would insert nothing: evaluating every active tenant
           -- each minute took 0.8 s at 10^4 tenants, and grew with them (review at scale). Spend above 0 only, as a settle
           -- checks it: nothing spent crosses nothing, and a cap of 0 is crossed by the first charge (review 91).
           where g.stale or g.alert_due
              or (g.shards > 1 and g.spent > 0 and exists (
                    select 1 from llm_private.limits l
                     where l.id = g.limit_id
                       and ((l.trips_shutoff and g.spent >= g.cap and g.scope in ('global', 'tenant', 'user') and g.period_end > v_now
                             and not exists (select 1 from llm_private.shutoff_windows w
                                              where w.kind = 'tripped' and w.limit_id = l.id and w.scope = g.scope
                                                and w.tenant_id is not distinct from case when g.scope <> 'global' then g.tenant_id end
                                                and w.user_id is not distinct from case when g.scope = 'user' then g.user_id end
                                                and w.starts_at >= g.period_start))
                            or exists (select 1 from pg_catalog.unnest(l.alert_pcts) t(pct)
                                        where g.spent::numeric * 100 >= g.cap::numeric * t.pct
                                          and not exists (select 1 from llm_private.alerts a
                                                           where a.tenant_id = g.tenant_id and a.meter_id = g.meter_id
                                                             and a.user_id = g.user_id and a.budget_scope = g.budget_scope
                                                             and a.period_start = g.period_start and a.threshold_pct = t.pct)))))
            -- meter order, as a settle's alerts and trips go (trip_shutoff locks per limit and subject), and as usage rows are locked
            order by g.meter_id, g.tenant_id, g.user_id, g.budget_scope, g.period_start loop
    v_recap := false;
    if r.stale then
      e := llm_private.limit_in_effect(r.meter_id, r.tenant_id, r.user_id, v_now);
      -- No limit applies now: the meter no longer counts for the subject, and there is no cap to alert on.
      continue when e.id is null;
      -- The trigger re-caps (or names the limit when the cap is the same), locking the subject's shards in shard order.
      insert into llm_private.usage_recaps (tenant_id, meter_id, user_id, budget_scope, period_start)
      values (r.tenant_id, r.meter_id, r.user_id, r.budget_scope, r.period_start);
      v_recap := true;
    end if;
    if r.alert_due or v_recap then
      -- A shard whose spend reached its next_alert_at (0 after a re-cap, until its next settle): phase 2 checks it as its
      -- settle would and moves it to its next level; its rows are locked now, in shard order, as a re-cap locks them.
      -- Also after a re-cap, which may have changed (and locked) nothing: a reserve had re-capped the subject since this
      -- query's snapshot. Locked in phase 2 instead, after other subjects' alerts, it deadlocked with settles (review).
      perform 1 from llm_private.usage u
       where u.tenant_id = r.tenant_id and u.meter_id = r.meter_id and u.user_id = r.user_id and u.budget_scope = r.budget_scope
         and u.period_start = r.period_start
       order by u.shard for update;
    end if;
    v_due := v_due || (r.alert_due or v_recap);
    v_tenants := v_tenants || r.tenant_id; v_meters := v_meters || r.meter_id; v_users := v_users || r.user_id;
    v_scopes := v_scopes || r.budget_scope; v_periods := v_periods || r.period_start; v_shards := v_shards || r.shards;
    v_spent := v_spent || r.spent; v_caps := v_caps || r.cap; v_limits := v_limits || r.limit_id; v_recapped := v_recapped || v_recap;
  end loop;
  -- Phase 2: alerts and trips from the totals, against the cap the rows now have.
  for i in 1 .. coalesce(cardinality(v_meters), 0) loop
    v_cap := v_caps[i]; v_limit := v_limits[i];
    if v_recapped[i] then
      select max(u.cap), max(u.limit_id) into v_cap, v_limit from llm_private.usage u
       where u.tenant_id = v_tenants[i] and u.meter_id = v_meters[i] and u.user_id = v_users[i] and u.budget_scope = v_scopes[i]
         and u.period_start = v_periods[i];
    end if;
    v_checked := 0;
    if v_due[i] then
      -- Its due shards, as their settles would check them (which also moves them on: left at 0 after a re-cap, every subject
      -- of a changed default limit was evaluated each minute until its next settle).
      insert into llm_private.usage_alert_checks (tenant_id, meter_id, user_id, budget_scope, period_start)
      values (v_tenants[i], v_meters[i], v_users[i], v_scopes[i], v_periods[i]);
      get diagnostics v_checked = row_count;
    end if;
    if v_checked = 0 then
      perform llm_private.usage_after_spend(v_meters[i], v_tenants[i], v_users[i], v_scopes[i], v_periods[i], null, v_spent[i], v_cap,
        v_shards[i], 0, v_limit, v_cap);
    end if;
    n := n + 1;
  end loop;
  return n;
end
$$;
comment on function llm.evaluate_limits() is 'Operator (cron, every minute): first re-caps the subjects whose limit changed since their last hold (a limit set or ended, a temporary one expired: their usage rows take the cap in effect now, llm_private.usage_recaps), then alerts and trips, from their totals, the sharded meters'' current periods (and those ended in the last 10 minutes, for their alerts) that have a threshold or a tripping cap reached and not yet fired, and the subjects whose cap changed since their last settle (a lowered cap). Returns how many subjects it evaluated.';

/*
 * Lost requests: queued or running, their job gone or spent, holding nothing. The minute's run reads the requests of the
 * last two days (their months' partitions, and the blocks of created_at's BRIN index): reading every partition for
 * their state took 0.5 s a minute at 2x10^6 requests, and grew with the whole retention (review at scale). The daily
 * run (p_full, with the full expiry sweep) reads them all, so a request lost more than two days after its claim (a job
 * retried for days) ends within a day.
 */
create or replace function llm.fail_lost_requests(p_full boolean default false) returns integer
  language plpgsql
  set search_path = pg_catalog
as $$
declare
  n integer;
  v_now timestamptz := llm_private.now();
  v_since timestamptz := case when p_full then '-infinity' else v_now - interval '48 hours' end;
  v_since_pk bigint := case when p_full then 0 else llm_private.month_index(v_now - interval '48 hours')::bigint << 40 end;
begin
  with lost as (
    select q.tenant_id, q.id,
           case when j.id is null then 'job_lost' else 'attempts_exhausted' end::llm_private.reason as reason
      from llm_private.requests q
      left join graphile_worker.jobs j on j.id = q.job_id
     where q.state in ('queued', 'running')
       and q.id >= v_since_pk and q.created_at >= v_since
       and q.created_at < v_now - interval '1 minute'
       and (q.job_id is null or j.id is null or (j.attempts >= j.max_attempts and j.locked_at is null))
       and not exists (select 1 from llm_private.attempts a where a.tenant_id = q.tenant_id and a.request_pk = q.id and a.state = 'held'))
  update llm_private.requests q set state = 'failed', reason = lost.reason
    from lost where q.tenant_id = lost.tenant_id and q.id = lost.id and q.state in ('queued', 'running')
     and q.id >= v_since_pk and q.created_at >= v_since;    -- (the same bounds: the join read every partition)
  get diagnostics n = row_count;
  return n;
end
$$;
comment on function llm.fail_lost_requests(boolean) is
  'Operator (cron): a request older than a minute whose job is gone, never existed (a claim inserted by hand and never completed by llm.enqueue_call) or has failed its last attempt, and that holds nothing, ends failed (job_lost, attempts_exhausted): nothing stays open after its last attempt. Every minute, the requests claimed in the last two days; p_full (daily), every request. Returns how many.';

/* The first instant the ledger keeps: drop_expired_partitions keeps the months from here (settings.ledger_retention_months). */
create or replace function llm_private.ledger_kept_from() returns timestamptz
  language sql stable
  set search_path = pg_catalog
as $$
  select llm_private.month_start(llm_private.month_index(llm_private.now()) - s.ledger_retention_months + 1) from llm_private.settings s
$$;
comment on function llm_private.ledger_kept_from() is
  'The start (UTC) of the oldest month the ledger keeps (settings.ledger_retention_months, this month included): what is older is dropped (ledger partitions) or purged (breaker transitions).';

create or replace function llm.purge_expired(p_limit integer default 10000)
  returns table (traces bigint, outputs bigint, cache_entries bigint, claim_keys bigint, breaker_transitions bigint)
  language plpgsql
  set search_path = pg_catalog
as $$
declare
  t bigint; o bigint; c bigint; k bigint; b bigint;
  v_now timestamptz := llm_private.now();
  v_kept_from timestamptz := llm_private.ledger_kept_from();
begin
  perform llm_private.require_range('p_limit', p_limit, 1, 1000000);
  delete from llm_private.reasoning_traces x where x.ctid = any (array(
    select y.ctid from llm_private.reasoning_traces y where y.expires_at <= v_now limit p_limit));
  get diagnostics t = row_count;
  delete from llm_private.call_outputs x where x.ctid = any (array(
    select y.ctid from llm_private.call_outputs y where y.expires_at <= v_now limit p_limit));
  get diagnostics o = row_count;
  delete from llm_private.cache_entries x where x.ctid = any (array(
    select y.ctid from llm_private.cache_entries y where y.expires_at <= v_now limit p_limit));
  get diagnostics c = row_count;
  -- Claim key rows seen committed (inserted by hand, or by a claim that found one committed meanwhile): they order
  -- nothing any more. A row a claim holds right now (taken over by its ON CONFLICT DO UPDATE) is skipped, not waited for.
  delete from llm_private.claim_mutexes x where x.ctid = any (array(
    select y.ctid from llm_private.claim_mutexes y limit p_limit for update skip locked));
  get diagnostics k = row_count;
  -- The breaker's history is kept as long as the ledger whose refusals it explains (its guard refuses younger rows).
  delete from llm_private.breaker_transitions x where x.id = any (array(
    select y.id from llm_private.breaker_transitions y where y.changed_at < v_kept_from order by y.changed_at limit p_limit));
  get diagnostics b = row_count;
  return query select t, o, c, k, b;
end
$$;
comment on function llm.purge_expired(integer) is
  'Operator (cron, hourly): deletes reasoning traces, final outputs and cache entries past their retention, the claim key rows left committed (llm_private.claim_mutexes), and breaker transitions older than the ledger''s retention (settings.ledger_retention_months, whole UTC months). At most p_limit of each. The ledger is never purged row by row: whole months are dropped (llm_maint.drop_expired_partitions).';

create view llm.model_catalog with (security_invoker = true) as
select m.provider, m.model, m.provider || ':' || m.model as model_ref, m.kind, m.max_output_tokens, m.token_parameter, m.training_allowed,
       p.input_per_mtok_micros, p.cached_input_per_mtok_micros, p.output_per_mtok_micros, p.effective_from as price_effective_from,
       coalesce((select array_agg(f.fallback_provider || ':' || f.fallback_model order by f.position) from llm_private.model_fallbacks f
                  where f.provider = m.provider and f.model = m.model), '{}') as fallbacks
  from llm_private.models m
  left join lateral (select x.* from llm_private.model_prices x where x.provider = m.provider and x.model = m.model
                        and x.effective_from <= llm_private.now() order by x.effective_from desc limit 1) p on true;
comment on view llm.model_catalog is 'Every model with its price in effect (NULL: not callable, unknown_model) and fallback chain.';

create view llm.limits with (security_invoker = true) as
select l.id as limit_id, m.name as meter_name, m.scope::text as scope, m."window"::text as "window", m.unit::text as unit,
       m.tenant_id as meter_tenant_id, m.provider, m.model, m.endpoint::text as endpoint, m.shards,
       l.tenant_id, l.user_id, l.cap, l.kind::text as kind, l.action::text as action, l.min_output_tokens, l.trips_shutoff, l.alert_pcts,
       l.pressure_pct, l.pressure_model, l.valid_from, l.valid_until, l.temporary,
       l.valid_from <= llm_private.now() and l.valid_until > llm_private.now() and (m.disabled_at is null or m.disabled_at > llm_private.now())
       -- not overridden for its own subject by another valid limit of the meter that llm_private.applicable_limits ranks
       -- first (temporary over permanent; then the newest temporary, the permanent one that started last)
       and not exists (select 1 from llm_private.limits x
                         where x.meter_id = l.meter_id and x.id <> l.id and x.tenant_id is not distinct from l.tenant_id
                           and x.user_id is not distinct from l.user_id
                           and x.valid_from <= llm_private.now() and x.valid_until > llm_private.now()
                           and (x.temporary, case when x.temporary then '-infinity'::timestamptz else x.valid_from end, x.id)
                               > (l.temporary, case when l.temporary then '-infinity'::timestamptz else l.valid_from end, l.id)) as in_effect,
       l.note, l.created_at, l.created_by
  from llm_private.limits l join llm_private.meters m on m.id = l.meter_id;
comment on view llm.limits is 'Every limit row with its meter: who it caps, by how much, how, and whether it is in effect now: valid now, its meter enabled, and not overridden for the same subject (tenant, user) by a temporary limit of the meter, or a newer temporary one, or a permanent one that started later; temporary: set with an end of its own. A tenant''s or user''s own limit overrides everyone''s only for that subject: everyone''s stays in effect for the others.';

/*
 * The worker's login (llm_worker) may SET ROLE llm_operator for its sweeps only: expiring holds, evaluating limits (alerts,
 * tripped windows), failing lost requests, purging what is past retention. Every other operator change (tenants and their
 * consent, limits and meters, models, prices and fallbacks, settings, adjustments, breakers by hand, cache settings, manual
 * or scheduled shutoffs and cancelling them, erasing stored content) is refused from that login: a compromised worker held every operator power
 * (review of 2026-11-26). session_user is the login, which SET ROLE does not change; current_user is the role acting, so
 * the worker's own money role (its settles write breakers) is not concerned.
 */
create or replace function llm_private.from_worker_login_as_operator() returns boolean
  language plpgsql stable
  set search_path = pg_catalog
as $$
begin
  return session_user::text = 'llm_worker' and current_user::text = 'llm_operator';
end
$$;
comment on function llm_private.from_worker_login_as_operator() is
  'True when the worker''s login acts as llm_operator (its sweeps): the operator''s other changes refuse it. PL/pgSQL, whose plan lives for the session: as an SQL function with a SET clause (not inlined) it was planned again in every transaction, on every settle''s request update (-0.7 % instructions per pair, bench/PROFILE.md §21).';

create or replace function llm_private.tg_operator_changes__not_from_worker() returns trigger
  language plpgsql
  set search_path = pg_catalog
as $$
begin
  if not llm_private.from_worker_login_as_operator() then
    return coalesce(new, old);
  end if;
  -- What the sweeps write: expire_holds moves settings.swept_until; evaluate_limits opens tripped windows.
  -- (nested: plpgsql does not short-circuit, and new.kind exists only on shutoff_windows)
  -- swept_until only as expire_holds sets it, never past now - 10 min: set to 'infinity', it stopped every later sweep.
  -- Retained texts only once expired, as purge_expired deletes them: not a tenant's undelivered answers, cache or traces.
  if tg_table_name = 'settings' and tg_op = 'UPDATE' then
    if (to_jsonb(new) - 'swept_until') = (to_jsonb(old) - 'swept_until')
       and (to_jsonb(new) ->> 'swept_until')::timestamptz <= llm_private.now() - interval '10 minutes' then
      return new;
    end if;
  elsif tg_table_name = 'shutoff_windows' and tg_op = 'INSERT' then
    if to_jsonb(new) ->> 'kind' = 'tripped' then
      return new;
    end if;
  elsif tg_table_name in ('call_outputs', 'reasoning_traces', 'cache_entries') and tg_op = 'DELETE' then
    if (to_jsonb(old) ->> 'expires_at')::timestamptz <= llm_private.now() then
      return old;
    end if;
  -- A request only as llm.fail_lost_requests ends it: older than a minute, its job gone or spent, holding nothing, failed
  -- job_lost | attempts_exhausted. From this login the policy operator_fail had let any request of any tenant be made
  -- done or refused by hand (ninth review).
  elsif (tg_table_name = 'requests' or tg_table_name like E'requests\\_%') and tg_op = 'UPDATE' then   -- fired on its partitions
    if old.state in ('queued', 'running') and new.state = 'failed' and new.reason in ('job_lost', 'attempts_exhausted')
       and old.created_at < llm_private.now() - interval '1 minute'
       and not exists (select 1 from llm_private.attempts a where a.tenant_id = old.tenant_id and a.request_pk = old.id and a.state = 'held')
       and not exists (select 1 from graphile_worker.jobs j
                        where j.id = old.job_id and (j.attempts < j.max_attempts or j.locked_at is not null)) then
      return new;
    end if;
  end if;
  raise exception using errcode = '42501', message = format('%s on llm_private.%s is not made from the worker''s login', tg_op, tg_table_name),
    detail = 'llm_worker may act as llm_operator for the sweeps only.',
    hint = 'Log in as llm_operator for operator changes.';
end
$$;
comment on function llm_private.tg_operator_changes__not_from_worker() is
  'Refuses the operator''s changes (but the sweeps'' own writes) when made from the worker''s login (llm_worker acting as llm_operator).';
do $$
declare
  t text;
begin
  foreach t in array array['tenants', 'limits', 'meters', 'models', 'model_prices', 'model_fallbacks', 'settings', 'endpoint_settings',
      'adjustments', 'provider_breakers', 'shutoff_windows', 'call_outputs', 'reasoning_traces', 'cache_entries', 'requests',
      'month_closes', 'usage_repairs', 'erasures', 'request_inputs'] loop
    execute format('create or replace trigger _050_not_from_worker before insert or update or delete on llm_private.%I
                      for each row execute function llm_private.tg_operator_changes__not_from_worker()', t);
  end loop;
end
$$;

grant execute on function llm.upsert_tenant(uuid, text), llm.set_model_price(text, text, bigint, bigint, bigint, timestamptz),
  llm.define_model(text, text, integer, boolean, bigint, bigint, bigint, text, text), llm.set_fallbacks(text, text, text[]),
  llm.define_meter(text, text, text, text, uuid, text, text, text, integer), llm.disable_meter(text),
  llm.set_limit(text, bigint, uuid, uuid, text, text, timestamptz, timestamptz, smallint[], boolean, smallint, text, integer, text),
  llm.end_limit(integer), llm.set_setting(text, text), llm.adjust_usage(uuid, uuid, bigint, text, timestamptz),
  llm.expire_holds(integer, boolean), llm.evaluate_limits(), llm.fail_lost_requests(boolean), llm.purge_expired(integer),
  llm_private.ledger_kept_from() to llm_operator;
grant execute on function llm_private.from_worker_login_as_operator() to llm_operator, llm_money, llm_app, llm_worker;  -- requests' guard fires for all of them
grant select on llm.model_catalog to llm_operator, llm_auditor, llm_viewer, llm_money, llm_worker;
grant select on llm.limits to llm_operator, llm_auditor, llm_viewer;
