--! Previous: sha1:6bb8ec4f3a32e25cb36e953021bef5903fc359f1
--! Hash: sha1:6298706e2d15dc84d6e7750809f4b88a7b63b307
--! Message: ledger

/*
 * The budget ledger: models and prices, per-endpoint request caps, request claims, reservations
 * (one per attempt), spend rollups, the decision audit, and shutoff windows.
 * Money is bigint micro-USD everywhere; no floats. Every table: ENABLE + FORCE RLS.
 */
-- Idempotent while in current.sql (graphile-migrate watch re-runs it).
drop table if exists llm_private.provider_breakers, llm_private.shutoff_windows, llm_private.decisions,
  llm_private.spend_rollups, llm_private.reservations, llm_private.requests, llm_private.endpoint_policies,
  llm_private.model_fallbacks, llm_private.model_prices, llm_private.models, llm_private.settings cascade;
drop type if exists llm_private.endpoint cascade;
drop function if exists llm_private.tg_reservations__guard_transition(), llm_private.tg_requests__guard_transition(),
  llm_private.tg_shutoff_windows__guard_clear(), llm_private.tg_reservations__born_held(), llm_private.tg_requests__born_open(),
  llm_private.tg_spend_rollups__spend_only_grows() cascade;

create type llm_private.endpoint as enum ('route', 'explanation', 'investigation', 'budget_optimization');
comment on type llm_private.endpoint is 'The kinds of LLM work the product governs.';

/* ------------------------------------------------------------------ shared configuration */

create table llm_private.settings (
  id boolean primary key default true check (id),
  global_hourly_shutoff_micros bigint check (global_hourly_shutoff_micros >= 0),
  hold_margin_ms integer not null default 30000 check (hold_margin_ms between 0 and 3600000),
  max_attempts_per_request integer not null default 5 check (max_attempts_per_request between 1 and 100)
);
comment on table llm_private.settings is 'One row of global settings, written by the operator only.';
comment on column llm_private.settings.global_hourly_shutoff_micros is 'Spend per clock hour across all tenants that trips a global shutoff; NULL = none (and no global hot row is kept).';
comment on column llm_private.settings.hold_margin_ms is 'Added to the call timeout to give a hold its expiry.';
comment on column llm_private.settings.max_attempts_per_request is 'Attempts (reservations) one claimed request may make in all.';

create table llm_private.models (
  provider text not null check (provider ~ '^[a-z0-9_-]{1,40}$'),
  model text not null check (length(model) between 1 and 200),
  max_output_tokens integer not null check (max_output_tokens between 1 and 1000000),
  training_allowed boolean not null default false,
  created_at timestamptz not null default now(),
  primary key (provider, model)
);
comment on table llm_private.models is 'Models we may call, per provider. A model without a price in effect is refused (unknown_model).';
comment on column llm_private.models.training_allowed is 'The model''s terms allow using its outputs for training (distillation gate).';

create table llm_private.model_prices (
  id bigint generated always as identity primary key,
  provider text not null,
  model text not null,
  effective_from timestamptz not null,
  input_per_mtok_micros bigint not null check (input_per_mtok_micros between 0 and 1000000000000),
  cached_input_per_mtok_micros bigint not null check (cached_input_per_mtok_micros between 0 and 1000000000000),
  output_per_mtok_micros bigint not null check (output_per_mtok_micros between 0 and 1000000000000),
  created_at timestamptz not null default now(),
  foreign key (provider, model) references llm_private.models,
  unique (provider, model, effective_from)
);
comment on table llm_private.model_prices is 'Prices per million tokens in micro-USD, effective from an instant. Append-only: a new price is a new row, so past costs never change.';

create table llm_private.model_fallbacks (
  provider text not null,
  model text not null,
  position smallint not null check (position between 1 and 10),
  fallback_provider text not null,
  fallback_model text not null,
  primary key (provider, model, position),
  foreign key (provider, model) references llm_private.models,
  foreign key (fallback_provider, fallback_model) references llm_private.models,
  check ((provider, model) <> (fallback_provider, fallback_model))
);
comment on table llm_private.model_fallbacks is 'The ordered fallback chain of a model: cheaper or healthier models reserve may choose instead.';

