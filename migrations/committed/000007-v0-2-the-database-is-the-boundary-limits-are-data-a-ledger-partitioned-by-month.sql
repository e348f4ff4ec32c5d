--! Previous: sha1:0205aad99cabf5d21618a76665f89a895958baa8
--! Hash: sha1:11e365410494748395c56a4d35199afb26a46123
--! Message: v0.2: the database is the boundary, limits are data, a ledger partitioned by month

/*
 * v0.2: the database is the boundary, and limits are data.
 *
 * This migration replaces the 0.1 ledger (no 0.1 deployment holds data we must carry over: the
 * 0.1 tables are dropped). What it builds, in order:
 *   1. types and the request context (signed for the application, transaction-bound for all);
 *   2. shared configuration: settings, tenants, users, models, prices, fallbacks, endpoint settings;
 *   3. the limit engine's configuration: meters (what is counted, per what, over which window) and
 *      limits (the cap on a meter for everyone, a tenant or a user, hard or soft, for a while);
 *   4. the ledger, partitioned by month: requests (claimed at enqueue), request_inputs, attempts
 *      (one row per reserve: decision, hold and settlement), usage (per meter, subject, period and
 *      escrow shard), alerts, adjustments; plus budget scopes, shutoff windows and the breaker;
 *   5. outputs, reasoning traces, the cache;
 *   6. row level security: every table FORCE RLS, every policy TO a named role.
 * The rules that write these tables live in sql/api (replayed after migrations): trigger
 * functions derive every money, state and consent column from facts.
 */

/* ------------------------------------------------------------------ out with 0.1 */
drop schema if exists llm cascade;
set local role llm_worker;
drop schema if exists llm_queue cascade;
reset role;
drop table if exists llm_private.provider_breakers, llm_private.shutoff_windows, llm_private.decisions, llm_private.spend_rollups,
  llm_private.reservations, llm_private.requests, llm_private.endpoint_policies, llm_private.call_outputs, llm_private.reasoning_traces,
  llm_private.cache_entries, llm_private.cache_fills, llm_private.worker_heartbeats, llm_private.model_fallbacks,
  llm_private.model_prices, llm_private.models, llm_private.settings, llm_private.users, llm_private.tenants cascade;
drop function if exists llm_private.tg_reservations__guard_transition(), llm_private.tg_requests__guard_transition(),
  llm_private.tg_shutoff_windows__guard_clear(), llm_private.tg_reservations__born_held(), llm_private.tg_requests__born_open(),
  llm_private.tg_spend_rollups__spend_only_grows(), llm_private.uuid_or_null(text) cascade;
drop type if exists llm_private.endpoint cascade;
-- Every function the 0.1 API replay left in llm_private (the replay of 0.2 recreates what it needs).
do $$
declare
  f record;
begin
  for f in select p.oid::regprocedure as sig from pg_proc p join pg_namespace n on n.oid = p.pronamespace
            where n.nspname = 'llm_private'
              and p.proname not in ('current_tenant_id', 'current_user_id', 'now') loop
    execute format('drop function %s cascade', f.sig);
  end loop;
end
$$;


/* ------------------------------------------------------------------ 1. types */
create type llm_private.endpoint as enum ('route', 'explanation', 'investigation', 'budget_optimization');
comment on type llm_private.endpoint is 'The kinds of LLM work the product governs (the task identifiers).';
create type llm_private.request_state as enum ('queued', 'running', 'done', 'refused', 'failed', 'cancelled');
comment on type llm_private.request_state is 'A request''s life: queued at enqueue, running from its first reserve, then exactly one final state.';
create type llm_private.attempt_state as enum ('held', 'settled', 'released', 'expired', 'refused', 'cached');
comment on type llm_private.attempt_state is 'An attempt: held (a hold is live), settled, released (no provider request was sent), expired (charged in full, unknown outcome), refused, cached (served without a provider call).';
create type llm_private.decision as enum ('allow', 'cap', 'fallback', 'block', 'cached');
comment on type llm_private.decision is 'What reserve decided for an attempt.';
create type llm_private.reason as enum (
  'ok', 'limit', 'budget_pressure', 'breaker_open', 'shutoff', 'unknown_model', 'attempts_exhausted', 'cache_hit', 'semantic_hit',
  'provider_client_error', 'provider_not_configured', 'invalid_output', 'worker_error', 'job_lost', 'cancelled_by_app', 'request_final');
comment on type llm_private.reason is 'Why: of a decision (limit: see the limit columns), or of a request''s final state.';
create type llm_private.provider_status as enum ('ok', 'error', 'timeout', 'rate_limited', 'malformed', 'network', 'client_error');
comment on type llm_private.provider_status is 'How a provider call ended, as the worker saw it.';
create type llm_private.purpose as enum ('chat', 'embedding');
comment on type llm_private.purpose is 'What a provider call was for: the answer, or the embedding of the question (semantic cache).';
create type llm_private.limit_scope as enum ('global', 'tenant', 'user', 'budget_scope', 'request');
comment on type llm_private.limit_scope is 'Whose calls a meter sums: everyone''s, a tenant''s, a user''s, a budget scope''s (e.g. an investigation), one request''s.';
create type llm_private.limit_window as enum ('request', 'budget_scope', 'hour', 'day', 'week', 'month', 'quarter', 'none');
comment on type llm_private.limit_window is 'The period a meter sums over, in UTC: one request, a budget scope''s life, a clock period, or forever (none).';
create type llm_private.limit_unit as enum ('micros', 'tokens', 'calls', 'elapsed_ms');
comment on type llm_private.limit_unit is 'What a meter counts: micro-USD, tokens (input + output), provider calls, or wall-clock ms since a budget scope started.';
create type llm_private.limit_kind as enum ('hard', 'soft');
comment on type llm_private.limit_kind is 'hard: a call that does not fit is refused (or shaped); soft: never refuses, only alerts.';
create type llm_private.limit_action as enum ('block', 'cap', 'fallback');
comment on type llm_private.limit_action is 'For a hard micro-USD limit on a request or budget scope: refuse, lower max output tokens to fit, or try the fallback chain.';
create type llm_private.window_kind as enum ('manual', 'scheduled', 'tripped');
comment on type llm_private.window_kind is 'A shutoff window opened by hand (now until a time), scheduled in advance, or tripped by spend crossing a limit.';
create type llm_private.distill_reason as enum ('eligible', 'tenant_not_opted_in', 'call_failed', 'capped_output', 'from_cache',
  'invalid_output', 'model_terms_forbid', 'pii_flagged', 'no_output', 'fallback_model', 'not_chat');
comment on type llm_private.distill_reason is 'Why a settled call may (eligible) or may not train a model: the first rule that failed.';

/* ------------------------------------------------------------------ 2. context and time */

/*
 * A context is honoured only in the transaction that set it: every setter also writes
 * app.context_tx = llm_private.tx_stamp(), and a value left from an earlier transaction (a
 * session-level set_config, a pooled connection) no longer matches.
 */
create function llm_private.tx_stamp() returns bigint
  language sql stable parallel safe
as $$
  select (pg_catalog.date_part('epoch', pg_catalog.transaction_timestamp()) * 1000000)::pg_catalog.int8
$$;
comment on function llm_private.tx_stamp() is
  'The current transaction''s start in microseconds: the stamp a context carries to be honoured only in this transaction. Inlinable.';

create or replace function llm_private.current_tenant_id() returns uuid
  language sql stable parallel safe
as $$
  select case when pg_catalog.current_setting('app.context_tx', true) = llm_private.tx_stamp()::pg_catalog.text
               and pg_catalog.current_setting('app.current_tenant_id', true)
                   OPERATOR(pg_catalog.~*) '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
              then pg_catalog.current_setting('app.current_tenant_id', true)::pg_catalog.uuid end
$$;
comment on function llm_private.current_tenant_id() is
  'The worker''s tenant context (app.current_tenant_id) when set in this transaction (app.context_tx), else NULL. Used by policies TO llm_money. Inlinable: no SET clause, every name qualified.';

create or replace function llm_private.current_user_id() returns uuid
  language sql stable parallel safe
as $$
  select case when pg_catalog.current_setting('app.context_tx', true) = llm_private.tx_stamp()::pg_catalog.text
               and pg_catalog.current_setting('app.current_user_id', true)
                   OPERATOR(pg_catalog.~*) '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
              then pg_catalog.current_setting('app.current_user_id', true)::pg_catalog.uuid end
$$;
comment on function llm_private.current_user_id() is
  'The worker''s user context (app.current_user_id) when set in this transaction, else NULL. Used by policies TO llm_money. Inlinable.';

/*
 * The application's context is signed: token = v1.<tenant>.<user>.<expires unix s>.<hex hmac-sha256>.
 * The key lives in context_keys, which only the owner can read; the verifier below is SECURITY
 * DEFINER for that one reason (it takes no argument, reads two settings, returns two ids). An SQL
 * injection in the application can read its own token but cannot make another tenant's.
 */
/* HMAC-SHA256 (RFC 2104) with the core sha256(): no extension needed. */
create function llm_private.hmac_pads(p_key bytea, out ipad bytea, out opad bytea)
  language plpgsql immutable parallel safe
  set search_path = pg_catalog
as $$
declare
  k bytea := case when octet_length(p_key) > 64 then sha256(p_key) else p_key end;
