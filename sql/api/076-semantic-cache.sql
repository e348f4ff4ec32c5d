/*
 * The semantic cache (issue 12): a chat request is served an earlier answer when the embedding of its
 * question is close enough (cosine similarity >= the endpoint's threshold) to the embedding stored
 * with a cache entry of exactly the same scope:
 *   tenant; owner user (the nil uuid when the tenant shares the endpoint's cache); endpoint;
 *   provider and model; source watermark (a new revision of the data never sees old answers);
 *   system prompt hash (llm_private.system_hash, sql/api/070-cache.sql: another system prompt never
 *   matches); response format (JSON never matches text); embedding model (vectors of two models are
 *   never compared).
 * The database does the lookup: llm.reserve_call(..., p_embedding) calls llm_private.semantic_claim
 * after the exact key misses, and inserts the attempt with the entry it found; the reserve trigger
 * verifies that claim again (sql/api/080-reserve.sql). The embedding is its own governed call
 * (p_purpose 'embedding', reserved and settled at the embedding model's price) made before the chat
 * reserve; llm.embedding_for_call tells the worker whether it is worth making.
 * Two lookup paths with the same signature and the same answers on the same data:
 *   portable  cosine over real[] in plain SQL, newest entries of the scope first, at most
 *             p_max_candidates of them (bound_hit says when the scope held more);
 *   pgvector  when sql/optional/pgvector.sql created the HNSW expression index for this many
 *             dimensions: nearest entries by `<=>` through the index, the scope as a filter
 *             (iterative scan), no candidate bound of ours.
 * Every function here is SECURITY INVOKER: under FORCE RLS the caller (llm_money with the job's
 * context) sees only what its policies allow, and the scope predicates are written out as well, so
 * that a broader policy can never widen a match.
 * The lookup layer (cache_policy .. semantic_cache_path) reads only cache_entries and
 * endpoint_settings, so that test/support/pglite-semantic.ts can run this same file on a minimal
 * schema in PGlite (pgvector); its declarations name no other table.
 */

/* ------------------------------------------------------------------ policy per endpoint */

create or replace function llm_private.cache_policy(p_tenant_id uuid, p_user_id uuid, p_endpoint text,
  out owner_user_id uuid, out shared boolean, out semantic_threshold real, out embedding_model text)
  language plpgsql stable
  set search_path = pg_catalog
as $$
declare
  -- Typed like the column (the endpoint enum), so that the comparison needs no cast.
  v_endpoint llm_private.cache_entries.endpoint%type := p_endpoint;
begin
  -- The tenant's own row replaces the endpoint's default row (tenant_id NULL) whole.
  select x.cache_shared, x.semantic_threshold, x.embedding_model into shared, semantic_threshold, embedding_model
    from llm_private.endpoint_settings x
   where (x.tenant_id = p_tenant_id or x.tenant_id is null) and x.endpoint = v_endpoint
   order by x.tenant_id nulls last limit 1;
  shared := coalesce(shared, false);
  owner_user_id := case when shared then '00000000-0000-0000-0000-000000000000'::uuid else p_user_id end;
end
$$;
comment on function llm_private.cache_policy(uuid, uuid, text) is
  'The cache scope and semantic settings of a (tenant, user, endpoint), from llm_private.endpoint_settings (the tenant''s row, else the endpoint''s default row): owner_user_id is the user, or the nil uuid when the tenant shares the endpoint''s cache; semantic_threshold NULL = semantic cache off; embedding_model = provider:model of the embedding call.';

/* ------------------------------------------------------------------ lookup: shared checks */

create or replace function llm_private.require_embedding(p_embedding real[]) returns double precision
  language plpgsql immutable
  set search_path = pg_catalog
as $$
declare
  v_norm double precision;
begin
  if p_embedding is null or array_ndims(p_embedding) <> 1 or cardinality(p_embedding) not between 1 and 4096
     or array_position(p_embedding, null) is not null
     or 'NaN'::real = any (p_embedding) or 'Infinity'::real = any (p_embedding) or '-Infinity'::real = any (p_embedding) then
    raise exception using errcode = '22023', message = 'an embedding is 1 to 4096 finite numbers',
      hint = 'NaN would compare above every threshold; pgvector refuses it too.';
  end if;
  select sqrt(sum(x::float8 * x::float8)) into v_norm from unnest(p_embedding) x;
  if v_norm = 0 then
    raise exception using errcode = '22023', message = 'the zero vector is not an embedding (no direction, no cosine)';
  end if;
  return v_norm;
