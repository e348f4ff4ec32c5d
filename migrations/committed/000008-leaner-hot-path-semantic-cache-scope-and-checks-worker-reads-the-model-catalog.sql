--! Previous: sha1:11e365410494748395c56a4d35199afb26a46123
--! Hash: sha1:da6c24a7c1a8be66463becaefea9d370033d3834
--! Message: Leaner hot path, semantic cache scope and checks, worker reads the model catalog

/*
 * The hot path, leaner (issue "Reserve and settle near the commit floor"):
 *   - a request's attempt count is derived from its attempts (one index range scan that reserve
 *     does anyway for the per-request headroom), and a request is written only when it ends:
 *     reserve no longer writes the request row (its state reads 'running' in the views while it
 *     has attempts and no final state);
 *   - usage rows carry next_alert_at, the spent level at which the next alert or shutoff trip must
 *     be checked, so a settle reads the limit row only when a threshold may have been crossed;
 *   - an attempt says whether it fills the cache, so a settle touches cache_fills only then.
 */
alter table llm_private.requests drop column if exists attempt_count;

alter table llm_private.usage add column if not exists next_alert_at bigint not null default 0;
comment on column llm_private.usage.next_alert_at is
  'The spent level (on this shard) at which the next alert percentage or shutoff trip must be checked; below it a settle does not look at the limit.';
grant update (next_alert_at) on llm_private.usage to llm_money, llm_operator;

alter table llm_private.attempts add column if not exists fills_cache boolean not null default false;
comment on column llm_private.attempts.fills_cache is 'The attempt registered the cache fill of its request''s key (single flight): its end wakes the waiters.';

/*
 * Issue 12, the semantic cache, on the v0.2 schema (000007 already has the columns: cache_entries.embedding,
 * embedding_model, system_hash, response_format, source_watermark; attempts.similarity, cache_source_pk;
 * endpoint_settings.semantic_threshold, embedding_model). This migration adds what the lookup needs to
 * be safe and fast, the two figures a lookup reports, and the default thresholds. Idempotent.
 * pgvector is NOT here: it is optional, detected at migrate time by sql/optional/pgvector.sql.
 */

/*
 * What a stored embedding must be. NaN compares greater than every number in PostgreSQL, so one NaN
 * coordinate would make an entry "similar" to every question; the zero vector has no direction
 * (cosine undefined). pgvector refuses NaN and infinities anyway, and both lookup paths must accept
 * the same rows. An embedding always names its model (vectors of two models are never compared).
 */
alter table llm_private.cache_entries drop constraint if exists cache_entries_semantic_check;
alter table llm_private.cache_entries add constraint cache_entries_semantic_check check (
  (embedding is null) = (embedding_model is null)
  and (embedding_model is null or embedding_model ~ '^[a-z0-9_-]{1,40}:[^\s\x01-\x1f]{1,200}$')
  and (embedding is null or (
        array_ndims(embedding) = 1
        and array_position(embedding, null) is null
        and not ('NaN'::real = any (embedding) or 'Infinity'::real = any (embedding) or '-Infinity'::real = any (embedding))
        and 0::real <> any (embedding))));
comment on column llm_private.cache_entries.embedding_model is
  'provider:model of the embedding call that produced embedding (the source request''s settled embedding attempt); vectors of different models are never compared. NULL exactly when embedding is NULL.';
comment on column llm_private.cache_entries.system_hash is
  'llm_private.system_hash(messages) of the source request: another system prompt never matches, exactly or semantically.';
comment on column llm_private.cache_entries.response_format is 'text or json: a JSON request is never served a text entry, nor the reverse.';
comment on column llm_private.cache_entries.source_watermark is
  'The source request''s source_watermark: part of the key and of the semantic scope, so that an entry of an older revision of the data is never served.';
comment on column llm_private.cache_entries.source_request_pk is 'The request whose answer this entry is (llm.request_results shows it as reused_request_id).';