create table llm_private.endpoint_policies (
  id bigint generated always as identity primary key,
  tenant_id uuid references llm_private.tenants (id),
  endpoint llm_private.endpoint not null,
  per_request_cap_micros bigint not null check (per_request_cap_micros between 0 and 1000000000000),
  over_cap_action text not null default 'cap' check (over_cap_action in ('cap', 'fallback', 'block')),
  min_output_tokens integer not null default 16 check (min_output_tokens between 1 and 100000),
  unique nulls not distinct (tenant_id, endpoint)
);
comment on table llm_private.endpoint_policies is 'Per-request cost cap per endpoint: a row with tenant_id NULL is the default, a tenant row overrides it.';
comment on column llm_private.endpoint_policies.over_cap_action is 'When the worst case exceeds the cap: cap (lower max output tokens, else try fallbacks), fallback (try the chain, else cap), or block.';
comment on column llm_private.endpoint_policies.min_output_tokens is 'A cap decision never grants fewer output tokens than this; below it reserve tries fallbacks or blocks.';

/* ------------------------------------------------------------------ the ledger */

create table llm_private.requests (
  id bigint generated always as identity unique,
  tenant_id uuid not null,
  user_id uuid not null,
  request_id text not null check (length(request_id) between 1 and 200),
  endpoint llm_private.endpoint not null,
  fingerprint text not null check (length(fingerprint) = 32),
  state text not null default 'open' check (state in ('open', 'done', 'refused')),
  attempt_count integer not null default 0 check (attempt_count between 0 and 100),
  last_caller_attempt integer check (last_caller_attempt between 1 and 1000),
  spent_micros bigint not null default 0 check (spent_micros >= 0),
  created_at timestamptz not null,
  updated_at timestamptz not null,
  primary key (tenant_id, request_id, endpoint),
  foreign key (tenant_id, user_id) references llm_private.users (tenant_id, id)
);
comment on table llm_private.requests is 'One claim per (tenant, request_id, endpoint): duplicates and retries find it and never charge twice.';
comment on column llm_private.requests.fingerprint is 'md5 of the money-relevant parameters (user, model, token figures); a duplicate id with other parameters is refused (request_conflict).';
comment on column llm_private.requests.state is 'open (may reserve again), done (settled successfully: replays only), refused (last decision was a block; may be asked again).';
comment on column llm_private.requests.spent_micros is 'Settled cost of all attempts so far; the per-request cap applies to it plus the next worst case.';

create table llm_private.reservations (
  id bigint generated always as identity primary key,
  tenant_id uuid not null,
  user_id uuid not null,
  request_pk bigint not null references llm_private.requests (id),
  request_id text not null,
  endpoint llm_private.endpoint not null,
  attempt integer not null check (attempt between 1 and 100),
  caller_attempt integer not null check (caller_attempt between 1 and 1000),
  decision text not null check (decision in ('allow', 'cap', 'fallback')),
  requested_provider text not null,
  requested_model text not null,
  provider text not null,
  model text not null,
  price_id bigint not null references llm_private.model_prices (id),
  input_tokens_estimate integer not null check (input_tokens_estimate between 0 and 10000000),
  max_output_tokens integer not null check (max_output_tokens between 1 and 1000000),
  held_micros bigint not null check (held_micros >= 0),
  holds_global boolean not null,
  month_start timestamptz not null,
  hour_start timestamptz not null,
  reserved_at timestamptz not null,
  expires_at timestamptz not null check (expires_at > reserved_at),
  state text not null default 'held' check (state in ('held', 'settled', 'released', 'expired')),
  ended_at timestamptz,
  end_reason text check (length(end_reason) <= 200),
  settled_at timestamptz,
  input_tokens integer check (input_tokens between 0 and 10000000),
  cached_input_tokens integer check (cached_input_tokens between 0 and 10000000),
  output_tokens integer check (output_tokens between 0 and 10000000),
  cost_micros bigint check (cost_micros >= 0),
  overrun_micros bigint check (overrun_micros >= 0),
  latency_ms integer check (latency_ms between 0 and 86400000),
  provider_status text check (provider_status in ('ok', 'error', 'timeout', 'rate_limited', 'malformed', 'network', 'client_error')),
  usage_estimated boolean,
  late boolean not null default false,
  check (state <> 'settled' or (settled_at is not null and cost_micros is not null and overrun_micros is not null and provider_status is not null)),
  foreign key (tenant_id, user_id) references llm_private.users (tenant_id, id)
);
comment on table llm_private.reservations is 'One row per attempt: the worst-case hold, then its settlement. held -> settled | released | expired; expired -> settled once (late settle); settled and released are final.';
comment on column llm_private.reservations.held_micros is 'Worst case held against the month and hour rollups while state = held. Never changed.';
comment on column llm_private.reservations.holds_global is 'The hold also counts on the global hourly rollup (a global threshold was set at reserve time).';
comment on column llm_private.reservations.overrun_micros is 'Real cost above what was still held at settle (the estimate was low, or the settle came late). The month may pass its cap by at most this.';
comment on column llm_private.reservations.late is 'Settled after the hold had expired or been superseded by a retry.';
comment on column llm_private.reservations.end_reason is 'Why a hold ended without a settle: released (caller''s reason), expired, superseded by a retry.';