end
$$;
comment on function llm_private.require_embedding(real[]) is
  'Validates an embedding (one dimension, 1..4096 finite numbers, not all zero: 22023 otherwise) and returns its L2 norm. The CHECK cache_entries_semantic_check says the same of stored ones.';

create or replace function llm_private.semantic_check_args(p_tenant_id uuid, p_owner_user_id uuid, p_endpoint text, p_provider text,
  p_model text, p_source_watermark text, p_system_hash text, p_response_format text, p_embedding real[], p_threshold real,
  p_max_candidates integer, p_embedding_model text) returns double precision
  language plpgsql immutable
  set search_path = pg_catalog
as $$
begin
  if p_tenant_id is null or p_owner_user_id is null or p_endpoint is null or p_provider is null or p_model is null
     or p_source_watermark is null or p_system_hash is null or p_response_format is null or p_embedding_model is null then
    raise exception using errcode = '22023', message = 'semantic_lookup: every part of the scope is required',
      hint = 'No watermark, no caching: do not look up a request without source_watermark.';
  end if;
  if p_response_format not in ('text', 'json') then
    raise exception using errcode = '22023', message = 'semantic_lookup: p_response_format must be text or json';
  end if;
  if p_threshold is not null and not (p_threshold > 0 and p_threshold <= 1) then
    raise exception using errcode = '22023', message = 'semantic_lookup: p_threshold must be NULL (off) or in (0, 1]';
  end if;
  if p_max_candidates is null or p_max_candidates not between 1 and 1000000 then
    raise exception using errcode = '22023', message = 'semantic_lookup: p_max_candidates must be in 1..1000000';
  end if;
  return llm_private.require_embedding(p_embedding);
end
$$;
comment on function llm_private.semantic_check_args(uuid, uuid, text, text, text, text, text, text, real[], real, integer, text) is
  'Validates the arguments of a semantic lookup (22023 on a missing scope part, a bad threshold or bound, a malformed or zero embedding) and returns the embedding''s L2 norm.';

/* ------------------------------------------------------------------ lookup: portable path */

create or replace function llm_private.semantic_lookup_portable(p_tenant_id uuid, p_owner_user_id uuid, p_endpoint text,
  p_provider text, p_model text, p_source_watermark text, p_system_hash text, p_response_format text, p_embedding real[],
  p_threshold real, p_max_candidates integer, p_embedding_model text, p_max_output_tokens integer default null)
  returns table (cache_key text, similarity real, source_request_pk bigint, output text, candidates_scanned integer, bound_hit boolean)
  language plpgsql stable
  set search_path = pg_catalog
as $$
declare
  v_qnorm double precision := llm_private.semantic_check_args(p_tenant_id, p_owner_user_id, p_endpoint, p_provider, p_model,
    p_source_watermark, p_system_hash, p_response_format, p_embedding, p_threshold, p_max_candidates, p_embedding_model);
  v_endpoint llm_private.cache_entries.endpoint%type := p_endpoint;
  v_dims integer := cardinality(p_embedding);
  v_now timestamptz := llm_private.now();  -- once, not per row
