/*
 * Issue 12, the semantic cache: the DDL to fold into the lead's migration.
 *
 * Written against the pre-rewrite schema of this branch so that it can be tested here; idempotent
 * (graphile-migrate's current.sql convention). Three parts:
 *   A. cache_entries columns for the semantic cache (SPEC.md lists them) and the scope index.
 *      The lead's new cache_entries already has the columns: keep A's CHECKs and the index.
 *   B. llm_private.endpoint_cache_settings, read by llm.set_endpoint_cache and
 *      llm_private.cache_policy (sql/api/076-semantic-cache.sql).
 *   C. SCAFFOLDING for this branch only (the lead's schema has its own): llm_money's access to
 *      what the lookup reads. Do not fold C in; check that the lead's policies give the same.
 * pgvector is NOT here: it is optional, detected at migrate time by sql/optional/pgvector.sql.
 */

/* ------------------------------------------------------------------ A. cache_entries */
alter table llm_private.cache_entries
  -- nil uuid = an entry shared by the tenant's users (llm.set_endpoint_cache(..., p_shared => true)).
  add column if not exists owner_user_id uuid not null default '00000000-0000-0000-0000-000000000000',
  add column if not exists system_hash text,
  add column if not exists response_format text not null default 'text',
  add column if not exists source_watermark text,
  add column if not exists source_request_pk bigint,
  add column if not exists source_attempt_no integer,
  add column if not exists embedding real[],
  add column if not exists embedding_model text;

/*
 * Why these CHECKs: NaN compares greater than every number in PostgreSQL, so one NaN coordinate
 * would make an entry "similar" to every question; pgvector refuses NaN and infinities anyway, and
 * the two paths must accept the same rows. A semantic entry always knows its whole scope.
 */
alter table llm_private.cache_entries drop constraint if exists cache_entries_semantic_check;
alter table llm_private.cache_entries add constraint cache_entries_semantic_check check (
  response_format in ('text', 'json')
  and (system_hash is null or system_hash ~ '^[0-9a-f]{64}$')
  and (source_watermark is null or length(source_watermark) between 1 and 200)
  and (embedding_model is null or length(embedding_model) between 1 and 200)
  and (embedding is null or (
        embedding_model is not null and system_hash is not null and source_watermark is not null
        and array_ndims(embedding) = 1 and cardinality(embedding) between 1 and 4096
        and array_position(embedding, null) is null
        and not ('NaN'::real = any (embedding) or 'Infinity'::real = any (embedding) or '-Infinity'::real = any (embedding))))
  and (embedding is null) = (embedding_model is null));

comment on column llm_private.cache_entries.owner_user_id is
  'The user whose requests may be served this entry; the nil uuid when the tenant shares the endpoint''s cache among its users.';
comment on column llm_private.cache_entries.system_hash is
  'llm_private.system_hash(messages): sha256 of the system/developer messages. Part of the semantic scope: another system prompt never matches.';
comment on column llm_private.cache_entries.response_format is 'text or json: part of the scope, a JSON request is never served a text entry nor the reverse.';
comment on column llm_private.cache_entries.source_watermark is
  'The request''s source_watermark: part of the scope, so an entry of an older revision of the data is never served.';
comment on column llm_private.cache_entries.source_request_pk is 'The request whose answer this entry is (llm.request_results shows it as reused_request_id).';
comment on column llm_private.cache_entries.source_attempt_no is 'The attempt of source_request_pk that produced the answer.';
comment on column llm_private.cache_entries.embedding is
  'The embedding of the request''s semantic text (docs/semantic-cache.md), NULL for an exact-only entry. Cosine similarity is computed over it (portable path) or over its vector(n) cast (HNSW expression index, pgvector path).';
comment on column llm_private.cache_entries.embedding_model is 'provider:model that produced embedding: vectors of different models are never compared.';

/*
 * The portable path's scan: equality on the scope, newest first, so that the lookup reads the
 * scope's entries in order and stops after p_max_candidates. Partial: exact-only entries stay out.
 * endpoint is NOT in the key here because it is an enum in this schema, and enum equality
 * (enum_eq) is not LEAKPROOF: under RLS the planner may not use a non-leakproof qual as an index
 * condition, so with endpoint in the middle of the key the index could not give the order and the
 * lookup sorted the whole tenant (measured: 10 000 rows read for a bound of 100, 30 ms instead of
 * 3). It is checked on the row instead. If endpoint is text in the new schema (texteq is leakproof),
 * put it right after owner_user_id.
 */
drop index if exists llm_private.cache_entries_semantic_scope_idx;
create index cache_entries_semantic_scope_idx on llm_private.cache_entries
  (tenant_id, owner_user_id, provider, model, source_watermark, system_hash, response_format, created_at desc, cache_key)
  where embedding is not null;
-- Purge by tenant+watermark (llm.purge_cache_entries) without scanning the tenant's other entries.
create index if not exists cache_entries_watermark_idx on llm_private.cache_entries (tenant_id, source_watermark);

/* ------------------------------------------------------------------ B. per-endpoint settings */
create table if not exists llm_private.endpoint_cache_settings (
  tenant_id uuid not null references llm_private.tenants (id),
  endpoint llm_private.endpoint not null,
  shared boolean not null default false,
  semantic_threshold real check (semantic_threshold is null or (semantic_threshold >= 0.5 and semantic_threshold <= 1)),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, endpoint)
);
comment on table llm_private.endpoint_cache_settings is
  'Per tenant and endpoint: whether the cache is shared by the tenant''s users, and the semantic similarity threshold (NULL = semantic cache off). Without a row the defaults of llm_private.cache_policy apply.';
comment on column llm_private.endpoint_cache_settings.shared is
  'true: entries are stored with owner_user_id = nil uuid and served to every user of the tenant; false (default): per user.';
comment on column llm_private.endpoint_cache_settings.semantic_threshold is
  'Minimum cosine similarity for a semantic hit, 0.5..1; NULL turns the semantic cache off for this endpoint (exact cache only).';
alter table llm_private.endpoint_cache_settings enable row level security;
alter table llm_private.endpoint_cache_settings force row level security;
drop policy if exists operator_all on llm_private.endpoint_cache_settings;
create policy operator_all on llm_private.endpoint_cache_settings to llm_operator using (true) with check (true);
drop policy if exists select_own_tenant on llm_private.endpoint_cache_settings;
create policy select_own_tenant on llm_private.endpoint_cache_settings for select to llm_money
  using (tenant_id = llm_private.current_tenant_id());
drop policy if exists auditor_select on llm_private.endpoint_cache_settings;
create policy auditor_select on llm_private.endpoint_cache_settings for select to llm_auditor using (true);
grant select, insert, update, delete on llm_private.endpoint_cache_settings to llm_operator;
grant select on llm_private.endpoint_cache_settings to llm_money, llm_auditor;

/* ------------------------------------------------------------------ C. SCAFFOLDING (this branch only) */
grant usage on schema llm_private to llm_money;
grant execute on function llm_private.now(), llm_private.current_tenant_id(), llm_private.current_user_id(),
  llm_private.uuid_or_null(text) to llm_money;
grant select on llm_private.clock to llm_money;
grant select on llm_private.cache_entries to llm_money;
drop policy if exists money_own_tenant on llm_private.cache_entries;
create policy money_own_tenant on llm_private.cache_entries for select to llm_money
  using (tenant_id = llm_private.current_tenant_id());
grant delete on llm_private.cache_entries to llm_operator;
alter table llm_private.cache_entries alter column source_reservation_id drop not null;  -- the lead's table has source_request_pk instead