create table llm_private.spend_rollups (
  tenant_id uuid not null,
  user_id uuid not null,
  scope text not null check (scope in ('user', 'tenant', 'global')),
  period text not null check (period in ('month', 'hour')),
  period_start timestamptz not null,
  held_micros bigint not null default 0 check (held_micros >= 0),
  spent_micros bigint not null default 0 check (spent_micros >= 0),
  primary key (tenant_id, user_id, scope, period, period_start),
  check (scope <> 'global' or (tenant_id = '00000000-0000-0000-0000-000000000000' and user_id = '00000000-0000-0000-0000-000000000000')),
  check (scope <> 'tenant' or user_id = '00000000-0000-0000-0000-000000000000'),
  check (period <> 'month' or scope <> 'global')
);
comment on table llm_private.spend_rollups is 'Held and spent micro-USD per user, tenant and (when a global threshold is set) everyone, per calendar month and clock hour. Caps are enforced on these rows by reserve under row locks.';

create table llm_private.decisions (
  id bigint generated always as identity primary key,
  decided_at timestamptz not null,
  tenant_id uuid not null,
  user_id uuid not null,
  request_id text not null check (length(request_id) between 1 and 200),
  endpoint llm_private.endpoint not null,
  caller_attempt integer not null,
  reservation_id bigint references llm_private.reservations (id),
  decision text not null check (decision in ('allow', 'cap', 'fallback', 'block', 'replay')),
  reason text not null check (reason in ('ok', 'over_request_cap', 'per_request_cap', 'user_monthly_cap', 'tenant_monthly_cap',
    'hourly_shutoff', 'manual_shutoff', 'unknown_model', 'breaker_open', 'request_conflict', 'attempts_exhausted',
    'already_settled', 'in_flight', 'cache_hit')),
  requested_provider text not null,
  requested_model text not null,
  provider text,
  model text,
  input_tokens_estimate integer not null,
  requested_max_output_tokens integer not null,
  granted_max_output_tokens integer,
  worst_case_micros bigint,
  limit_name text,
  limit_micros bigint,
  used_micros bigint
);
comment on table llm_private.decisions is 'Append-only audit of every reserve decision, allowed or refused, with the figures it compared.';
comment on column llm_private.decisions.used_micros is 'Spent + held on the limit that decided, before this request.';

create table llm_private.shutoff_windows (
  id bigint generated always as identity primary key,
  scope text not null check (scope in ('global', 'tenant', 'user')),
  tenant_id uuid references llm_private.tenants (id),
  user_id uuid,
  kind text not null check (kind in ('hourly_threshold', 'manual')),
  starts_at timestamptz not null,
  ends_at timestamptz,
  reason text not null check (length(reason) between 1 and 500),
  tripped_by text not null check (length(tripped_by) between 1 and 300),
  threshold_micros bigint,
  observed_micros bigint,
  cleared_at timestamptz,
  cleared_by text check (length(cleared_by) <= 300),
  check ((scope = 'global') = (tenant_id is null)),
  check ((scope = 'user') = (user_id is not null)),
  check (ends_at is null or ends_at > starts_at),
  check (kind = 'manual' or ends_at is not null)
);
comment on table llm_private.shutoff_windows is 'Emergency shutoff windows at global, tenant or user scope: tripped by hourly spend (ending with the hour) or by an operator (until a time, or until cleared). They end by time alone.';