begin
  if p_threshold is null then
    return query select null::text, null::real, null::bigint, null::text, 0, false;
    return;
  end if;
  /*
   * cache_entries_semantic_scope_idx gives the scope's entries newest first (every column of its key
   * up to created_at is an equality here): read one more than the bound to know whether the bound
   * cut the scan, score the newest p_max_candidates. endpoint is a filter on the row (see the index).
   */
  return query
  with newest as (
    select c.cache_key, c.source_request_pk, c.output, c.created_at, c.embedding
      from llm_private.cache_entries c
     where c.tenant_id = p_tenant_id and c.owner_user_id = p_owner_user_id
       and c.provider = p_provider and c.model = p_model and c.source_watermark = p_source_watermark
       and c.system_hash = p_system_hash and c.response_format = p_response_format and c.embedding_model = p_embedding_model
       and c.embedding is not null
       and c.endpoint = v_endpoint
       and c.expires_at > v_now
       -- An entry written under a larger cap than the request's is no hit (its answer may be longer than asked for).
       and (p_max_output_tokens is null or c.max_output_tokens <= p_max_output_tokens)
     order by c.created_at desc, c.cache_key
     limit p_max_candidates + 1
  ), scored as (
    select w.cache_key, w.source_request_pk, w.output, w.created_at, (d.dot / (sqrt(d.nn) * v_qnorm))::real as sim
      from (select * from newest order by created_at desc, cache_key limit p_max_candidates) w
      -- Two unnest() in one select list run in step (a ProjectSet node): measured 40% faster than
      -- unnest(a, b) in FROM, which materialises each pair of arrays into a tuplestore.
      cross join lateral (select sum(z.x * z.y) as dot, sum(z.x * z.x) as nn
                            from (select unnest(w.embedding)::float8 as x, unnest(p_embedding)::float8 as y) z) d
     -- Another width of the same model (its dimensions setting changed) is never compared. Tested
     -- here, not in the scan: a predicate on cardinality() gets a default 0.5% selectivity that
     -- steers the planner away from the scope index.
     where cardinality(w.embedding) = v_dims and d.nn > 0
  ), best as (
    select * from scored s order by s.sim desc, s.created_at desc, s.cache_key limit 1
  )
  select case when b.sim >= p_threshold then b.cache_key end,
         b.sim,
         case when b.sim >= p_threshold then b.source_request_pk end,
         case when b.sim >= p_threshold then b.output end,
         (select count(*) from scored)::integer,
         (select count(*) from newest) > p_max_candidates
    from (select) one left join best b on true;
end
$$;
comment on function llm_private.semantic_lookup_portable(uuid, uuid, text, text, text, text, text, text, real[], real, integer, text, integer) is
  'Semantic lookup without extensions: cosine similarity over real[] of the newest p_max_candidates live entries of exactly this scope (embedding model included; with p_max_output_tokens, only entries written under a cap at most that). Always one row: cache_key/source_request_pk/output are set when the best similarity reaches p_threshold (a hit), similarity is the best one seen (hit or not), candidates_scanned how many were compared, bound_hit whether the scope held more than the bound. p_threshold NULL = off (nothing scanned).';

/* ------------------------------------------------------------------ lookup: pgvector path */

create or replace function llm_private.semantic_hnsw_index(p_dims integer) returns text
  language sql stable
  set search_path = pg_catalog
as $$
  select case when to_regclass(format('llm_private.cache_entries_embedding_hnsw_%s_idx', p_dims)) is not null
              then format('llm_private.cache_entries_embedding_hnsw_%s_idx', p_dims) end
$$;
comment on function llm_private.semantic_hnsw_index(integer) is
  'The HNSW expression index that sql/optional/pgvector.sql made for embeddings of p_dims dimensions, or NULL (then the lookup takes the portable path).';

create or replace function llm_private.semantic_lookup_pgvector(p_tenant_id uuid, p_owner_user_id uuid, p_endpoint text,
  p_provider text, p_model text, p_source_watermark text, p_system_hash text, p_response_format text, p_embedding real[],
  p_threshold real, p_max_candidates integer, p_embedding_model text, p_max_output_tokens integer default null)
  returns table (cache_key text, similarity real, source_request_pk bigint, output text, candidates_scanned integer, bound_hit boolean)
  language plpgsql stable
  set search_path = pg_catalog
as $$
declare
  v_qnorm double precision := llm_private.semantic_check_args(p_tenant_id, p_owner_user_id, p_endpoint, p_provider, p_model,
    p_source_watermark, p_system_hash, p_response_format, p_embedding, p_threshold, p_max_candidates, p_embedding_model);
  v_endpoint llm_private.cache_entries.endpoint%type := p_endpoint;
  v_dims integer := cardinality(p_embedding);
  v_schema name;
  v_type text;
  v_scan text := current_setting('hnsw.iterative_scan', true);
  r record;