/*
 * The portable lookup's scan: equality on the whole scope, newest first, so that it reads the scope's
 * entries in order and stops after the candidate bound. Partial: exact-only entries stay out.
 * endpoint is NOT in the key: it is an enum, and enum equality (enum_eq) is not LEAKPROOF. Under RLS
 * (llm_money's policy is a security barrier) the planner may use a non-leakproof condition only as a
 * filter after the policy, never as an index condition; with endpoint in the middle of the key the
 * columns after it could not give the created_at order either, and the lookup sorted the whole
 * (tenant, owner) range (measured on the pre-v0.2 schema: 10 000 rows read for a bound of 100, 30 ms
 * instead of 3). It is checked on the row: entries of another endpoint with the same provider, model,
 * watermark, system prompt, format and embedding model are rare, and never counted in the bound.
 * This replaces 000007's cache_entries_scope_idx, which had endpoint in the key and no partial predicate.
 */
drop index if exists llm_private.cache_entries_scope_idx;
drop index if exists llm_private.cache_entries_semantic_scope_idx;
create index cache_entries_semantic_scope_idx on llm_private.cache_entries
  (tenant_id, owner_user_id, provider, model, source_watermark, system_hash, response_format, embedding_model, created_at desc, cache_key)
  where embedding is not null;
comment on index llm_private.cache_entries_semantic_scope_idx is
  'Portable semantic lookup: a scope''s embedded entries newest first (endpoint is checked on the row: enum equality is not leakproof, so it cannot be an index condition under RLS).';
-- llm.purge_cache by tenant and watermark without reading the tenant's other entries.
create index if not exists cache_entries_watermark_idx on llm_private.cache_entries (tenant_id, source_watermark);

/* What a semantic lookup reported, recorded with the decision (NULL when no lookup ran). */
alter table llm_private.attempts
  add column if not exists semantic_candidates integer,
  add column if not exists semantic_bound_hit boolean;
alter table llm_private.attempts drop constraint if exists attempts_semantic_check;
alter table llm_private.attempts add constraint attempts_semantic_check check (
  (semantic_candidates is null) = (semantic_bound_hit is null) and semantic_candidates between 0 and 1000000);
comment on column llm_private.attempts.semantic_candidates is
  'A chat reserve that ran a semantic lookup (llm.reserve_call with p_embedding, exact miss, the endpoint''s threshold set): how many cache entries of the scope it compared. NULL when no lookup ran.';
comment on column llm_private.attempts.semantic_bound_hit is
  'The semantic lookup stopped at its candidate bound (settings.semantic_max_candidates, portable path): the scope held more entries, and an older match may not have been reached. NULL when no lookup ran.';
comment on column llm_private.attempts.similarity is 'For a semantic hit: the cosine similarity of the question''s embedding to the entry served.';
-- llm.reserve_call (as llm_money) inserts them; the reserve trigger keeps them only where a lookup could run.
grant insert (semantic_candidates, semantic_bound_hit) on llm_private.attempts to llm_money;

/*
 * Default thresholds (the tenant_id NULL rows; a tenant's own row replaces its endpoint's default row
 * whole). Off for investigation, where a wrong answer costs most. 0.90 elsewhere: with the local
 * embeddings rewordings score 0.94 to 1 and one changed fact 0.57 to 0.67 (docs/semantic-cache.md).
 * No default embedding model: the semantic cache stays dormant until an operator names one
 * (llm.set_endpoint_cache(..., p_embedding_model)), a model of kind embedding with a price.
 */
update llm_private.endpoint_settings set semantic_threshold = 0.90
 where tenant_id is null and endpoint <> 'investigation' and semantic_threshold is null;

/*
 * The worker reads the model catalog (llm.model_catalog) as itself at start, to warn about models
 * it cannot call; the catalog is configuration, not tenant data.
 */
drop policy if exists worker_select on llm_private.models;
create policy worker_select on llm_private.models for select to llm_worker using (true);
drop policy if exists worker_select on llm_private.model_prices;
create policy worker_select on llm_private.model_prices for select to llm_worker using (true);
drop policy if exists worker_select on llm_private.model_fallbacks;
create policy worker_select on llm_private.model_fallbacks for select to llm_worker using (true);
grant select on llm_private.models, llm_private.model_prices, llm_private.model_fallbacks to llm_worker;
