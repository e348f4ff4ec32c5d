/*
 * The minimum of the lead's schema that sql/optional/pgvector.sql and sql/api/076-semantic-cache.sql
 * need, for PGlite (WASM PostgreSQL 17 with pgvector): roles, the two schemas, the clock and context
 * helpers, cache_entries with SPEC.md's columns (endpoint as text, unlike this branch's enum) and
 * the CHECK and index of migrations/current.sql, endpoint_cache_settings, FORCE RLS for llm_money.
 * Test and bench tool only (test/support/pglite-semantic.ts).
 */
create role llm_owner;
create role llm_money;
create role llm_operator;
create role llm_auditor;
create role llm_worker;
create schema llm_private;
create schema llm;
grant usage on schema llm_private, llm to llm_money, llm_operator, llm_auditor;

create table llm_private.clock (id boolean primary key default true, frozen_at timestamptz);
insert into llm_private.clock default values;
grant select on llm_private.clock to llm_money, llm_operator, llm_auditor;
create function llm_private.now() returns timestamptz language sql stable set search_path = pg_catalog as $$
  select coalesce((select c.frozen_at from llm_private.clock c), pg_catalog.now())
$$;
create function llm_private.current_tenant_id() returns uuid language sql stable as $$
  select nullif(pg_catalog.current_setting('app.current_tenant_id', true), '')::pg_catalog.uuid
$$;

create table llm_private.cache_entries (
  tenant_id uuid not null,
  owner_user_id uuid not null default '00000000-0000-0000-0000-000000000000',
  cache_key text not null check (length(cache_key) = 64),
  endpoint text not null,
  provider text not null,
  model text not null,
  system_hash text,
  response_format text not null default 'text',
  source_watermark text,
  output text not null,
  source_request_pk bigint,
  source_attempt_no integer,
  source_cost_micros bigint not null default 0,
  embedding real[],
  embedding_model text,
  created_at timestamptz not null,
  expires_at timestamptz not null,
  primary key (tenant_id, owner_user_id, cache_key),
  constraint cache_entries_semantic_check check (
    response_format in ('text', 'json')
    and (system_hash is null or system_hash ~ '^[0-9a-f]{64}$')
    and (source_watermark is null or length(source_watermark) between 1 and 200)
    and (embedding_model is null or length(embedding_model) between 1 and 200)
    and (embedding is null or (
          embedding_model is not null and system_hash is not null and source_watermark is not null
          and array_ndims(embedding) = 1 and cardinality(embedding) between 1 and 4096
          and array_position(embedding, null) is null
          and not ('NaN'::real = any (embedding) or 'Infinity'::real = any (embedding) or '-Infinity'::real = any (embedding))))
    and (embedding is null) = (embedding_model is null))
);
create index cache_entries_semantic_scope_idx on llm_private.cache_entries
  (tenant_id, owner_user_id, endpoint, provider, model, source_watermark, system_hash, response_format, created_at desc, cache_key)
  where embedding is not null;
alter table llm_private.cache_entries enable row level security;
alter table llm_private.cache_entries force row level security;
create policy money_own_tenant on llm_private.cache_entries for select to llm_money using (tenant_id = llm_private.current_tenant_id());
create policy operator_all on llm_private.cache_entries to llm_operator using (true) with check (true);
grant select on llm_private.cache_entries to llm_money;
grant select, delete on llm_private.cache_entries to llm_operator;

create table llm_private.endpoint_cache_settings (
  tenant_id uuid not null,
  endpoint text not null,
  shared boolean not null default false,
  semantic_threshold real check (semantic_threshold is null or (semantic_threshold >= 0.5 and semantic_threshold <= 1)),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, endpoint)
);
alter table llm_private.endpoint_cache_settings enable row level security;
alter table llm_private.endpoint_cache_settings force row level security;
create policy select_own_tenant on llm_private.endpoint_cache_settings for select to llm_money using (tenant_id = llm_private.current_tenant_id());
create policy operator_all on llm_private.endpoint_cache_settings to llm_operator using (true) with check (true);
grant select on llm_private.endpoint_cache_settings to llm_money;
grant select, insert, update, delete on llm_private.endpoint_cache_settings to llm_operator;