begin
  if p_threshold is null then
    return query select null::text, null::real, null::bigint, null::text, 0, false;
    return;
  end if;
  if llm_private.semantic_hnsw_index(v_dims) is null then
    raise exception using errcode = '55000', message = format('semantic_lookup_pgvector: no HNSW index for %s dimensions', v_dims),
      hint = 'Run sql/optional/pgvector.sql (npm run migrate does) with this width in llm.pgvector_dims.';
  end if;
  select n.nspname into v_schema from pg_extension e join pg_namespace n on n.oid = e.extnamespace where e.extname = 'vector';
  v_type := format('%I.vector(%s)', v_schema, v_dims);
  -- pgvector >= 0.8: keep walking the HNSW graph until entries of this scope come up (the scope is
  -- a filter applied after the index), re-sorted below as pgvector's documentation advises. Set
  -- here and put back below rather than in a SET clause: before the library is loaded the name is
  -- only a placeholder, which CREATE FUNCTION ... SET refuses to a non-superuser owner.
  perform set_config('hnsw.iterative_scan', 'relaxed_order', true);
  /*
   * Dynamic because the width is part of the index expression (embedding::vector(n)) and must be a
   * constant for the planner to match it. Ten nearest entries of the scope, then the same order
   * as the portable path (similarity, newest, key).
   */
  execute format($q$
    with nearest as materialized (
      select c.cache_key, c.source_request_pk, c.output, c.created_at,
             c.embedding::%1$s operator(%2$I.<=>) $10::%1$s as distance
        from llm_private.cache_entries c
       where c.tenant_id = $1 and c.owner_user_id = $2 and c.endpoint = $3 and c.provider = $4 and c.model = $5
         and c.source_watermark = $6 and c.system_hash = $7 and c.response_format = $8
         and c.embedding_model = $9 and cardinality(c.embedding) = %3$s
         and c.expires_at > $11 and ($12::integer is null or c.max_output_tokens <= $12)
       order by c.embedding::%1$s operator(%2$I.<=>) $10::%1$s
       limit 10)
    select n.cache_key, (1 - n.distance)::real as sim, n.source_request_pk, n.output, (count(*) over ())::integer as scanned
      from nearest n
     order by n.distance, n.created_at desc, n.cache_key
     limit 1 $q$, v_type, v_schema, v_dims)
    into r
    using p_tenant_id, p_owner_user_id, v_endpoint, p_provider, p_model, p_source_watermark, p_system_hash, p_response_format,
          p_embedding_model, p_embedding, llm_private.now(), p_max_output_tokens;
  perform set_config('hnsw.iterative_scan', coalesce(v_scan, 'off'), true);
  return query select case when r.sim >= p_threshold then r.cache_key end,
                      r.sim,
                      case when r.sim >= p_threshold then r.source_request_pk end,
                      case when r.sim >= p_threshold then r.output end,
                      coalesce(r.scanned, 0),
                      false;
end
$$;
comment on function llm_private.semantic_lookup_pgvector(uuid, uuid, text, text, text, text, text, text, real[], real, integer, text, integer) is
  'Semantic lookup through pgvector: the nearest live entries of exactly this scope by cosine distance over the HNSW expression index of this width (iterative scan, the scope as a filter), same row as llm_private.semantic_lookup_portable. candidates_scanned = entries of the scope ranked (at most 10); bound_hit is always false (no bound of ours; pgvector''s hnsw.max_scan_tuples caps the walk). Raises 55000 when the index does not exist.';

/* ------------------------------------------------------------------ lookup: the entry point */

create or replace function llm_private.semantic_lookup(p_tenant_id uuid, p_owner_user_id uuid, p_endpoint text,
  p_provider text, p_model text, p_source_watermark text, p_system_hash text, p_response_format text, p_embedding real[],
  p_threshold real, p_max_candidates integer, p_embedding_model text, p_max_output_tokens integer default null)
  returns table (cache_key text, similarity real, source_request_pk bigint, output text, candidates_scanned integer, bound_hit boolean)
  language plpgsql stable
  set search_path = pg_catalog
as $$
begin
  if p_embedding is not null and array_ndims(p_embedding) = 1
     and llm_private.semantic_hnsw_index(cardinality(p_embedding)) is not null then
    return query select * from llm_private.semantic_lookup_pgvector(p_tenant_id, p_owner_user_id, p_endpoint, p_provider, p_model,
      p_source_watermark, p_system_hash, p_response_format, p_embedding, p_threshold, p_max_candidates, p_embedding_model,
      p_max_output_tokens);
  else
    return query select * from llm_private.semantic_lookup_portable(p_tenant_id, p_owner_user_id, p_endpoint, p_provider, p_model,
      p_source_watermark, p_system_hash, p_response_format, p_embedding, p_threshold, p_max_candidates, p_embedding_model,
      p_max_output_tokens);
  end if;