/* Indexes led by the policy columns (see STACK-FACTS: the planner otherwise misjudges them). */
create index reservations_held_idx on llm_private.reservations (tenant_id, user_id, expires_at) where state = 'held';
create index reservations_expiry_idx on llm_private.reservations (expires_at) where state = 'held';
create index reservations_request_idx on llm_private.reservations (request_pk, state);
create index decisions_tenant_idx on llm_private.decisions (tenant_id, user_id, decided_at);
create index decisions_refusal_idx on llm_private.decisions (tenant_id, reason, decided_at) where decision = 'block';
create index requests_user_idx on llm_private.requests (tenant_id, user_id);
create index shutoff_windows_open_idx on llm_private.shutoff_windows (scope, tenant_id, user_id) where cleared_at is null;
create statistics llm_private.requests_tenant_user_stats (dependencies, ndistinct) on tenant_id, user_id from llm_private.requests;
create statistics llm_private.reservations_tenant_user_stats (dependencies, ndistinct) on tenant_id, user_id from llm_private.reservations;
create statistics llm_private.rollups_tenant_user_stats (dependencies, ndistinct) on tenant_id, user_id from llm_private.spend_rollups;

/* ------------------------------------------------------------------ integrity triggers */

/*
 * Legal state transitions of a reservation, whoever writes (the runtime role holds UPDATE on the
 * settlement columns only). What was held, for whom and at which price never changes.
 */
create function llm_private.tg_reservations__guard_transition() returns trigger
  language plpgsql
  set search_path = pg_catalog
as $$
begin
  if (new.id, new.tenant_id, new.user_id, new.request_pk, new.attempt, new.provider, new.model, new.price_id,
      new.held_micros, new.holds_global, new.month_start, new.hour_start, new.reserved_at, new.max_output_tokens)
     is distinct from
     (old.id, old.tenant_id, old.user_id, old.request_pk, old.attempt, old.provider, old.model, old.price_id,
      old.held_micros, old.holds_global, old.month_start, old.hour_start, old.reserved_at, old.max_output_tokens) then
    raise exception using errcode = 'LG001', message = 'a reservation''s hold is immutable',
      detail = format('reservation %s', old.id), hint = 'Settle, release or expire it instead.';
  end if;
  if not (
       (old.state = 'held' and new.state in ('settled', 'released', 'expired'))
    or (old.state = 'expired' and new.state = 'settled' and new.late)
  ) then
    raise exception using errcode = 'LG002', message = 'illegal reservation state transition',
      detail = format('reservation %s: %s -> %s', old.id, old.state, new.state),
      hint = 'held -> settled | released | expired; expired -> settled (late); settled and released are final.';
  end if;
  return new;
end
$$;
comment on function llm_private.tg_reservations__guard_transition() is 'Allows only legal reservation transitions and keeps the hold itself immutable.';
create trigger _100_guard_transition before update on llm_private.reservations
  for each row execute function llm_private.tg_reservations__guard_transition();

create function llm_private.tg_requests__guard_transition() returns trigger
  language plpgsql
  set search_path = pg_catalog
as $$
begin
  if (new.id, new.tenant_id, new.user_id, new.request_id, new.endpoint, new.fingerprint, new.created_at)
     is distinct from (old.id, old.tenant_id, old.user_id, old.request_id, old.endpoint, old.fingerprint, old.created_at) then
    raise exception using errcode = 'LG001', message = 'a request claim''s identity is immutable',
      detail = format('request %s', old.id);
  end if;
  if old.state = 'done' and new.state <> 'done' then
    raise exception using errcode = 'LG002', message = 'a settled request cannot be reopened',
      detail = format('request %s', old.id);
  end if;
  if new.spent_micros < old.spent_micros or new.attempt_count < old.attempt_count then
    raise exception using errcode = 'LG003', message = 'a request''s spend and attempts only grow',
      detail = format('request %s', old.id);
  end if;
  return new;