begin
  k := k || decode(repeat('00', 64 - octet_length(k)), 'hex');
  ipad := k; opad := k;
  for i in 0 .. 63 loop
    ipad := set_byte(ipad, i, get_byte(k, i) # 54);
    opad := set_byte(opad, i, get_byte(k, i) # 92);
  end loop;
end
$$;
comment on function llm_private.hmac_pads(bytea) is 'The inner and outer padded keys of HMAC-SHA256 (key XOR 0x36.., key XOR 0x5c..).';

create function llm_private.hmac_sha256(p_ipad bytea, p_opad bytea, p_message bytea) returns bytea
  language sql immutable parallel safe
as $$ select pg_catalog.sha256(p_opad operator(pg_catalog.||) pg_catalog.sha256(p_ipad operator(pg_catalog.||) p_message)) $$;
comment on function llm_private.hmac_sha256(bytea, bytea, bytea) is 'HMAC-SHA256 of a message from the padded keys (llm_private.hmac_pads).';

create table llm_private.context_keys (
  kid smallint primary key check (kid between 1 and 32767),
  secret_sha256 bytea not null unique check (octet_length(secret_sha256) = 32),
  ipad bytea not null check (octet_length(ipad) = 64),
  opad bytea not null check (octet_length(opad) = 64),
  created_at timestamptz not null default now(),
  retired_at timestamptz
);
comment on table llm_private.context_keys is 'The secrets that sign application context tokens, as HMAC pads. Readable by the owner only (the verifier is the owner''s SECURITY DEFINER function). Installed by `npm run migrate` from LLM_CONTEXT_SECRET.';
alter table llm_private.context_keys enable row level security;
alter table llm_private.context_keys force row level security;
create policy owner_all on llm_private.context_keys to llm_owner using (true) with check (true);

create function llm_private.app_context(out tenant_id uuid, out user_id uuid)
  language plpgsql stable security definer
  set search_path = pg_catalog
as $$
declare
  tok text := current_setting('app.context', true);
  parts text[];
  body bytea;
  k record;
begin
  if tok is null or length(tok) > 300 or current_setting('app.context_tx', true) is distinct from llm_private.tx_stamp()::text then
    return;
  end if;
  parts := string_to_array(tok, '.');
  if cardinality(parts) <> 5 or parts[1] <> 'v1'
     or parts[2] !~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
     or parts[3] !~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
     or parts[4] !~ '^[0-9]{1,12}$' or parts[5] !~ '^[0-9a-f]{64}$' then
    return;
  end if;
  if parts[4]::bigint <= date_part('epoch', clock_timestamp()) then
    return;                                                          -- expired (real time: tokens are minted by real clocks)
  end if;
  body := convert_to(array_to_string(parts[1:4], '.'), 'UTF8');
  for k in select c.ipad, c.opad from llm_private.context_keys c where c.retired_at is null loop
    if encode(llm_private.hmac_sha256(k.ipad, k.opad, body), 'hex') = parts[5] then
      tenant_id := parts[2]::uuid;
      user_id := parts[3]::uuid;
      return;
    end if;
  end loop;
end
$$;
comment on function llm_private.app_context() is
  'SECURITY DEFINER (owner), the context verifier: the tenant and user of the application''s signed token (app.context) when it is well formed, unexpired, signed by a live key and set in this transaction; NULLs otherwise. Reads the key table, nothing else.';

create function llm_private.app_tenant_id() returns uuid
  language sql stable parallel safe
as $$ select (llm_private.app_context()).tenant_id $$;
comment on function llm_private.app_tenant_id() is 'The application''s verified tenant (signed context), or NULL. Used by policies TO llm_app.';
create function llm_private.app_user_id() returns uuid
  language sql stable parallel safe
as $$ select (llm_private.app_context()).user_id $$;
comment on function llm_private.app_user_id() is 'The application''s verified user (signed context), or NULL. Used by policies TO llm_app.';

/* The clock: every rule reads llm_private.now(), the CURRENT time (not the transaction start). */
create or replace function llm_private.now() returns timestamptz
  language plpgsql stable parallel safe
  set search_path = pg_catalog
as $$
declare
  c llm_private.clock;
begin
  select * into c from llm_private.clock where id;
  return coalesce(c.frozen_at, clock_timestamp() + make_interval(secs => coalesce(c.offset_ms, 0) / 1000.0));
end
$$;
comment on function llm_private.now() is
  'The time every money and window rule uses: the current time (clock_timestamp, so a long transaction cannot keep using its start), unless the owner froze or shifted llm_private.clock.';
comment on column llm_private.clock.offset_ms is 'Added to the current time when frozen_at is NULL.';


/*
 * Months as integers: request ids and the ledger's partitions are keyed on the UTC month, whatever
 * the session's TimeZone. month_index(2000-01) = 0; a month's request ids are [m << 40, (m + 1) << 40).
 */
create function llm_private.month_index(p_at timestamptz) returns integer
  language sql immutable parallel safe
as $$
  select ((pg_catalog.date_part('year', pg_catalog.timezone('UTC', p_at)) - 2000) * 12
        + pg_catalog.date_part('month', pg_catalog.timezone('UTC', p_at)) - 1)::pg_catalog.int4
$$;
comment on function llm_private.month_index(timestamptz) is 'Months since 2000-01 in UTC: the month part of request ids and the partition of every ledger row.';

create function llm_private.month_start(p_month_index integer) returns timestamptz
  language sql immutable parallel safe
as $$
  select pg_catalog.make_timestamptz(2000 + p_month_index / 12, p_month_index % 12 + 1, 1, 0, 0, 0, 'UTC')
$$;
comment on function llm_private.month_start(integer) is 'The first instant (UTC) of a month index.';

create sequence llm_private.request_id_seq as bigint cycle;
comment on sequence llm_private.request_id_seq is 'The low 40 bits of request ids (the month is the high bits).';
create function llm_private.new_request_id() returns bigint
  language sql volatile
as $$
  select (llm_private.month_index(llm_private.now())::pg_catalog.int8 operator(pg_catalog.<<) 40)
       operator(pg_catalog.|) (pg_catalog.nextval('llm_private.request_id_seq') operator(pg_catalog.&) 1099511627775)
$$;
comment on function llm_private.new_request_id() is
  'A request id: its UTC month (month_index) in the high bits, a sequence in the low 40, so that the id routes to its month''s partition and a lookup by id prunes to one partition.';

/* ------------------------------------------------------------------ 3. shared configuration */

create table llm_private.settings (
  id boolean primary key default true check (id),
  hold_margin_ms integer not null default 30000 check (hold_margin_ms between 0 and 3600000),
  max_attempts_per_request smallint not null default 5 check (max_attempts_per_request between 1 and 100),
  enqueue_max_attempts smallint not null default 3 check (enqueue_max_attempts between 1 and 25),
  breaker_failure_threshold integer not null default 3 check (breaker_failure_threshold between 1 and 1000),
  breaker_cooldown_ms integer not null default 30000 check (breaker_cooldown_ms between 100 and 86400000),
  cache_ttl_ms bigint not null default 604800000 check (cache_ttl_ms between 1000 and 31536000000),
  cache_fill_wait_ms integer not null default 2000 check (cache_fill_wait_ms between 10 and 600000),
  output_retention_ms bigint not null default 7776000000 check (output_retention_ms between 60000 and 315360000000),
  trace_retention_ms bigint not null default 604800000 check (trace_retention_ms between 60000 and 315360000000),
  ledger_retention_months smallint not null default 13 check (ledger_retention_months between 2 and 120),
  partitions_ahead_months smallint not null default 3 check (partitions_ahead_months between 1 and 24),
  idempotency_months smallint not null default 2 check (idempotency_months between 1 and 12),
  semantic_max_candidates integer not null default 2000 check (semantic_max_candidates between 10 and 1000000),
  swept_until timestamptz not null default '-infinity'
);
comment on table llm_private.settings is 'One row of global settings, written by the operator only (llm.set_settings).';
comment on column llm_private.settings.hold_margin_ms is 'Added to the call timeout to give a hold its expiry.';
comment on column llm_private.settings.max_attempts_per_request is 'Attempts (reserves that reached a decision) one request may make in all.';
comment on column llm_private.settings.enqueue_max_attempts is 'graphile-worker max_attempts of every LLM job.';
comment on column llm_private.settings.breaker_failure_threshold is 'Consecutive provider failures of one provider+model that open its breaker.';
comment on column llm_private.settings.breaker_cooldown_ms is 'How long an open breaker refuses calls before one half-open probe may try.';
comment on column llm_private.settings.cache_ttl_ms is 'How long a cache entry may be served (the watermark, not the TTL, is what invalidates it).';
comment on column llm_private.settings.cache_fill_wait_ms is 'How long a request waits for an identical request filling the cache before asking again.';
comment on column llm_private.settings.output_retention_ms is 'How long final outputs are kept. Default 90 days.';
comment on column llm_private.settings.trace_retention_ms is 'How long reasoning traces are kept; shorter than outputs. Default 7 days.';
comment on column llm_private.settings.ledger_retention_months is 'Whole months of ledger partitions kept; older partitions are dropped by llm_maint.drop_expired_partitions().';
comment on column llm_private.settings.partitions_ahead_months is 'How many months of partitions llm_maint.ensure_partitions() keeps created ahead.';
comment on column llm_private.settings.idempotency_months is 'Calendar months (this one and the previous ones) in which a (tenant, request_id, endpoint) claim is found again.';
comment on column llm_private.settings.semantic_max_candidates is 'Most cache entries one semantic lookup compares on the portable (no pgvector) path.';
comment on column llm_private.settings.swept_until is 'The expiry sweep has charged every hold that expired before this instant (its lower bound).';

create table llm_private.tenants (
  id uuid primary key,
  name text not null check (length(name) between 1 and 200),
  distillation_opt_in boolean not null default false,
  traces_distillable boolean not null default false,
  created_at timestamptz not null default now()
);
comment on table llm_private.tenants is 'Tenants. Their caps are limits (llm_private.limits), not columns.';
comment on column llm_private.tenants.distillation_opt_in is 'The tenant allows its final outputs to be used for distillation.';
comment on column llm_private.tenants.traces_distillable is 'The tenant also allows reasoning traces to be used for distillation.';

create table llm_private.users (
  tenant_id uuid not null references llm_private.tenants (id),
  id uuid not null,
  created_at timestamptz not null default now(),
  primary key (tenant_id, id)
);
comment on table llm_private.users is 'End users of a tenant; a user is enrolled on first enqueue. Their caps are limits.';

create table llm_private.endpoint_settings (
  tenant_id uuid references llm_private.tenants (id),
  endpoint llm_private.endpoint not null,
  cache_shared boolean not null default false,
  semantic_threshold real check (semantic_threshold > 0 and semantic_threshold <= 1),
  embedding_model text check (embedding_model ~ '^[a-z0-9_-]{1,40}:[^\s\x01-\x1f]{1,200}$'),
  unique nulls not distinct (tenant_id, endpoint)
);
comment on table llm_private.endpoint_settings is 'Cache behaviour per endpoint: a row with tenant_id NULL is the default, a tenant row overrides it.';
comment on column llm_private.endpoint_settings.cache_shared is 'Cache entries are shared by every user of the tenant (else each user has their own).';
comment on column llm_private.endpoint_settings.semantic_threshold is 'Cosine similarity at or above which a semantic cache entry is served; NULL = no semantic cache.';
comment on column llm_private.endpoint_settings.embedding_model is 'provider:model of the embedding model for the semantic cache.';

create table llm_private.models (
  provider text not null check (provider ~ '^[a-z0-9_-]{1,40}$'),
  model text not null check (length(model) between 1 and 200 and model !~ '[\s\x01-\x1f]'),
  kind text not null default 'chat' check (kind in ('chat', 'embedding')),
  max_output_tokens integer not null check (max_output_tokens between 1 and 1000000),
  token_parameter text not null default 'max_tokens' check (token_parameter in ('max_tokens', 'max_completion_tokens')),
  training_allowed boolean not null default false,
  created_at timestamptz not null default now(),
  primary key (provider, model)
);
comment on table llm_private.models is 'Models we may call, per provider. A model without a price in effect is refused (unknown_model).';
comment on column llm_private.models.token_parameter is 'The request parameter the model takes for its output limit (o-series and gpt-5 take max_completion_tokens).';
comment on column llm_private.models.training_allowed is 'The model''s terms allow using its outputs for training (distillation gate).';

create table llm_private.model_prices (
  id integer generated always as identity primary key,
  provider text not null,
  model text not null,
  effective_from timestamptz not null,
  input_per_mtok_micros bigint not null check (input_per_mtok_micros between 0 and 1000000000000),
  cached_input_per_mtok_micros bigint not null check (cached_input_per_mtok_micros between 0 and 1000000000000),
  output_per_mtok_micros bigint not null check (output_per_mtok_micros between 0 and 1000000000000),
  created_at timestamptz not null default now(),
  created_by text not null default current_user,
  foreign key (provider, model) references llm_private.models,
  unique (provider, model, effective_from)
);
comment on table llm_private.model_prices is 'Prices per million tokens in micro-USD, effective from an instant. Append-only: a new price is a new row, and every attempt pins the row it was reserved at.';

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

/* ------------------------------------------------------------------ 4. the limit engine's configuration */

create type llm_private.applicable_limit as (
  meter_id smallint, meter_name text, scope llm_private.limit_scope, "window" llm_private.limit_window, unit llm_private.limit_unit,
  shards smallint, limit_id integer, cap bigint, kind llm_private.limit_kind, action llm_private.limit_action, min_output_tokens integer,
  trips_shutoff boolean, alert_pcts smallint[], pressure_pct smallint, pressure_model text);
comment on type llm_private.applicable_limit is 'One meter that applies to a call with its effective limit (llm_private.applicable_limits).';


create table llm_private.meters (
  id smallint generated always as identity primary key,
  name text not null unique check (name ~ '^[a-z][a-z0-9_]{0,59}$'),
  tenant_id uuid references llm_private.tenants (id),
  scope llm_private.limit_scope not null,
  "window" llm_private.limit_window not null,
  unit llm_private.limit_unit not null,
  provider text check (provider ~ '^[a-z0-9_-]{1,40}$'),
  model text check (length(model) between 1 and 200),
  endpoint llm_private.endpoint,
  shards smallint not null default 1 check (shards between 1 and 64),
  created_at timestamptz not null default now(),
  created_by text not null default current_user,
  disabled_at timestamptz,
  check ((scope = 'request') = ("window" = 'request')),
  check ((scope = 'budget_scope') = ("window" = 'budget_scope')),
  check (unit <> 'elapsed_ms' or "window" = 'budget_scope'),
  check (shards = 1 or scope in ('global', 'tenant')),
  check (model is null or provider is not null)
);
comment on table llm_private.meters is 'What the limit engine counts: a scope (whose calls), a window (over which period, UTC), a unit, optional filters (provider, model, endpoint) and, for shared scopes, escrow shards. A meter applies to a call when its filters match and a limit row exists for the call''s subject.';
comment on column llm_private.meters.tenant_id is 'A meter of one tenant only; NULL = every tenant.';
comment on column llm_private.meters.shards is 'Escrow: the cap is split into this many quotas (rebalanced on demand, never over the cap in total) so that no single row is written by every call of a tenant or of everyone.';
comment on column llm_private.meters.disabled_at is 'From this instant new calls no longer count on the meter (meters are never deleted: attempts refer to them).';

create table llm_private.limits (
  id integer generated always as identity primary key,
  meter_id smallint not null references llm_private.meters (id),
  tenant_id uuid references llm_private.tenants (id),
  user_id uuid,
  cap bigint not null check (cap between 0 and 1000000000000000),
  kind llm_private.limit_kind not null default 'hard',
  action llm_private.limit_action not null default 'block',
  min_output_tokens integer not null default 16 check (min_output_tokens between 1 and 100000),
  trips_shutoff boolean not null default false,
  alert_pcts smallint[] not null default '{80,95,100}' check (cardinality(alert_pcts) <= 10 and 0 < all (alert_pcts) and 1000 >= all (alert_pcts)),
  pressure_pct smallint check (pressure_pct between 1 and 100),
  pressure_model text check (pressure_model ~ '^[a-z0-9_-]{1,40}:[^\s\x01-\x1f]{1,200}$'),
  valid_from timestamptz not null default '-infinity',
  valid_until timestamptz not null default 'infinity',
  note text check (length(note) <= 500),
  created_at timestamptz not null default now(),
  created_by text not null default current_user,
  check (user_id is null or tenant_id is not null),
  check (valid_from <= valid_until),
  check (pressure_model is null or pressure_pct is not null)
);
comment on table llm_private.limits is 'Caps on meters. For each meter, the most specific limit valid now applies to a call: a user''s over a tenant''s over everyone''s, and among those a temporary one (finite valid_until) over a permanent one, then the newest. Rows are never updated in place except to end them (valid_until).';
comment on column llm_private.limits.kind is 'hard: refuse (or shape) a call that does not fit; soft: never refuse, only alert.';
comment on column llm_private.limits.action is 'For hard micro-USD limits of scope request or budget_scope: block, cap (lower max output tokens to fit, at least min_output_tokens), or fallback (a cheaper model of the chain that fits).';
comment on column llm_private.limits.trips_shutoff is 'When spent crosses the cap at settle, open a shutoff window for the limit''s subject until the period ends.';
comment on column llm_private.limits.alert_pcts is 'Percentages of the cap whose crossing records an alert once per period (and pg_notify on llm_limit_alert).';
comment on column llm_private.limits.pressure_pct is 'Budget pressure: above this share of the cap, reserve prefers pressure_model (or the first model of the fallback chain): decision fallback / budget_pressure.';
create index limits_meter_idx on llm_private.limits (meter_id, tenant_id, user_id);

create table llm_private.budget_scopes (
  tenant_id uuid not null,
  scope_key text not null check (length(scope_key) between 1 and 200),
  started_at timestamptz not null,
  first_request_pk bigint not null,
  primary key (tenant_id, scope_key)
);
comment on table llm_private.budget_scopes is 'A budget scope (e.g. an investigation): the calls of requests that name it share its limits; its clock starts at its first call.';

create table llm_private.shutoff_windows (
  id bigint generated always as identity primary key,
  scope llm_private.limit_scope not null check (scope in ('global', 'tenant', 'user')),
  tenant_id uuid,
  user_id uuid,
  kind llm_private.window_kind not null,
  starts_at timestamptz not null,
  ends_at timestamptz not null,
  reason text not null check (length(reason) between 1 and 200),
  limit_id integer,
  created_by text not null default current_user,
  created_at timestamptz not null default now(),
  cancelled_at timestamptz,
  cancelled_by text,
  check ((scope = 'global') = (tenant_id is null)),
  check ((scope = 'user') = (user_id is not null)),
  check (starts_at < ends_at and ends_at < 'infinity' and ends_at - starts_at <= interval '92 days'),
  check ((kind = 'tripped') = (limit_id is not null))
);
comment on table llm_private.shutoff_windows is 'Emergency shutoffs at global, tenant or user scope: opened by hand, scheduled in advance, or tripped when spent crosses a limit with trips_shutoff. Every window ends by time alone (finite, at most 92 days); an operator may cancel one.';
create index shutoff_windows_active_idx on llm_private.shutoff_windows (ends_at) where cancelled_at is null;

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
comment on table llm_private.provider_breakers is 'Circuit breaker per provider+model, shared by every worker. Written only when it changes: a failure, a state change, a probe; a success on a closed breaker writes nothing.';

/* ------------------------------------------------------------------ 5. the ledger (partitioned by month) */

/*
 * A request is claimed at enqueue (llm.enqueue_call): one row per (tenant, request_id, endpoint)
 * within settings.idempotency_months, born queued, with no money. Its spend is the sum of its
 * attempts (llm.request_results), never a column anyone could write.
 */
create table llm_private.requests (
  tenant_id uuid not null,
  id bigint not null default llm_private.new_request_id(),
  user_id uuid not null,
  request_id text not null check (length(request_id) between 1 and 200),
  endpoint llm_private.endpoint not null,
  state llm_private.request_state not null default 'queued',
  reason llm_private.reason,
  fingerprint bytea not null check (octet_length(fingerprint) = 32),
  budget_scope text check (length(budget_scope) between 1 and 200),
  attempt_count smallint not null default 0 check (attempt_count between 0 and 1000),
  job_id bigint,
  created_at timestamptz not null,
  finished_at timestamptz,
  primary key (tenant_id, id),
  check ((state in ('queued', 'running')) = (finished_at is null))
) partition by range (id);
comment on table llm_private.requests is 'Request claims: one per (tenant, request_id, endpoint), made at enqueue; state queued -> running -> done | refused | failed | cancelled. Partitioned by the month in its id.';
comment on column llm_private.requests.fingerprint is 'sha256 of the user and every parameter of the payload (messages, model, limits, watermark, format, scope), length-prefixed: the same key with another fingerprint is refused at enqueue.';
comment on column llm_private.requests.job_id is 'The graphile-worker job that runs it, set once by llm_queue.add_request_job.';
create index requests_claim_idx on llm_private.requests (tenant_id, request_id, endpoint);
create index requests_created_brin on llm_private.requests using brin (created_at);

create table llm_private.request_inputs (
  tenant_id uuid not null,
  request_pk bigint not null,
  user_id uuid not null,
  model_ref text not null check (model_ref ~ '^[a-z0-9_-]{1,40}:[^\s\x01-\x1f]{1,200}$'),
  messages jsonb not null check (jsonb_typeof(messages) = 'array' and octet_length(messages::text) <= 1048576),
  max_output_tokens integer not null check (max_output_tokens between 1 and 100000),
  response_format text not null default 'text' check (response_format in ('text', 'json')),
  source_watermark text check (length(source_watermark) between 1 and 200),
  correlation_id text check (length(correlation_id) between 1 and 200),
  cost_ceiling_micros bigint check (cost_ceiling_micros between 0 and 1000000000000),
  cache_key text check (length(cache_key) = 64),
  system_hash text not null check (length(system_hash) = 64),
  primary key (tenant_id, request_pk)
) partition by range (request_pk);
comment on table llm_private.request_inputs is 'What a request asks for (messages and parameters), written once at enqueue; the worker reads it from here, never from a job payload. Dropped with its month.';
comment on column llm_private.request_inputs.cache_key is 'sha256 of the normalized request and its source watermark (NULL without a watermark: not cached).';
comment on column llm_private.request_inputs.system_hash is 'sha256 of the system messages: a cache entry never answers a request with another system prompt.';

/*
 * One attempt per reserve: the decision, the hold, the settlement. Written as a fact
 * (INSERT at reserve, UPDATE at settle/release/expiry); triggers derive every money, state and
 * consent column and move the usage counters in the same statement.
 */
create table llm_private.attempts (
  tenant_id uuid not null,
  request_pk bigint not null,
  attempt_no smallint not null check (attempt_no between 1 and 1000),
  user_id uuid not null,
  purpose llm_private.purpose not null default 'chat',
  job_attempt smallint not null check (job_attempt between 0 and 1000),
  state llm_private.attempt_state not null,
  decision llm_private.decision not null,
  reason llm_private.reason not null,
  price_id integer,
  input_tokens_estimate integer not null check (input_tokens_estimate between 0 and 10000000),
  max_output_tokens integer not null check (max_output_tokens between 0 and 1000000),
  held_micros bigint not null default 0 check (held_micros >= 0),
  reserved_at timestamptz not null,
  expires_at timestamptz not null,
  ended_at timestamptz,
  input_tokens integer check (input_tokens between 0 and 10000000),
  cached_input_tokens integer check (cached_input_tokens between 0 and 10000000),
  output_tokens integer check (output_tokens between 0 and 10000000),
  cost_micros bigint check (cost_micros >= 0),
  charged_micros bigint not null default 0 check (charged_micros >= 0),
  latency_ms integer check (latency_ms between 0 and 86400000),
  provider_status llm_private.provider_status,
  usage_unknown boolean not null default false,
  late boolean not null default false,
  output_valid boolean,
  pii_flagged boolean,
  meter_ids smallint[] not null default '{}' check (cardinality(meter_ids) <= 64),
  limit_id integer,
  limit_cap bigint,
  limit_used bigint,
  cache_key text check (length(cache_key) = 64),
  cache_source_pk bigint,
  similarity real check (similarity between -1 and 1),
  trace_id text check (trace_id ~ '^[0-9a-f]{32}$'),
  distillation_eligible boolean,
  distillation_reason llm_private.distill_reason,
  primary key (tenant_id, request_pk, attempt_no)
) partition by range (request_pk);
comment on table llm_private.attempts is 'Every reserve''s decision and what became of it (the ledger). INSERT = reserve, UPDATE = settle | release | expiry; the triggers in sql/api/*attempts* derive decisions, holds, costs, charges and consent, and move usage. No DELETE.';
comment on column llm_private.attempts.job_attempt is 'graphile-worker''s attempt number of the job that reserved (0 for calls outside a job): reserve is idempotent per (request, job attempt, purpose).';
comment on column llm_private.attempts.held_micros is 'The worst case held while state = held (input estimate at the uncached price + every allowed output token).';
comment on column llm_private.attempts.charged_micros is 'What the attempt counts as spent: the real cost once settled, the full hold when expired (unknown outcome), 0 when released or refused.';
comment on column llm_private.attempts.usage_unknown is 'The provider''s usage is unknown (timeout after sending, dropped connection, malformed body, expiry): charged the full hold.';
comment on column llm_private.attempts.late is 'Settled after it had expired or been released: the conservative charge was replaced by the real cost, once.';
comment on column llm_private.attempts.meter_ids is 'The meters this attempt counts on (its footprint, fixed at reserve): usage moves on exactly these at settle, release and expiry.';
comment on column llm_private.attempts.limit_id is 'For a refusal, a cap or a fallback by a limit: the limit that decided; limit_cap and limit_used are the figures compared.';
comment on column llm_private.attempts.cache_key is 'For a cache hit: the key of the entry served.';
comment on column llm_private.attempts.cache_source_pk is 'For a cache hit: the request whose answer was served.';
create index attempts_reserved_brin on llm_private.attempts using brin (reserved_at);
create index attempts_expires_brin on llm_private.attempts using brin (expires_at);

/*
 * Usage per (meter, subject, period, shard): held and spent in the meter's unit. quota is the
 * shard's share of cap (sum over shards = cap); an unsharded meter has one row per period with
 * quota = cap. Written only by the ledger's triggers (see sql/api: llm_private.tg_usage__guard).
 */
create table llm_private.usage (
  tenant_id uuid not null,
  meter_id smallint not null,
  user_id uuid not null,
  budget_scope text not null,
  period_start timestamptz not null,
  shard smallint not null check (shard between 0 and 63),
  limit_id integer not null,
  cap bigint not null,
  quota bigint not null,
  held bigint not null default 0 check (held >= 0),
  spent bigint not null default 0 check (spent >= 0),
  primary key (tenant_id, meter_id, user_id, budget_scope, period_start, shard)
) partition by range (period_start);
comment on table llm_private.usage is 'Usage counters of the limit engine: held and spent per meter, subject (tenant, user, budget scope; the nil uuid or '''' where the meter does not split by it) and period, per escrow shard. Moved only by the ledger''s triggers, always together with the attempt or adjustment that justifies the change.';
comment on column llm_private.usage.cap is 'The effective cap of the subject''s limit (on every shard; the quotas of the shards sum to it).';
comment on column llm_private.usage.quota is 'This shard''s share of the cap: a hold must fit held + spent + amount <= quota (hard limits).';

create sequence llm_private.alert_id_seq as bigint;
comment on sequence llm_private.alert_id_seq is 'Ids of alerts, in firing order.';
create table llm_private.alerts (
  tenant_id uuid not null,
  meter_id smallint not null,
  user_id uuid not null,
  budget_scope text not null,
  period_start timestamptz not null,
  threshold_pct smallint not null,
  id bigint not null default nextval('llm_private.alert_id_seq'),
  limit_id integer not null,
  used bigint not null,
  cap bigint not null,
  fired_at timestamptz not null,
  primary key (tenant_id, meter_id, user_id, budget_scope, period_start, threshold_pct)
) partition by range (period_start);
comment on table llm_private.alerts is 'A limit''s usage crossed one of its alert percentages: recorded once per (limit subject, period, threshold), announced with pg_notify on channel llm_limit_alert.';

create sequence llm_private.adjustment_id_seq as bigint;
comment on sequence llm_private.adjustment_id_seq is 'Ids of adjustments.';
create table llm_private.adjustments (
  tenant_id uuid not null,
  id bigint not null default nextval('llm_private.adjustment_id_seq'),
  user_id uuid,
  amount_micros bigint not null check (amount_micros <> 0 and abs(amount_micros) <= 1000000000000),
  reason text not null check (length(reason) between 1 and 500),
  effective_at timestamptz not null,
  meter_ids smallint[] not null default '{}',
  created_by text not null default current_user,
  created_at timestamptz not null default now(),
  primary key (tenant_id, id, effective_at)
) partition by range (effective_at);
comment on table llm_private.adjustments is 'Append-only operator credits (negative) and debits (positive) of a tenant''s or user''s spend, with reason, who and when; they flow into usage (every unfiltered micro-USD meter of the subject in the period of effective_at) and into llm.reconciliation_drift.';

/* ------------------------------------------------------------------ 6. outputs, traces, cache */

create table llm_private.call_outputs (
  tenant_id uuid not null,
  request_pk bigint not null,
  attempt_no smallint not null,
  user_id uuid not null,
  output text not null check (octet_length(output) <= 1048576),
  created_at timestamptz not null,
  expires_at timestamptz not null,
  primary key (tenant_id, request_pk, attempt_no)
);
comment on table llm_private.call_outputs is 'Final outputs of settled (or cache-served) calls, never the reasoning; kept for output_retention_ms. The prompt is in request_inputs.';
create index call_outputs_expiry_idx on llm_private.call_outputs (expires_at);

create table llm_private.reasoning_traces (
  tenant_id uuid not null,
  request_pk bigint not null,
  attempt_no smallint not null,
  user_id uuid not null,
  trace text not null check (octet_length(trace) <= 1048576),
  created_at timestamptz not null,
  expires_at timestamptz not null,
  primary key (tenant_id, request_pk, attempt_no)
);
comment on table llm_private.reasoning_traces is 'Provider reasoning kept apart from final output: own RLS, shorter retention, never cached, exported only where the tenant allows traces.';
create index reasoning_traces_expiry_idx on llm_private.reasoning_traces (expires_at);

create table llm_private.cache_entries (
  tenant_id uuid not null,
  owner_user_id uuid not null,
  cache_key text not null check (length(cache_key) = 64),
  endpoint llm_private.endpoint not null,
  provider text not null,
  model text not null,
  system_hash text not null check (length(system_hash) = 64),
  response_format text not null check (response_format in ('text', 'json')),
  source_watermark text not null,
  output text not null check (octet_length(output) <= 1048576),
  source_request_pk bigint not null,
  source_attempt_no smallint not null,
  source_cost_micros bigint not null check (source_cost_micros >= 0),
  embedding real[] check (cardinality(embedding) between 1 and 4096),
  embedding_model text,
  created_at timestamptz not null,
  expires_at timestamptz not null,
  primary key (tenant_id, owner_user_id, cache_key)
);
comment on table llm_private.cache_entries is 'The Postgres cache: key = sha256(normalized request + source watermark). Scoped to its user (owner_user_id) unless the tenant shares the endpoint''s cache (owner = nil uuid). Only complete, valid answers of the requested model are stored.';
comment on column llm_private.cache_entries.embedding is 'The question''s embedding, for the semantic cache (NULL: exact cache only).';
create index cache_entries_expiry_idx on llm_private.cache_entries (expires_at);
create index cache_entries_scope_idx on llm_private.cache_entries (tenant_id, owner_user_id, endpoint, provider, model, source_watermark, system_hash, response_format, created_at desc);

create table llm_private.cache_fills (
  tenant_id uuid not null,
  owner_user_id uuid not null,
  cache_key text not null check (length(cache_key) = 64),
  request_pk bigint not null,
  attempt_no smallint not null,
  expires_at timestamptz not null,
  primary key (tenant_id, owner_user_id, cache_key)
);
comment on table llm_private.cache_fills is 'Single flight: the attempt now calling the provider for a cache key; identical requests wait (LISTEN llm_cache_filled) instead of calling too. A fill ends with its settle or its hold''s expiry.';

/* ------------------------------------------------------------------ partitions */

/*
 * Monthly partitions of the ledger. Request-keyed tables (requests, request_inputs, attempts) are
 * ranged on the month bits of the request id; period tables (usage, alerts) on period_start;
 * adjustments on effective_at. A DEFAULT partition catches anything outside the created months
 * (lifetime usage of window 'none', clocks frozen in tests) so an insert never fails.
 */
create function llm_private.partitioned_tables() returns text[]
  language sql immutable
as $$ select array['requests', 'request_inputs', 'attempts', 'usage', 'alerts', 'adjustments'] $$;
comment on function llm_private.partitioned_tables() is 'The ledger tables partitioned by month.';

create function llm_private.create_month_partition(p_table text, p_month integer) returns boolean
  language plpgsql
  set search_path = pg_catalog
as $$
declare
  part text := format('%s_m%s', p_table, to_char(llm_private.month_start(p_month) at time zone 'UTC', 'YYYYMM'));
  bounds text;
begin
  if p_table <> all (llm_private.partitioned_tables()) or p_month not between 0 and 2400 then
    raise exception using errcode = '22023', message = 'not a partitioned ledger table or month', detail = format('%s %s', p_table, p_month);
  end if;
  if to_regclass('llm_private.' || part) is not null then
    return false;
  end if;
  bounds := case when p_table in ('requests', 'request_inputs', 'attempts')
                 then format('from (%s) to (%s)', p_month::bigint << 40, (p_month + 1)::bigint << 40)
                 else format('from (%L) to (%L)', llm_private.month_start(p_month), llm_private.month_start(p_month + 1)) end;
  execute format('create table llm_private.%I partition of llm_private.%I for values %s', part, p_table, bounds);
  execute format('alter table llm_private.%I enable row level security', part);
  execute format('alter table llm_private.%I force row level security', part);
  execute format('comment on table llm_private.%I is %L', part, format('Partition of llm_private.%s for %s (UTC).', p_table,
    to_char(llm_private.month_start(p_month) at time zone 'UTC', 'YYYY-MM')));
  return true;
end
$$;
comment on function llm_private.create_month_partition(text, integer) is
  'Creates one month''s partition of a ledger table (FORCE RLS, no grants: access goes through the parent''s policies). Owner only; called by migrations and llm_maint.ensure_partitions().';

do $$
declare
  t text;
begin
  foreach t in array llm_private.partitioned_tables() loop
    execute format('create table llm_private.%I partition of llm_private.%I default', t || '_default', t);
    execute format('alter table llm_private.%I enable row level security', t || '_default');
    execute format('alter table llm_private.%I force row level security', t || '_default');
    execute format('comment on table llm_private.%I is %L', t || '_default',
      format('Default partition of llm_private.%s: rows outside the created months (lifetime usage, frozen test clocks).', t));
    for m in llm_private.month_index(now()) - 1 .. llm_private.month_index(now()) + 3 loop
      perform llm_private.create_month_partition(t, m);
    end loop;
  end loop;
end
$$;

/* ------------------------------------------------------------------ 7. row level security */

/*
 * Every table: ENABLE + FORCE RLS, every policy TO a named role. Shorthands:
 *   app (llm_app):     tenant_id = llm_private.app_tenant_id() and user_id = llm_private.app_user_id()
 *   money (llm_money): tenant_id = llm_private.current_tenant_id() and user_id = llm_private.current_user_id()
 * A context with a tenant but no user matches no user-owned row (NULL = x is never true), and the
 * money role's tenant-wide rows (usage of tenant meters) also require a user in the context.
 */
do $$
declare
  t text;
begin
  foreach t in array array['settings', 'tenants', 'users', 'endpoint_settings', 'models', 'model_prices', 'model_fallbacks', 'meters',
    'limits', 'budget_scopes', 'shutoff_windows', 'provider_breakers', 'requests', 'request_inputs', 'attempts', 'usage', 'alerts',
    'adjustments', 'call_outputs', 'reasoning_traces', 'cache_entries', 'cache_fills'] loop
    execute format('alter table llm_private.%I enable row level security', t);
    execute format('alter table llm_private.%I force row level security', t);
  end loop;
end
$$;

/* Shared configuration: readable by our roles, written by the operator (and seeded by the owner). */
create policy select_all on llm_private.settings for select to llm_app, llm_money, llm_operator, llm_auditor using (true);
create policy operator_update on llm_private.settings for update to llm_operator using (true) with check (true);
create policy owner_all on llm_private.settings to llm_owner using (true) with check (true);
create policy select_all on llm_private.models for select to llm_app, llm_money, llm_operator, llm_auditor using (true);
create policy select_all on llm_private.model_prices for select to llm_app, llm_money, llm_operator, llm_auditor, llm_exporter using (true);
create policy select_all on llm_private.model_fallbacks for select to llm_money, llm_operator, llm_auditor using (true);
create policy operator_all on llm_private.models to llm_operator using (true) with check (true);
create policy operator_insert on llm_private.model_prices for insert to llm_operator with check (true);
create policy operator_all on llm_private.model_fallbacks to llm_operator using (true) with check (true);
create policy owner_all on llm_private.models to llm_owner using (true) with check (true);
create policy owner_all on llm_private.model_prices to llm_owner using (true) with check (true);
create policy owner_all on llm_private.model_fallbacks to llm_owner using (true) with check (true);
grant select on llm_private.settings, llm_private.models, llm_private.model_prices to llm_app, llm_money, llm_operator, llm_auditor;
grant select on llm_private.model_fallbacks to llm_money, llm_operator, llm_auditor;
grant select (id, provider, model) on llm_private.model_prices to llm_exporter;
grant update on llm_private.settings to llm_operator;
grant insert, update on llm_private.models to llm_operator;
grant insert on llm_private.model_prices to llm_operator;
grant insert, delete on llm_private.model_fallbacks to llm_operator;

/* Tenants and users. */
create policy app_select_own on llm_private.tenants for select to llm_app using (id = llm_private.app_tenant_id());
create policy money_select_own on llm_private.tenants for select to llm_money
  using (id = llm_private.current_tenant_id() and llm_private.current_user_id() is not null);
create policy operator_all on llm_private.tenants to llm_operator using (true) with check (true);
create policy auditor_select on llm_private.tenants for select to llm_auditor using (true);
create policy exporter_select on llm_private.tenants for select to llm_exporter using (true);
create policy owner_all on llm_private.tenants to llm_owner using (true) with check (true);
grant select on llm_private.tenants to llm_app, llm_money, llm_operator, llm_auditor;
grant select (id, traces_distillable) on llm_private.tenants to llm_exporter;
grant insert, update on llm_private.tenants to llm_operator;

create policy app_select_own on llm_private.users for select to llm_app
  using (tenant_id = llm_private.app_tenant_id() and id = llm_private.app_user_id());
create policy app_enroll_own on llm_private.users for insert to llm_app
  with check (tenant_id = llm_private.app_tenant_id() and id = llm_private.app_user_id());
create policy money_select_own on llm_private.users for select to llm_money
  using (tenant_id = llm_private.current_tenant_id() and id = llm_private.current_user_id());
create policy operator_all on llm_private.users to llm_operator using (true) with check (true);
create policy auditor_select on llm_private.users for select to llm_auditor using (true);
create policy owner_all on llm_private.users to llm_owner using (true) with check (true);
grant select on llm_private.users to llm_app, llm_money, llm_operator, llm_auditor;
grant insert (tenant_id, id) on llm_private.users to llm_app;
grant insert on llm_private.users to llm_operator;

create policy money_select on llm_private.endpoint_settings for select to llm_money
  using (tenant_id is null or tenant_id = llm_private.current_tenant_id());
create policy operator_all on llm_private.endpoint_settings to llm_operator using (true) with check (true);
create policy auditor_select on llm_private.endpoint_settings for select to llm_auditor using (true);
create policy owner_all on llm_private.endpoint_settings to llm_owner using (true) with check (true);
grant select on llm_private.endpoint_settings to llm_money, llm_operator, llm_auditor;
grant insert, update, delete on llm_private.endpoint_settings to llm_operator;

/* Limit configuration: the money role and the application see what applies to their context. */
create policy money_select on llm_private.meters for select to llm_money
  using (tenant_id is null or tenant_id = llm_private.current_tenant_id());
create policy app_select on llm_private.meters for select to llm_app
  using (tenant_id is null or tenant_id = llm_private.app_tenant_id());
create policy operator_all on llm_private.meters to llm_operator using (true) with check (true);
create policy auditor_select on llm_private.meters for select to llm_auditor using (true);
create policy owner_all on llm_private.meters to llm_owner using (true) with check (true);
grant select on llm_private.meters to llm_app, llm_money, llm_operator, llm_auditor;
grant insert, update (disabled_at) on llm_private.meters to llm_operator;

create policy money_select on llm_private.limits for select to llm_money
  using (tenant_id is null or (tenant_id = llm_private.current_tenant_id() and (user_id is null or user_id = llm_private.current_user_id())));
create policy app_select on llm_private.limits for select to llm_app
  using (tenant_id is null or (tenant_id = llm_private.app_tenant_id() and (user_id is null or user_id = llm_private.app_user_id())));
create policy operator_all on llm_private.limits to llm_operator using (true) with check (true);
create policy auditor_select on llm_private.limits for select to llm_auditor using (true);
create policy owner_all on llm_private.limits to llm_owner using (true) with check (true);
grant select on llm_private.limits to llm_app, llm_money, llm_operator, llm_auditor;
grant insert, update (valid_until) on llm_private.limits to llm_operator;

/* Budget scopes: created by the money role at a scope's first call. */
create policy money_own on llm_private.budget_scopes to llm_money
  using (tenant_id = llm_private.current_tenant_id() and llm_private.current_user_id() is not null)
  with check (tenant_id = llm_private.current_tenant_id() and llm_private.current_user_id() is not null);
create policy operator_select on llm_private.budget_scopes for select to llm_operator using (true);
create policy auditor_select on llm_private.budget_scopes for select to llm_auditor using (true);
grant select, insert (tenant_id, scope_key, started_at, first_request_pk) on llm_private.budget_scopes to llm_money;
grant select on llm_private.budget_scopes to llm_operator, llm_auditor;

/* Shutoff windows: the money role reads those that concern its context and may only record a trip. */
create policy money_select on llm_private.shutoff_windows for select to llm_money
  using (llm_private.current_user_id() is not null and (tenant_id is null
     or (tenant_id = llm_private.current_tenant_id() and (user_id is null or user_id = llm_private.current_user_id()))));
create policy money_trip on llm_private.shutoff_windows for insert to llm_money
  with check (kind = 'tripped' and llm_private.current_user_id() is not null and (tenant_id is null
     or (tenant_id = llm_private.current_tenant_id() and (user_id is null or user_id = llm_private.current_user_id()))));
create policy operator_all on llm_private.shutoff_windows to llm_operator using (true) with check (true);
create policy auditor_select on llm_private.shutoff_windows for select to llm_auditor using (true);
grant select, insert (scope, tenant_id, user_id, kind, starts_at, ends_at, reason, limit_id) on llm_private.shutoff_windows to llm_money;
grant select, insert (scope, tenant_id, user_id, kind, starts_at, ends_at, reason, limit_id), update (cancelled_at, cancelled_by)
  on llm_private.shutoff_windows to llm_operator;
grant select on llm_private.shutoff_windows to llm_auditor;

/* The breaker: shared; the money role records outcomes through the ledger's triggers only. */
create policy select_all on llm_private.provider_breakers for select to llm_money, llm_operator, llm_auditor using (true);
create policy money_record on llm_private.provider_breakers for insert to llm_money with check (llm_private.current_user_id() is not null);
create policy money_update on llm_private.provider_breakers for update to llm_money
  using (llm_private.current_user_id() is not null) with check (llm_private.current_user_id() is not null);
create policy operator_all on llm_private.provider_breakers to llm_operator using (true) with check (true);
grant select on llm_private.provider_breakers to llm_money, llm_operator, llm_auditor;
grant insert (provider, model), update (state, consecutive_failures, open_until, probe_started_at, opened_count, last_failure_at,
  last_success_at, updated_at) on llm_private.provider_breakers to llm_money, llm_operator;

/* Requests: the application claims (born queued) and may cancel its own queued ones; the money role moves state. */
create policy app_select_own on llm_private.requests for select to llm_app
  using (tenant_id = llm_private.app_tenant_id() and user_id = llm_private.app_user_id());
create policy app_claim_own on llm_private.requests for insert to llm_app
  with check (tenant_id = llm_private.app_tenant_id() and user_id = llm_private.app_user_id());
create policy app_cancel_own on llm_private.requests for update to llm_app
  using (tenant_id = llm_private.app_tenant_id() and user_id = llm_private.app_user_id())
  with check (tenant_id = llm_private.app_tenant_id() and user_id = llm_private.app_user_id());
create policy money_own on llm_private.requests to llm_money
  using (tenant_id = llm_private.current_tenant_id() and user_id = llm_private.current_user_id())
  with check (tenant_id = llm_private.current_tenant_id() and user_id = llm_private.current_user_id());
-- The enqueue wrapper (llm_worker) sees the caller's tenant's claims, to refuse a key another user holds; it updates only the caller's own.
create policy worker_enqueue_select on llm_private.requests for select to llm_worker using (tenant_id = llm_private.app_tenant_id());
create policy worker_enqueue_update on llm_private.requests for update to llm_worker
  using (tenant_id = llm_private.app_tenant_id() and user_id = llm_private.app_user_id())
  with check (tenant_id = llm_private.app_tenant_id() and user_id = llm_private.app_user_id());
create policy operator_select on llm_private.requests for select to llm_operator using (true);
create policy operator_fail on llm_private.requests for update to llm_operator using (true) with check (true);
create policy auditor_select on llm_private.requests for select to llm_auditor using (true);
grant select, insert (tenant_id, user_id, request_id, endpoint, fingerprint, budget_scope, created_at), update (state)
  on llm_private.requests to llm_app;
grant select, update (state, reason, attempt_count, finished_at) on llm_private.requests to llm_money;
grant select, update (job_id) on llm_private.requests to llm_worker;
grant select, update (state, reason, finished_at) on llm_private.requests to llm_operator;
grant select on llm_private.requests to llm_auditor;

create policy app_own on llm_private.request_inputs to llm_app
  using (tenant_id = llm_private.app_tenant_id() and user_id = llm_private.app_user_id())
  with check (tenant_id = llm_private.app_tenant_id() and user_id = llm_private.app_user_id());
create policy money_select_own on llm_private.request_inputs for select to llm_money
  using (tenant_id = llm_private.current_tenant_id() and user_id = llm_private.current_user_id());
create policy auditor_select on llm_private.request_inputs for select to llm_auditor using (true);
create policy exporter_eligible on llm_private.request_inputs for select to llm_exporter
  using (exists (select 1 from llm_private.attempts a where a.tenant_id = request_inputs.tenant_id
                  and a.request_pk = request_inputs.request_pk and a.distillation_eligible));
grant select, insert (tenant_id, request_pk, user_id, model_ref, messages, max_output_tokens, response_format, source_watermark,
  correlation_id, cost_ceiling_micros, cache_key, system_hash) on llm_private.request_inputs to llm_app;
grant select on llm_private.request_inputs to llm_money, llm_auditor;
grant select (tenant_id, request_pk, messages) on llm_private.request_inputs to llm_exporter;

/* Attempts: the ledger. The money role inserts (reserve) and updates (settle, release) facts only. */
create policy app_select_own on llm_private.attempts for select to llm_app
  using (tenant_id = llm_private.app_tenant_id() and user_id = llm_private.app_user_id());
create policy money_own on llm_private.attempts to llm_money
  using (tenant_id = llm_private.current_tenant_id() and user_id = llm_private.current_user_id())
  with check (tenant_id = llm_private.current_tenant_id() and user_id = llm_private.current_user_id());
create policy operator_select on llm_private.attempts for select to llm_operator using (true);
create policy operator_expire on llm_private.attempts for update to llm_operator using (true) with check (true);
create policy auditor_select on llm_private.attempts for select to llm_auditor using (true);
create policy exporter_eligible on llm_private.attempts for select to llm_exporter using (distillation_eligible);
grant select on llm_private.attempts to llm_app, llm_operator, llm_auditor;
grant select, insert (tenant_id, request_pk, user_id, purpose, job_attempt, input_tokens_estimate, expires_at, cache_key, similarity,
  trace_id), update (state, input_tokens, cached_input_tokens, output_tokens, latency_ms, provider_status, output_valid, pii_flagged)
  on llm_private.attempts to llm_money;
grant update (state) on llm_private.attempts to llm_operator;
grant select (tenant_id, request_pk, attempt_no, price_id, distillation_eligible) on llm_private.attempts to llm_exporter;

/* Usage, alerts, adjustments: the money role and the operator write them only through the ledger's triggers. */
create policy app_select_own on llm_private.usage for select to llm_app
  using (tenant_id = llm_private.app_tenant_id()
     and (user_id = llm_private.app_user_id() or user_id = '00000000-0000-0000-0000-000000000000'::uuid));
create policy money_own on llm_private.usage to llm_money
  using (llm_private.current_user_id() is not null
     and (tenant_id = '00000000-0000-0000-0000-000000000000'::uuid
       or (tenant_id = llm_private.current_tenant_id()
           and (user_id = '00000000-0000-0000-0000-000000000000'::uuid or user_id = llm_private.current_user_id()))))
  with check (llm_private.current_user_id() is not null
     and (tenant_id = '00000000-0000-0000-0000-000000000000'::uuid
       or (tenant_id = llm_private.current_tenant_id()
           and (user_id = '00000000-0000-0000-0000-000000000000'::uuid or user_id = llm_private.current_user_id()))));
create policy operator_all on llm_private.usage to llm_operator using (true) with check (true);
create policy auditor_select on llm_private.usage for select to llm_auditor using (true);
grant select on llm_private.usage to llm_app, llm_auditor;
grant select, insert, update (held, spent, quota, cap, limit_id) on llm_private.usage to llm_money, llm_operator;

create policy money_own on llm_private.alerts to llm_money
  using (llm_private.current_user_id() is not null
     and (tenant_id = '00000000-0000-0000-0000-000000000000'::uuid or tenant_id = llm_private.current_tenant_id()))
  with check (llm_private.current_user_id() is not null
     and (tenant_id = '00000000-0000-0000-0000-000000000000'::uuid or tenant_id = llm_private.current_tenant_id()));
create policy operator_all on llm_private.alerts to llm_operator using (true) with check (true);
create policy auditor_select on llm_private.alerts for select to llm_auditor using (true);
grant insert on llm_private.alerts to llm_money, llm_operator;
grant select on llm_private.alerts to llm_operator, llm_auditor;

create policy operator_all on llm_private.adjustments to llm_operator using (true) with check (true);
create policy auditor_select on llm_private.adjustments for select to llm_auditor using (true);
grant select, insert (tenant_id, user_id, amount_micros, reason, effective_at) on llm_private.adjustments to llm_operator;
grant select on llm_private.adjustments to llm_auditor;

/* Outputs and traces. */
create policy app_select_own on llm_private.call_outputs for select to llm_app
  using (tenant_id = llm_private.app_tenant_id() and user_id = llm_private.app_user_id());
create policy money_own on llm_private.call_outputs to llm_money
  using (tenant_id = llm_private.current_tenant_id() and user_id = llm_private.current_user_id())
  with check (tenant_id = llm_private.current_tenant_id() and user_id = llm_private.current_user_id());
create policy operator_all on llm_private.call_outputs to llm_operator using (true) with check (true);
create policy auditor_select on llm_private.call_outputs for select to llm_auditor using (true);
create policy exporter_eligible on llm_private.call_outputs for select to llm_exporter
  using (exists (select 1 from llm_private.attempts a where a.tenant_id = call_outputs.tenant_id
                  and a.request_pk = call_outputs.request_pk and a.attempt_no = call_outputs.attempt_no and a.distillation_eligible));
grant select on llm_private.call_outputs to llm_app, llm_auditor;
grant select, insert on llm_private.call_outputs to llm_money;
grant select, delete on llm_private.call_outputs to llm_operator;
grant select (tenant_id, request_pk, attempt_no, output, created_at) on llm_private.call_outputs to llm_exporter;

create policy money_own on llm_private.reasoning_traces to llm_money
  using (tenant_id = llm_private.current_tenant_id() and user_id = llm_private.current_user_id())
  with check (tenant_id = llm_private.current_tenant_id() and user_id = llm_private.current_user_id());
create policy operator_all on llm_private.reasoning_traces to llm_operator using (true) with check (true);
create policy auditor_select on llm_private.reasoning_traces for select to llm_auditor using (true);
create policy exporter_allowed on llm_private.reasoning_traces for select to llm_exporter
  using (exists (select 1 from llm_private.tenants t where t.id = reasoning_traces.tenant_id and t.traces_distillable)
     and exists (select 1 from llm_private.attempts a where a.tenant_id = reasoning_traces.tenant_id
                  and a.request_pk = reasoning_traces.request_pk and a.attempt_no = reasoning_traces.attempt_no and a.distillation_eligible));
grant select, insert on llm_private.reasoning_traces to llm_money;
grant select, delete on llm_private.reasoning_traces to llm_operator;
grant select on llm_private.reasoning_traces to llm_auditor;
grant select (tenant_id, request_pk, attempt_no, trace) on llm_private.reasoning_traces to llm_exporter;

/* The cache: a user's own entries, or the tenant's shared ones (owner = nil uuid). */
create policy money_scope on llm_private.cache_entries to llm_money
  using (tenant_id = llm_private.current_tenant_id()
     and (owner_user_id = llm_private.current_user_id() or owner_user_id = '00000000-0000-0000-0000-000000000000'::uuid))
  with check (tenant_id = llm_private.current_tenant_id()
     and (owner_user_id = llm_private.current_user_id() or owner_user_id = '00000000-0000-0000-0000-000000000000'::uuid));
create policy operator_all on llm_private.cache_entries to llm_operator using (true) with check (true);
create policy auditor_select on llm_private.cache_entries for select to llm_auditor using (true);
grant select, insert, update on llm_private.cache_entries to llm_money;
grant select, delete on llm_private.cache_entries to llm_operator;
grant select on llm_private.cache_entries to llm_auditor;

create policy money_scope on llm_private.cache_fills to llm_money
  using (tenant_id = llm_private.current_tenant_id()
     and (owner_user_id = llm_private.current_user_id() or owner_user_id = '00000000-0000-0000-0000-000000000000'::uuid))
  with check (tenant_id = llm_private.current_tenant_id()
     and (owner_user_id = llm_private.current_user_id() or owner_user_id = '00000000-0000-0000-0000-000000000000'::uuid));
create policy operator_all on llm_private.cache_fills to llm_operator using (true) with check (true);
grant select, insert, update, delete on llm_private.cache_fills to llm_money;
grant select, delete on llm_private.cache_fills to llm_operator;

/* Everyone of ours reads the clock and the schema version; the owner writes them. */
grant usage on schema llm_private to llm_money;
grant select on llm_private.clock to llm_money;
grant usage on sequence llm_private.request_id_seq to llm_app;
grant usage on sequence llm_private.alert_id_seq to llm_money, llm_operator;
grant usage on sequence llm_private.adjustment_id_seq to llm_operator;
grant usage on type llm_private.applicable_limit, llm_private.endpoint, llm_private.request_state, llm_private.attempt_state, llm_private.decision, llm_private.reason,
  llm_private.provider_status, llm_private.purpose, llm_private.limit_scope, llm_private.limit_window, llm_private.limit_unit,
  llm_private.limit_kind, llm_private.limit_action, llm_private.window_kind, llm_private.distill_reason
  to llm_app, llm_money, llm_operator, llm_auditor, llm_exporter;

grant execute on function llm_private.tx_stamp(), llm_private.current_tenant_id(), llm_private.current_user_id(), llm_private.now(),
  llm_private.month_index(timestamptz), llm_private.month_start(integer)
  to llm_app, llm_money, llm_operator, llm_auditor, llm_exporter, llm_worker;
grant execute on function llm_private.app_context(), llm_private.app_tenant_id(), llm_private.app_user_id()
  to llm_app, llm_money, llm_operator, llm_auditor, llm_exporter, llm_worker;
grant execute on function llm_private.new_request_id() to llm_app;
grant select on llm_private.clock to llm_worker;
grant usage on schema llm_private to llm_worker;
grant select on llm_private.settings to llm_worker;
revoke select on llm_private.clock from llm_exporter;
revoke execute on function llm_private.now() from llm_exporter;
create policy worker_select on llm_private.settings for select to llm_worker using (true);

/* ------------------------------------------------------------------ 8. defaults: the limits of 0.1 as rows */

insert into llm_private.settings default values;
insert into llm_private.endpoint_settings (tenant_id, endpoint) select null, e from unnest(enum_range(null::llm_private.endpoint)) e;

insert into llm_private.meters (name, scope, "window", unit, endpoint, shards) values
  ('request_cap_route',               'request',      'request',      'micros',     'route',               1),
  ('request_cap_explanation',         'request',      'request',      'micros',     'explanation',         1),
  ('request_cap_investigation',       'request',      'request',      'micros',     'investigation',       1),
  ('request_cap_budget_optimization', 'request',      'request',      'micros',     'budget_optimization', 1),
  ('user_monthly',                    'user',         'month',        'micros',     null,                  1),
  ('tenant_monthly',                  'tenant',       'month',        'micros',     null,                  8),
  ('investigation_budget',            'budget_scope', 'budget_scope', 'micros',     'investigation',       1),
  ('investigation_calls',             'budget_scope', 'budget_scope', 'calls',      'investigation',       1),
  ('investigation_deadline',          'budget_scope', 'budget_scope', 'elapsed_ms', 'investigation',       1),
  ('user_hourly',                     'user',         'hour',         'micros',     null,                  1),
  ('tenant_hourly',                   'tenant',       'hour',         'micros',     null,                  8),
  ('global_hourly',                   'global',       'hour',         'micros',     null,                  16);

insert into llm_private.limits (meter_id, cap, kind, action, note)
select m.id, d.cap, 'hard', d.action::llm_private.limit_action, d.note
  from (values
    ('request_cap_route',               20000,     'fallback', 'Per-request cap of route: 0.02 USD.'),
    ('request_cap_explanation',         100000,    'cap',      'Per-request cap of explanation: 0.10 USD.'),
    ('request_cap_investigation',       300000,    'cap',      'Per-request cap of investigation: 0.30 USD.'),
    ('request_cap_budget_optimization', 300000,    'cap',      'Per-request cap of budget_optimization: 0.30 USD.'),
    ('user_monthly',                    25000000,  'block',    'Every user: 25 USD per calendar month (UTC).'),
    ('tenant_monthly',                  500000000, 'block',    'Every tenant: 500 USD per calendar month (UTC).'),
    ('investigation_budget',            300000,    'cap',      'An investigation: 0.30 USD over all its calls and retries.'),
    ('investigation_calls',             10,        'block',    'An investigation: at most 10 provider calls (tool-call steps).'),
    ('investigation_deadline',          60000,     'block',    'An investigation: no call later than 60 s after its first.')
  ) d(meter, cap, action, note)
  join llm_private.meters m on m.name = d.meter;

/* ------------------------------------------------------------------ 9. the enqueue wrapper (the one SECURITY DEFINER of the request path) */

create schema llm_queue authorization llm_worker;
set local role llm_worker;
comment on schema llm_queue is 'The enqueue wrapper around graphile_worker.add_job, owned by llm_worker (graphile-worker''s tables admit only their owner).';
revoke all on schema llm_queue from public;
grant usage on schema llm_queue to llm_app;
create function llm_queue.add_request_job(p_request_pk bigint) returns bigint
  language plpgsql
  security definer
  set search_path = pg_catalog, pg_temp
as $$
declare
  ctx record;
  r record;
  v_job_id bigint;
begin
  select * into ctx from llm_private.app_context();
  if ctx.tenant_id is null then
    raise exception using errcode = '42501', message = 'no application context',
      hint = 'Call llm.use_context(token) in this transaction first.';
  end if;
  -- Only a request of the caller's own tenant and user, still queued, with no job yet: the wrapper
  -- builds the identifier, payload and key itself, so it can do nothing llm.enqueue_call cannot.
  select q.tenant_id, q.user_id, q.id, q.endpoint, q.state, q.job_id, q.request_id into r
    from llm_private.requests q
   where q.tenant_id = ctx.tenant_id and q.user_id = ctx.user_id and q.id = p_request_pk
   for update;
  if not found then
    raise exception using errcode = 'P0002', message = 'request not found',
      detail = format('request %s is not visible in this tenant and user context', p_request_pk);
  end if;
  if r.state <> 'queued' or r.job_id is not null then
    raise exception using errcode = '55000', message = 'request already has a job or is not queued',
      detail = format('request %s is %s, job %s', r.id, r.state, coalesce(r.job_id::text, 'none'));
  end if;
  -- The claim key is the tenant's: another user of the tenant holding (request_id, endpoint) in the
  -- idempotency window makes this claim a conflict (the caller cannot see that user's rows).
  if exists (select 1 from llm_private.requests o
              where o.tenant_id = r.tenant_id and o.request_id = r.request_id and o.endpoint = r.endpoint and o.id <> r.id
                and o.user_id <> r.user_id
                and o.id >= (llm_private.month_index(llm_private.now())
                             - (select s.idempotency_months from llm_private.settings s) + 1)::bigint << 40) then
    raise exception using errcode = 'LG409', message = 'request_id already claimed by another user of the tenant',
      detail = format('tenant %s, endpoint %s, request_id %s', r.tenant_id, r.endpoint, r.request_id),
      hint = 'Use a new request_id.';
  end if;
  select j.id into v_job_id
    from graphile_worker.add_job(r.endpoint::text,
           json_build_object('tenant_id', r.tenant_id, 'user_id', r.user_id, 'request_pk', r.id::text),
           max_attempts => (select s.enqueue_max_attempts::int from llm_private.settings s),
           job_key => format('llm:%s:%s', r.tenant_id, r.id), job_key_mode => 'unsafe_dedupe') j;
  update llm_private.requests q set job_id = v_job_id where q.tenant_id = r.tenant_id and q.id = r.id;
  return v_job_id;
end
$$;
comment on function llm_queue.add_request_job(bigint) is
  'SECURITY DEFINER (owner llm_worker): adds the graphile-worker job of a queued request of the caller''s own signed context, once. The job''s identifier, payload ({tenant_id, user_id, request_pk}) and key are built here. Called by llm.enqueue_call.';
revoke all on function llm_queue.add_request_job(bigint) from public;
grant execute on function llm_queue.add_request_job(bigint) to llm_app;
-- The operator's sweep of lost requests reads graphile-worker's public jobs view.
grant usage on schema graphile_worker to llm_operator;
grant select on graphile_worker.jobs to llm_operator;
reset role;

/* ------------------------------------------------------------------ 10. partition maintenance (owner's, for the operator) */

/*
 * Creating and dropping partitions is DDL, which only the tables' owner may do. These two
 * functions are SECURITY DEFINER for that reason alone; they take no argument (horizon and
 * retention come from settings) and touch only the ledger's own monthly partitions.
 */
create schema llm_maint;
comment on schema llm_maint is 'Partition maintenance of the ledger: the owner''s two SECURITY DEFINER functions, executable by llm_operator.';
revoke all on schema llm_maint from public;
grant usage on schema llm_maint to llm_operator;

create function llm_maint.ensure_partitions() returns integer
  language plpgsql
  security definer
  set search_path = pg_catalog, pg_temp
as $$
declare
  t text;
  n integer := 0;
  cur integer := llm_private.month_index(llm_private.now());
  ahead integer := (select s.partitions_ahead_months from llm_private.settings s);
begin
  foreach t in array llm_private.partitioned_tables() loop
    for m in cur .. cur + ahead loop
      begin
        if llm_private.create_month_partition(t, m) then
          n := n + 1;
        end if;
      exception when check_violation then
        -- Rows of that month already sit in the default partition (the horizon was passed while
        -- maintenance did not run): they stay there and stay correct; say so.
        raise warning 'llm_maint: %.% month % has rows in the default partition; partition not created', 'llm_private', t, m;
      end;
    end loop;
  end loop;
  return n;
end
$$;
comment on function llm_maint.ensure_partitions() is
  'SECURITY DEFINER (owner): creates the ledger''s monthly partitions from this month to settings.partitions_ahead_months ahead; returns how many it created. Run daily by the worker''s cron (llm__maintain_partitions).';

create function llm_maint.drop_expired_partitions() returns integer
  language plpgsql
  security definer
  set search_path = pg_catalog, pg_temp
as $$
declare
  p record;
  n integer := 0;
  keep_from integer := llm_private.month_index(llm_private.now()) - (select s.ledger_retention_months from llm_private.settings s) + 1;
begin
  for p in select c.relname, parent.relname as parent_name
             from pg_inherits i
             join pg_class c on c.oid = i.inhrelid
             join pg_class parent on parent.oid = i.inhparent
             join pg_namespace ns on ns.oid = parent.relnamespace
            where ns.nspname = 'llm_private' and parent.relname = any (llm_private.partitioned_tables())
              and c.relname ~ '_m[0-9]{6}$' loop
    if (substr(right(p.relname, 6), 1, 4)::int - 2000) * 12 + substr(right(p.relname, 6), 5, 2)::int - 1 < keep_from then
      execute format('alter table llm_private.%I detach partition llm_private.%I', p.parent_name, p.relname);
      execute format('drop table llm_private.%I', p.relname);
      n := n + 1;
    end if;
  end loop;
  return n;
end
$$;
comment on function llm_maint.drop_expired_partitions() is
  'SECURITY DEFINER (owner): retention by whole months: detaches and drops ledger partitions older than settings.ledger_retention_months (no DELETE sweeps). Returns how many it dropped.';
revoke all on function llm_maint.ensure_partitions(), llm_maint.drop_expired_partitions() from public;
grant execute on function llm_maint.ensure_partitions(), llm_maint.drop_expired_partitions() to llm_operator;
