/*
 * The minimum of the v0.2 schema that sql/optional/pgvector.sql and sql/api/076-semantic-cache.sql
 * need, for PGlite (WASM PostgreSQL 17 with pgvector): roles, the two schemas, the clock and the
 * worker's context functions, the endpoint enum, cache_entries and endpoint_settings as 000007 makes
 * them with the CHECK and the scope index of the semantic-cache migration, and llm_money's FORCE RLS
 * policies. Copied, not shared: keep it in step with migrations/ (the PostgreSQL 15 side of
 * test/ts/semantic-pgvector.test.ts runs the real schema on the same data, so a drift shows there).
 * llm_private.system_hash is taken from sql/api/070-cache.sql by test/support/pglite-semantic.ts.
 * Test and bench tool only.
 */
create role llm_owner;
create role llm_money;
create role llm_operator;
create role llm_auditor;
create role llm_worker;
create schema llm_private;
create schema llm;
grant usage on schema llm_private, llm to llm_money, llm_operator, llm_auditor, llm_worker;

create table llm_private.clock (id boolean primary key default true, frozen_at timestamptz, offset_ms bigint not null default 0);
insert into llm_private.clock default values;
grant select on llm_private.clock to llm_money, llm_operator, llm_auditor, llm_worker;
create function llm_private.now() returns timestamptz language sql stable set search_path = pg_catalog as $$
  select coalesce((select c.frozen_at from llm_private.clock c), clock_timestamp())
$$;
create function llm_private.tx_stamp() returns bigint language sql stable as $$
  select (pg_catalog.date_part('epoch', pg_catalog.transaction_timestamp()) * 1000000)::pg_catalog.int8
$$;
create function llm_private.current_tenant_id() returns uuid language sql stable as $$
  select case when pg_catalog.current_setting('app.context_tx', true) = llm_private.tx_stamp()::pg_catalog.text
              then nullif(pg_catalog.current_setting('app.current_tenant_id', true), '')::pg_catalog.uuid end
$$;
create function llm_private.current_user_id() returns uuid language sql stable as $$
  select case when pg_catalog.current_setting('app.context_tx', true) = llm_private.tx_stamp()::pg_catalog.text
              then nullif(pg_catalog.current_setting('app.current_user_id', true), '')::pg_catalog.uuid end
$$;

create type llm_private.endpoint as enum ('route', 'explanation', 'investigation', 'budget_optimization');

create table llm_private.endpoint_settings (
  tenant_id uuid,
  endpoint llm_private.endpoint not null,
  cache_shared boolean not null default false,
  semantic_threshold real check (semantic_threshold > 0 and semantic_threshold <= 1),
  embedding_model text check (embedding_model ~ '^[a-z0-9_-]{1,40}:[^\s\x01-\x1f]{1,200}$'),
  unique nulls not distinct (tenant_id, endpoint)
);
alter table llm_private.endpoint_settings enable row level security;
alter table llm_private.endpoint_settings force row level security;
create policy money_select on llm_private.endpoint_settings for select to llm_money
  using (tenant_id is null or tenant_id = llm_private.current_tenant_id());
grant select on llm_private.endpoint_settings to llm_money;

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
  max_output_tokens integer check (max_output_tokens between 0 and 1000000),   -- migration 000025
  primary key (tenant_id, owner_user_id, cache_key),
  constraint cache_entries_semantic_check check (
    (embedding is null) = (embedding_model is null)
    and (embedding_model is null or embedding_model ~ '^[a-z0-9_-]{1,40}:[^\s\x01-\x1f]{1,200}$')
    and (embedding is null or (
          array_ndims(embedding) = 1
          and array_position(embedding, null) is null
          and not ('NaN'::real = any (embedding) or 'Infinity'::real = any (embedding) or '-Infinity'::real = any (embedding))
          and 0::real <> any (embedding))))
);
create index cache_entries_semantic_scope_idx on llm_private.cache_entries
  (tenant_id, owner_user_id, provider, model, source_watermark, system_hash, response_format, embedding_model, created_at desc, cache_key)
  where embedding is not null;
alter table llm_private.cache_entries enable row level security;
alter table llm_private.cache_entries force row level security;
create policy money_scope on llm_private.cache_entries to llm_money
  using (tenant_id = llm_private.current_tenant_id()
     and (owner_user_id = llm_private.current_user_id() or owner_user_id = '00000000-0000-0000-0000-000000000000'::uuid));
create policy operator_all on llm_private.cache_entries to llm_operator using (true) with check (true);
grant select on llm_private.cache_entries to llm_money;
grant select, delete on llm_private.cache_entries to llm_operator;