end
$$;
comment on function llm_private.semantic_lookup(uuid, uuid, text, text, text, text, text, text, real[], real, integer, text, integer) is
  'The semantic lookup llm_private.semantic_claim makes: the pgvector path when the HNSW index for this width exists, the portable path otherwise; same arguments and row (see llm_private.semantic_lookup_portable).';

create or replace function llm.semantic_cache_path(p_dims integer) returns text
  language sql stable
  set search_path = pg_catalog
as $$
  select case when llm_private.semantic_hnsw_index(p_dims) is not null then 'pgvector' else 'portable' end
$$;
comment on function llm.semantic_cache_path(integer) is
  'Which path a semantic lookup of p_dims-dimensional embeddings takes here: pgvector (HNSW index present) or portable. The worker logs it once at start.';

/* ------------------------------------------------------------------ the request's side (PostgreSQL; not in the PGlite minimal schema) */

create or replace function llm_private.embedding_attempt_model(p_tenant_id uuid, p_request_pk bigint) returns text
  language plpgsql stable
  set search_path = pg_catalog
as $$
begin
  return (select pr.provider || ':' || pr.model
            from llm_private.attempts a join llm_private.model_prices pr on pr.id = a.price_id
           where a.tenant_id = p_tenant_id and a.request_pk = p_request_pk and a.purpose = 'embedding'
             and a.state = 'settled' and a.provider_status = 'ok'
           order by a.attempt_no desc limit 1);
end
$$;
comment on function llm_private.embedding_attempt_model(uuid, bigint) is
  'provider:model of the request''s latest embedding call that settled ok, or NULL: the model of the vector its chat reserve looks up with and its cache entry stores (an embedding without a governed embedding call is never used).';

/*
 * The lookup reserve makes for a chat request that brought its question's embedding. No rows when no
 * lookup runs: no watermark (no caching), the endpoint's threshold is off, or the exact key hits.
 */
create or replace function llm_private.semantic_claim(p_tenant_id uuid, p_user_id uuid, p_request_pk bigint, p_embedding real[],
  p_at timestamptz)
  returns table (cache_key text, similarity real, source_request_pk bigint, candidates_scanned integer, bound_hit boolean)
  language plpgsql stable
  set search_path = pg_catalog
as $$
declare
  r record;
  pol record;
  l record;
  m record;
  v_embedding_model text;
begin
  select q.endpoint::text as endpoint, i.cache_key, i.model_ref, i.system_hash, i.response_format, i.source_watermark,
         i.max_output_tokens into r
    from llm_private.requests q
    join llm_private.request_inputs i on i.tenant_id = q.tenant_id and i.request_pk = q.id
   where q.tenant_id = p_tenant_id and q.id = p_request_pk and q.user_id = p_user_id;
  if r.cache_key is null then
    return;
  end if;
  select * into pol from llm_private.cache_policy(p_tenant_id, p_user_id, r.endpoint);
  if pol.semantic_threshold is null
     or (llm_private.live_cache_entry(p_tenant_id, pol.owner_user_id, r.cache_key, p_at)).cache_key is not null then
    return;
  end if;
  v_embedding_model := llm_private.embedding_attempt_model(p_tenant_id, p_request_pk);
  if v_embedding_model is null then
    raise exception using errcode = '22023', message = 'a semantic lookup needs the request''s own embedding call, settled ok',
      detail = format('request %s has no settled embedding attempt', p_request_pk),
      hint = 'llm.reserve_call(..., p_purpose => ''embedding''), the provider''s embedding call, llm.settle_call; then the chat reserve with p_embedding.';
  end if;
  select * into m from llm_private.split_model_ref(r.model_ref);
  select * into l from llm_private.semantic_lookup(p_tenant_id, pol.owner_user_id, r.endpoint, m.provider, m.model, r.source_watermark, r.system_hash, r.response_format, p_embedding,
    pol.semantic_threshold, (select s.semantic_max_candidates from llm_private.settings s), v_embedding_model, r.max_output_tokens);
  -- float rounding may put an identical vector a hair above 1: the ledger's similarity is in [-1, 1].
  return query select l.cache_key, case when l.cache_key is not null then least(l.similarity, 1::real) end, l.source_request_pk,
    l.candidates_scanned, l.bound_hit;
