--! Previous: -
--! Hash: sha1:6bb8ec4f3a32e25cb36e953021bef5903fc359f1
--! Message: foundation

/*
 * Foundation: the private schema, the request context, the controllable clock, tenants and users.
 * Tables live in llm_private; the public API (schema llm) is replayed from sql/api after every
 * migrate, so nothing here may depend on it. Policies may only call helpers defined in migrations.
 */
create schema llm_private;
revoke all on schema llm_private from public;
grant usage on schema llm_private to llm_app, llm_operator, llm_auditor, llm_exporter, llm_worker;

/* Nobody gets EXECUTE on our functions by default: each grant is written next to its function. */
alter default privileges for role llm_owner revoke execute on functions from public;

/*
 * The request context. Missing, empty or malformed settings read as NULL, and NULL never equals a
 * tenant id, so a query without context sees zero rows and cannot write (never an error that
 * could leak, never all rows). nullif(..., '') because a custom setting reads '' once any
 * transaction on the connection has set it locally.
 */
create function llm_private.uuid_or_null(value text) returns uuid
  language sql immutable parallel safe
  set search_path = pg_catalog
as $$
  select case when value ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
              then value::uuid end
$$;
comment on function llm_private.uuid_or_null(text) is
  'Parses a uuid, returning NULL for anything malformed instead of raising.';

create function llm_private.current_tenant_id() returns uuid
  language sql stable parallel safe
  set search_path = pg_catalog
as $$
  select llm_private.uuid_or_null(nullif(current_setting('app.current_tenant_id', true), ''))
$$;
comment on function llm_private.current_tenant_id() is
  'The tenant of the current transaction (setting app.current_tenant_id), or NULL when missing or malformed.';

create function llm_private.current_user_id() returns uuid
  language sql stable parallel safe
  set search_path = pg_catalog
as $$
  select llm_private.uuid_or_null(nullif(current_setting('app.current_user_id', true), ''))
$$;
comment on function llm_private.current_user_id() is
  'The end user of the current transaction (setting app.current_user_id), or NULL when missing or malformed.';

grant execute on function llm_private.uuid_or_null(text), llm_private.current_tenant_id(),
  llm_private.current_user_id() to llm_app, llm_operator, llm_auditor, llm_exporter;

/*
 * The clock. Hourly windows and monthly caps use the database's time, never a caller's: only the
 * owner can write this one-row table (tests freeze or shift it); every role reads it.
 */
create table llm_private.clock (
  id boolean primary key default true check (id),
  frozen_at timestamptz,
  offset_ms bigint not null default 0 check (abs(offset_ms) <= 10::bigint * 366 * 86400 * 1000)
);
comment on table llm_private.clock is
  'One row: the owner may freeze or shift the time our rules see (tests). The runtime roles can only read it.';
comment on column llm_private.clock.frozen_at is 'When set, llm_private.now() returns this instant.';
comment on column llm_private.clock.offset_ms is 'Added to the real transaction time when frozen_at is NULL.';
insert into llm_private.clock default values;
alter table llm_private.clock enable row level security;
alter table llm_private.clock force row level security;
create policy select_all on llm_private.clock for select using (true);
create policy owner_all on llm_private.clock to llm_owner using (true) with check (true);
grant select on llm_private.clock to llm_app, llm_operator, llm_auditor, llm_exporter;

create function llm_private.now() returns timestamptz
  language sql stable parallel safe
  set search_path = pg_catalog
as $$
  select coalesce(
    (select c.frozen_at from llm_private.clock c where c.id),
    pg_catalog.now() + make_interval(secs => coalesce((select c.offset_ms from llm_private.clock c where c.id), 0) / 1000.0)
  )
$$;
comment on function llm_private.now() is
  'The time every money and window rule uses: the transaction time, unless the owner froze or shifted llm_private.clock.';
grant execute on function llm_private.now() to llm_app, llm_operator, llm_auditor, llm_exporter;

/*
 * Tenants and their budget settings. Caps are written by the operator only; the runtime role
 * reads its own tenant's row.
 */