end
$$;
comment on function llm_private.tg_requests__guard_transition() is 'Keeps a claim''s identity immutable, its spend monotonic and done final.';
create trigger _100_guard_transition before update on llm_private.requests
  for each row execute function llm_private.tg_requests__guard_transition();

create function llm_private.tg_shutoff_windows__guard_clear() returns trigger
  language plpgsql
  set search_path = pg_catalog
as $$
begin
  if old.cleared_at is not null
     or (new.id, new.scope, new.tenant_id, new.user_id, new.kind, new.starts_at, new.ends_at, new.reason, new.tripped_by)
        is distinct from (old.id, old.scope, old.tenant_id, old.user_id, old.kind, old.starts_at, old.ends_at, old.reason, old.tripped_by) then
    raise exception using errcode = 'LG002', message = 'a shutoff window can only be cleared, once',
      detail = format('window %s', old.id);
  end if;
  return new;
end
$$;
comment on function llm_private.tg_shutoff_windows__guard_clear() is 'A shutoff window changes only by being cleared, once.';
create trigger _100_guard_clear before update on llm_private.shutoff_windows
  for each row execute function llm_private.tg_shutoff_windows__guard_clear();

/*
 * Rows are born in their first state, whoever inserts them: a reservation is born held with no
 * settlement, a claim open with nothing spent.
 */
create function llm_private.tg_reservations__born_held() returns trigger
  language plpgsql
  set search_path = pg_catalog
as $$
begin
  if new.state <> 'held' or new.late or new.settled_at is not null or new.cost_micros is not null or new.ended_at is not null then
    raise exception using errcode = 'LG004', message = 'a reservation must be inserted as held, unsettled',
      hint = 'Use llm.reserve_call.';
  end if;
  return new;
end
$$;
comment on function llm_private.tg_reservations__born_held() is 'A reservation must be inserted held, with no settlement.';
create trigger _090_born_held before insert on llm_private.reservations
  for each row execute function llm_private.tg_reservations__born_held();

create function llm_private.tg_requests__born_open() returns trigger
  language plpgsql
  set search_path = pg_catalog
as $$
begin
  if new.state <> 'open' or new.spent_micros <> 0 or new.attempt_count <> 0 then
    raise exception using errcode = 'LG004', message = 'a request claim must be inserted open, with nothing spent',
      hint = 'Use llm.reserve_call.';
  end if;
  return new;
end
$$;
comment on function llm_private.tg_requests__born_open() is 'A request claim must be inserted open, with nothing spent and no attempt.';
create trigger _090_born_open before insert on llm_private.requests
  for each row execute function llm_private.tg_requests__born_open();

/*
 * Spend in a rollup only grows. The runtime role must be able to update rollups (the functions
 * run with its rights), so this is what stops it from erasing its own spend; any other drift of
 * a rollup from the ledger shows in llm.reconciliation_drift.
 */
create function llm_private.tg_spend_rollups__spend_only_grows() returns trigger
  language plpgsql
  set search_path = pg_catalog
as $$
begin
  if new.spent_micros < old.spent_micros
     or (new.tenant_id, new.user_id, new.scope, new.period, new.period_start)
        is distinct from (old.tenant_id, old.user_id, old.scope, old.period, old.period_start) then
    raise exception using errcode = 'LG003', message = 'a rollup''s spend only grows and its key never changes',
      detail = format('%s %s %s: %s -> %s', old.scope, old.period, old.period_start, old.spent_micros, new.spent_micros);
  end if;
  return new;
end
$$;
comment on function llm_private.tg_spend_rollups__spend_only_grows() is 'Forbids lowering a rollup''s spend or moving it to another key.';
create trigger _100_spend_only_grows before update on llm_private.spend_rollups
  for each row execute function llm_private.tg_spend_rollups__spend_only_grows();

/* ------------------------------------------------------------------ row level security */

alter table llm_private.settings enable row level security;
alter table llm_private.settings force row level security;
alter table llm_private.models enable row level security;
alter table llm_private.models force row level security;
alter table llm_private.model_prices enable row level security;
alter table llm_private.model_prices force row level security;
alter table llm_private.model_fallbacks enable row level security;
alter table llm_private.model_fallbacks force row level security;
alter table llm_private.endpoint_policies enable row level security;
alter table llm_private.endpoint_policies force row level security;
alter table llm_private.requests enable row level security;
alter table llm_private.requests force row level security;
alter table llm_private.reservations enable row level security;
alter table llm_private.reservations force row level security;
alter table llm_private.spend_rollups enable row level security;
alter table llm_private.spend_rollups force row level security;
alter table llm_private.decisions enable row level security;
alter table llm_private.decisions force row level security;
alter table llm_private.shutoff_windows enable row level security;
alter table llm_private.shutoff_windows force row level security;