end
$$;
comment on function llm_private.semantic_claim(uuid, uuid, bigint, real[], timestamptz) is
  'The semantic lookup of a chat reserve (llm.reserve_call with p_embedding): in the request''s scope (cache_policy''s owner, its endpoint, model, watermark, system prompt hash, response format, and the model of its settled embedding call), bounded by settings.semantic_max_candidates. One row when a lookup ran (cache_key/similarity/source_request_pk set on a hit; candidates_scanned, bound_hit), none when none runs (no watermark, threshold off, exact hit). 22023 when the request has no settled embedding call.';

create or replace function llm.embedding_for_call(p_request_pk bigint)
  returns table (embedding_model text, provider text, model text, semantic_threshold real)
  language plpgsql stable
  set search_path = pg_catalog
  set plan_cache_mode = force_generic_plan
as $$
#variable_conflict use_column
declare
  r record;
  pol record;
  m record;
begin
  if llm_private.current_tenant_id() is null or llm_private.current_user_id() is null then perform llm_private.require_money_context(); end if;
  select q.tenant_id, q.user_id, q.endpoint::text as endpoint, q.state, i.cache_key into r
    from llm_private.requests q
    join llm_private.request_inputs i on i.tenant_id = q.tenant_id and i.request_pk = q.id
   where q.tenant_id = llm_private.current_tenant_id() and q.user_id = llm_private.current_user_id() and q.id = p_request_pk;
  if r.tenant_id is null then
    raise exception using errcode = 'P0002', message = 'request not found',
      detail = format('request %s is not visible in this tenant and user context', p_request_pk);
  end if;
  if r.state not in ('queued', 'running') or r.cache_key is null then
    return;
  end if;
  select * into pol from llm_private.cache_policy(r.tenant_id, r.user_id, r.endpoint);
  if pol.semantic_threshold is null or pol.embedding_model is null
     or (llm_private.live_cache_entry(r.tenant_id, pol.owner_user_id, r.cache_key, llm_private.now())).cache_key is not null then
    return;
  end if;
  select * into m from llm_private.split_model_ref(pol.embedding_model);
  if not exists (select 1 from llm_private.models x where x.provider = m.provider and x.model = m.model and x.kind = 'embedding')
     or (llm_private.price_in_effect(m.provider, m.model, llm_private.now())).id is null then
    return;
  end if;
  return query select pol.embedding_model, m.provider, m.model, pol.semantic_threshold;
end
$$;
comment on function llm.embedding_for_call(bigint) is
  'The worker, as llm_money in the job''s context, before a chat call: whether to embed the question for the semantic cache. One row (the embedding model to call, and the threshold) when the request has a source_watermark, its exact key misses, and its endpoint has a threshold and a priced embedding model; no rows otherwise (skip the embedding call). Then: llm.reserve_call(..., p_purpose => ''embedding''), the embedding call, llm.settle_call, llm.reserve_call(..., p_embedding => the vector). See docs/semantic-cache.md.';

grant execute on function llm_private.cache_policy(uuid, uuid, text) to llm_money, llm_operator;
grant execute on function llm_private.require_embedding(real[]),
  llm_private.semantic_check_args(uuid, uuid, text, text, text, text, text, text, real[], real, integer, text),
  llm_private.semantic_lookup_portable(uuid, uuid, text, text, text, text, text, text, real[], real, integer, text, integer),
  llm_private.semantic_hnsw_index(integer),
  llm_private.semantic_lookup_pgvector(uuid, uuid, text, text, text, text, text, text, real[], real, integer, text, integer),
  llm_private.semantic_lookup(uuid, uuid, text, text, text, text, text, text, real[], real, integer, text, integer),
  llm_private.embedding_attempt_model(uuid, bigint),
  llm_private.semantic_claim(uuid, uuid, bigint, real[], timestamptz),
  llm.embedding_for_call(bigint) to llm_money;
grant execute on function llm_private.semantic_hnsw_index(integer), llm.semantic_cache_path(integer) to llm_operator, llm_worker;