create table llm_private.tenants (
  id uuid primary key,
  name text not null check (length(name) between 1 and 200),
  monthly_cap_micros bigint not null default 500000000 check (monthly_cap_micros >= 0),
  user_monthly_cap_micros bigint not null default 25000000 check (user_monthly_cap_micros >= 0),
  hourly_shutoff_micros bigint check (hourly_shutoff_micros >= 0),
  user_hourly_shutoff_micros bigint check (user_hourly_shutoff_micros >= 0),
  distillation_opt_in boolean not null default false,
  traces_distillable boolean not null default false,
  created_at timestamptz not null default now()
);
comment on table llm_private.tenants is 'Tenants and their budget settings (money in micro-USD).';
comment on column llm_private.tenants.monthly_cap_micros is 'Hard cap on the whole tenant''s spend per calendar month (UTC).';
comment on column llm_private.tenants.user_monthly_cap_micros is 'Default hard cap per user per month; default 25 USD.';
comment on column llm_private.tenants.hourly_shutoff_micros is 'Spend per clock hour that trips a tenant-wide shutoff until the hour ends; NULL = none.';
comment on column llm_private.tenants.user_hourly_shutoff_micros is 'Spend per clock hour that trips a shutoff of one user until the hour ends; NULL = none.';
comment on column llm_private.tenants.distillation_opt_in is 'The tenant allows its final outputs to be used for distillation.';
comment on column llm_private.tenants.traces_distillable is 'The tenant also allows reasoning traces to be used for distillation.';

create table llm_private.users (
  tenant_id uuid not null references llm_private.tenants (id),
  id uuid not null,
  monthly_cap_micros bigint check (monthly_cap_micros >= 0),
  hourly_shutoff_micros bigint check (hourly_shutoff_micros >= 0),
  created_at timestamptz not null default now(),
  primary key (tenant_id, id)
);
comment on table llm_private.users is 'End users of a tenant; a user is enrolled on first use with the tenant''s defaults.';
comment on column llm_private.users.monthly_cap_micros is 'Override of the tenant''s per-user monthly cap; NULL = the tenant default.';
comment on column llm_private.users.hourly_shutoff_micros is 'Override of the tenant''s per-user hourly shutoff threshold; NULL = the tenant default.';

alter table llm_private.tenants enable row level security;
alter table llm_private.tenants force row level security;
alter table llm_private.users enable row level security;
alter table llm_private.users force row level security;

/* The runtime role sees its own tenant and its own user row, and may enroll itself (ids only). */
create policy select_own_tenant on llm_private.tenants for select to llm_app
  using (id = llm_private.current_tenant_id());
create policy select_own_user on llm_private.users for select to llm_app
  using (tenant_id = llm_private.current_tenant_id() and id = llm_private.current_user_id());
create policy insert_own_user on llm_private.users for insert to llm_app
  with check (tenant_id = llm_private.current_tenant_id() and id = llm_private.current_user_id());
grant select on llm_private.tenants, llm_private.users to llm_app;
grant insert (tenant_id, id) on llm_private.users to llm_app;

/* The operator manages tenants, users and their caps across tenants. */
create policy operator_all on llm_private.tenants to llm_operator using (true) with check (true);
create policy operator_all on llm_private.users to llm_operator using (true) with check (true);
grant select, insert, update on llm_private.tenants, llm_private.users to llm_operator;

/* The auditor reads everything, through the audit views. */
create policy auditor_select on llm_private.tenants for select to llm_auditor using (true);
create policy auditor_select on llm_private.users for select to llm_auditor using (true);
grant select on llm_private.tenants, llm_private.users to llm_auditor;

/*
 * Replay bookkeeping for sql/api: the hash of the files last applied, so that migrating again is
 * a no-op and the worker can refuse a database older than its code.
 */
create table llm_private.schema_state (
  id boolean primary key default true check (id),
  api_hash text not null,
  applied_at timestamptz not null default now()
);
comment on table llm_private.schema_state is 'One row: the hash of the sql/api files last applied to this database.';
alter table llm_private.schema_state enable row level security;
alter table llm_private.schema_state force row level security;
create policy owner_all on llm_private.schema_state to llm_owner using (true) with check (true);
create policy select_all on llm_private.schema_state for select using (true);
grant select on llm_private.schema_state to llm_app, llm_operator, llm_auditor, llm_worker;