/* Shared configuration: everyone of ours reads it; the operator writes it; the owner seeds it. */
create policy select_all on llm_private.settings for select using (true);
create policy select_all on llm_private.models for select using (true);
create policy select_all on llm_private.model_prices for select using (true);
create policy select_all on llm_private.model_fallbacks for select using (true);
create policy select_visible on llm_private.endpoint_policies for select to llm_app
  using (tenant_id is null or tenant_id = llm_private.current_tenant_id());
create policy auditor_select on llm_private.endpoint_policies for select to llm_auditor using (true);
create policy operator_all on llm_private.settings to llm_operator using (true) with check (true);
create policy operator_all on llm_private.models to llm_operator using (true) with check (true);
create policy operator_insert on llm_private.model_prices for insert to llm_operator with check (true);
create policy operator_all on llm_private.model_fallbacks to llm_operator using (true) with check (true);
create policy operator_all on llm_private.endpoint_policies to llm_operator using (true) with check (true);
create policy owner_all on llm_private.settings to llm_owner using (true) with check (true);
create policy owner_all on llm_private.models to llm_owner using (true) with check (true);
create policy owner_all on llm_private.model_prices to llm_owner using (true) with check (true);
create policy owner_all on llm_private.model_fallbacks to llm_owner using (true) with check (true);
create policy owner_all on llm_private.endpoint_policies to llm_owner using (true) with check (true);
grant select on llm_private.settings, llm_private.models, llm_private.model_prices, llm_private.model_fallbacks,
  llm_private.endpoint_policies to llm_app, llm_operator, llm_auditor;
grant insert, update on llm_private.settings, llm_private.models, llm_private.model_fallbacks,
  llm_private.endpoint_policies to llm_operator;
grant delete on llm_private.model_fallbacks, llm_private.endpoint_policies to llm_operator;
grant insert on llm_private.model_prices to llm_operator;

/* Tenant data: the runtime role sees and writes only its tenant and user. */
create policy own_rows on llm_private.requests to llm_app
  using (tenant_id = llm_private.current_tenant_id() and user_id = llm_private.current_user_id())
  with check (tenant_id = llm_private.current_tenant_id() and user_id = llm_private.current_user_id());
create policy own_rows on llm_private.reservations to llm_app
  using (tenant_id = llm_private.current_tenant_id() and user_id = llm_private.current_user_id())
  with check (tenant_id = llm_private.current_tenant_id() and user_id = llm_private.current_user_id());
create policy own_rows on llm_private.decisions for select to llm_app
  using (tenant_id = llm_private.current_tenant_id() and user_id = llm_private.current_user_id());
create policy insert_own on llm_private.decisions for insert to llm_app
  with check (tenant_id = llm_private.current_tenant_id() and user_id = llm_private.current_user_id());
-- Rollups: the user's own rows, its tenant's aggregate rows, and the global rows.
create policy own_rollups on llm_private.spend_rollups to llm_app
  using (scope = 'global'
     or (tenant_id = llm_private.current_tenant_id()
         and (scope = 'tenant' or user_id = llm_private.current_user_id())))
  with check (scope = 'global'
     or (tenant_id = llm_private.current_tenant_id()
         and (scope = 'tenant' or user_id = llm_private.current_user_id())));
create policy visible_windows on llm_private.shutoff_windows for select to llm_app
  using (scope = 'global'
     or (tenant_id = llm_private.current_tenant_id()
         and (scope = 'tenant' or user_id = llm_private.current_user_id())));
-- The runtime role may only open windows that its own spend tripped.
create policy trip_by_threshold on llm_private.shutoff_windows for insert to llm_app
  with check (kind = 'hourly_threshold'
     and (scope = 'global'
       or (tenant_id = llm_private.current_tenant_id()
           and (scope = 'tenant' or user_id = llm_private.current_user_id()))));

grant select, insert on llm_private.requests, llm_private.reservations, llm_private.decisions,
  llm_private.spend_rollups, llm_private.shutoff_windows to llm_app;
grant update (state, attempt_count, last_caller_attempt, spent_micros, updated_at) on llm_private.requests to llm_app;
grant update (state, ended_at, end_reason, settled_at, input_tokens, cached_input_tokens, output_tokens, cost_micros,
  overrun_micros, latency_ms, provider_status, usage_estimated, late) on llm_private.reservations to llm_app;
grant update (held_micros, spent_micros) on llm_private.spend_rollups to llm_app;

/* The operator: expiry sweep across tenants, manual shutoffs. */
create policy operator_all on llm_private.reservations to llm_operator using (true) with check (true);
create policy operator_all on llm_private.spend_rollups to llm_operator using (true) with check (true);
create policy operator_select on llm_private.requests for select to llm_operator using (true);
create policy operator_all on llm_private.shutoff_windows to llm_operator using (true) with check (true);
create policy operator_select on llm_private.decisions for select to llm_operator using (true);
grant select on llm_private.requests, llm_private.decisions to llm_operator;
grant select, update (state, ended_at, end_reason) on llm_private.reservations to llm_operator;
grant select, update (held_micros, spent_micros) on llm_private.spend_rollups to llm_operator;
grant select, insert, update (cleared_at, cleared_by) on llm_private.shutoff_windows to llm_operator;

/* The auditor reads everything. */
create policy auditor_select on llm_private.settings for select to llm_auditor using (true);
create policy auditor_select on llm_private.requests for select to llm_auditor using (true);
create policy auditor_select on llm_private.reservations for select to llm_auditor using (true);
create policy auditor_select on llm_private.spend_rollups for select to llm_auditor using (true);
create policy auditor_select on llm_private.decisions for select to llm_auditor using (true);
create policy auditor_select on llm_private.shutoff_windows for select to llm_auditor using (true);
grant select on llm_private.requests, llm_private.reservations, llm_private.spend_rollups, llm_private.decisions,
  llm_private.shutoff_windows to llm_auditor;

grant usage on type llm_private.endpoint to llm_app, llm_operator, llm_auditor;

/* ------------------------------------------------------------------ defaults */

insert into llm_private.settings default values;
insert into llm_private.endpoint_policies (tenant_id, endpoint, per_request_cap_micros, over_cap_action) values
  (null, 'route', 20000, 'fallback'),
  (null, 'explanation', 100000, 'cap'),
  (null, 'investigation', 300000, 'cap'),
  (null, 'budget_optimization', 300000, 'cap');

/* ------------------------------------------------------------------ the shared circuit breaker */

create table llm_private.provider_breakers (
  provider text not null,
  model text not null,
  state text not null default 'closed' check (state in ('closed', 'open', 'half_open')),
  consecutive_failures integer not null default 0 check (consecutive_failures between 0 and 1000000),
  open_until timestamptz,
  probe_started_at timestamptz,
  opened_count integer not null default 0 check (opened_count >= 0),
  last_failure_at timestamptz,
  last_success_at timestamptz,
  updated_at timestamptz not null default now(),
  primary key (provider, model),
  check (state <> 'open' or open_until is not null)
);
comment on table llm_private.provider_breakers is 'Circuit breaker per provider+model, shared by every worker through Postgres. Not tenant data: every worker reads and records outcomes through the breaker functions.';
alter table llm_private.provider_breakers enable row level security;
alter table llm_private.provider_breakers force row level security;
create policy select_all on llm_private.provider_breakers for select using (true);
create policy record_outcomes on llm_private.provider_breakers for insert to llm_app with check (true);
create policy update_outcomes on llm_private.provider_breakers for update to llm_app using (true) with check (true);
create policy operator_all on llm_private.provider_breakers to llm_operator using (true) with check (true);
grant select on llm_private.provider_breakers to llm_app, llm_operator, llm_auditor;
grant insert (provider, model), update (state, consecutive_failures, open_until, probe_started_at, opened_count,
  last_failure_at, last_success_at, updated_at) on llm_private.provider_breakers to llm_app, llm_operator;
