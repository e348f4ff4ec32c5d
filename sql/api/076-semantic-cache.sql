/*
 * The semantic cache (issue 12): a request is served an earlier answer when its embedding is close
 * enough (cosine similarity >= the endpoint's threshold) to the embedding of a cached request with
 * exactly the same scope:
 *   tenant; owner user (the nil uuid when the tenant shares the endpoint's cache); endpoint;
 *   provider and model; source watermark (a new revision of the data never sees old answers);
 *   hash of the system/developer messages (another system prompt never matches); response format
 *   (JSON never matches text); embedding model (vectors of two models are never compared).
 * Two paths with the same signature and the same answers on the same data:
 *   portable  cosine over real[] in plain SQL, newest entries of the scope first, at most
 *             p_max_candidates of them (bound_hit says when the scope held more);
 *   pgvector  when sql/optional/pgvector.sql created the HNSW expression index for this many
 *             dimensions: nearest entries by `<=>` through the index, the scope as a filter
 *             (iterative scan), no candidate bound of ours.
 * llm_private.semantic_lookup picks the path. Every function here is SECURITY INVOKER: under FORCE
 * RLS the caller (llm_money with the job's context) sees only what its policies allow, and the
 * scope predicates are written out as well, so that a broader policy can never widen a match.
 * Needs (migrations): the cache_entries columns and index, llm_private.endpoint_cache_settings.
 */

create or replace function llm_private.system_hash(p_messages jsonb) returns text
  language sql immutable parallel safe
  set search_path = pg_catalog
as $$
  select encode(sha256(convert_to(coalesce(
    (select jsonb_agg(jsonb_build_object('role', m->>'role',
              'content', btrim(replace(m->>'content', E'\r\n', E'\n'), E' \t\n')) order by i)
       from jsonb_array_elements(case when jsonb_typeof(p_messages) = 'array' then p_messages else '[]' end)
            with ordinality e(m, i)
      where m->>'role' in ('system', 'developer')),
    '[]'::jsonb)::text, 'UTF8')), 'hex')
$$;
comment on function llm_private.system_hash(jsonb) is
  'sha256 (hex) of the system and developer messages of a request, normalized like llm.cache_key (line endings, outer whitespace); the hash of [] when there are none. Part of the semantic scope: stored with an entry, compared at lookup.';

/* ------------------------------------------------------------------ policy per endpoint */

create or replace function llm_private.cache_policy(p_tenant_id uuid, p_user_id uuid, p_endpoint text,
  out owner_user_id uuid, out semantic_threshold real, out shared boolean)
  language plpgsql stable
  set search_path = pg_catalog
as $$
declare
  -- Declarations name only objects of the committed migrations (cache_entries.endpoint has the
  -- settings' endpoint type), so that this file replays even before the semantic DDL exists.
  v_endpoint llm_private.cache_entries.endpoint%type := p_endpoint;
  v_found boolean;
  v_shared boolean;
  v_threshold real;
begin
  select true, x.shared, x.semantic_threshold into v_found, v_shared, v_threshold
    from llm_private.endpoint_cache_settings x where x.tenant_id = p_tenant_id and x.endpoint = v_endpoint;
  shared := coalesce(v_shared, false);
  owner_user_id := case when shared then '00000000-0000-0000-0000-000000000000'::uuid else p_user_id end;
  -- Without a row: 0.90 (docs/semantic-cache.md: rewordings measured 0.94+, changed facts 0.67-),
  -- off for investigation, where a wrong answer costs most. With a row, the row decides (NULL = off).
  semantic_threshold := case when v_found then v_threshold
                             when p_endpoint = 'investigation' then null
                             else 0.90::real end;
end
$$;
comment on function llm_private.cache_policy(uuid, uuid, text) is
  'The cache scope and semantic threshold of a (tenant, user, endpoint): owner_user_id is the user, or the nil uuid when the tenant shares the endpoint''s cache; semantic_threshold NULL = semantic cache off. Defaults without a llm_private.endpoint_cache_settings row: per user, 0.90, off for investigation.';

create or replace function llm.set_endpoint_cache(p_tenant_id uuid, p_endpoint text, p_shared boolean, p_semantic_threshold real)
  returns void
  language plpgsql
  set search_path = pg_catalog
as $$
declare
  v_endpoint llm_private.cache_entries.endpoint%type := p_endpoint;
begin
  if p_tenant_id is null or p_endpoint is null or p_shared is null then
    raise exception using errcode = '22023', message = 'set_endpoint_cache: tenant, endpoint and shared are required';
  end if;
  if p_semantic_threshold is not null and not (p_semantic_threshold >= 0.5 and p_semantic_threshold <= 1) then
    raise exception using errcode = '22023', message = 'set_endpoint_cache: p_semantic_threshold must be NULL (off) or in 0.5..1',
      detail = format('got %s', p_semantic_threshold);
  end if;
  insert into llm_private.endpoint_cache_settings as s (tenant_id, endpoint, shared, semantic_threshold, updated_at)
  values (p_tenant_id, v_endpoint, p_shared, p_semantic_threshold, now())
  on conflict (tenant_id, endpoint) do update
    set shared = excluded.shared, semantic_threshold = excluded.semantic_threshold, updated_at = excluded.updated_at;
end
$$;
comment on function llm.set_endpoint_cache(uuid, text, boolean, real) is
  'Operator: whether a tenant''s users share the endpoint''s cache, and its semantic similarity threshold (0.5..1; NULL turns the semantic cache off, which is the default for investigation). Applies to lookups and to entries stored from now on; entries stored per user stay per user.';

/* ------------------------------------------------------------------ lookup: shared checks */

create or replace function llm_private.semantic_check_args(p_tenant_id uuid, p_owner_user_id uuid, p_endpoint text, p_provider text,
  p_model text, p_source_watermark text, p_system_hash text, p_response_format text, p_embedding real[], p_threshold real,
  p_max_candidates integer) returns double precision
  language plpgsql immutable
  set search_path = pg_catalog
as $$
declare
  v_norm double precision;
begin
  if p_tenant_id is null or p_owner_user_id is null or p_endpoint is null or p_provider is null or p_model is null
     or p_source_watermark is null or p_system_hash is null or p_response_format is null then
    raise exception using errcode = '22023', message = 'semantic_lookup: every part of the scope is required',
      hint = 'No watermark, no caching: do not look up a request without source_watermark.';
  end if;
  if p_response_format not in ('text', 'json') then
    raise exception using errcode = '22023', message = 'semantic_lookup: p_response_format must be text or json';
  end if;
  if p_threshold is not null and not (p_threshold > 0 and p_threshold <= 1) then
    raise exception using errcode = '22023', message = 'semantic_lookup: p_threshold must be NULL (off) or in (0, 1]';
  end if;
  if p_max_candidates is null or p_max_candidates not between 1 and 100000 then
    raise exception using errcode = '22023', message = 'semantic_lookup: p_max_candidates must be in 1..100000';
  end if;
  if p_embedding is null or array_ndims(p_embedding) <> 1 or cardinality(p_embedding) not between 1 and 4096
     or array_position(p_embedding, null) is not null
     or 'NaN'::real = any (p_embedding) or 'Infinity'::real = any (p_embedding) or '-Infinity'::real = any (p_embedding) then
    raise exception using errcode = '22023', message = 'semantic_lookup: p_embedding must be 1..4096 finite numbers';
  end if;
  select sqrt(sum(x::float8 * x::float8)) into v_norm from unnest(p_embedding) x;
  if v_norm = 0 then
    raise exception using errcode = '22023', message = 'semantic_lookup: p_embedding is the zero vector';
  end if;
  return v_norm;
end
$$;
comment on function llm_private.semantic_check_args(uuid, uuid, text, text, text, text, text, text, real[], real, integer) is
  'Validates the arguments of a semantic lookup (22023 on a missing scope part, a bad threshold or bound, a malformed or zero embedding) and returns the embedding''s L2 norm.';

/* ------------------------------------------------------------------ lookup: portable path */

create or replace function llm_private.semantic_lookup_portable(p_tenant_id uuid, p_owner_user_id uuid, p_endpoint text,
  p_provider text, p_model text, p_source_watermark text, p_system_hash text, p_response_format text, p_embedding real[],
  p_threshold real, p_max_candidates integer, p_embedding_model text default null)
  returns table (cache_key text, similarity real, source_request_pk bigint, output text, candidates_scanned integer, bound_hit boolean)
  language plpgsql stable
  set search_path = pg_catalog
as $$
declare
  v_qnorm double precision := llm_private.semantic_check_args(p_tenant_id, p_owner_user_id, p_endpoint, p_provider, p_model,
    p_source_watermark, p_system_hash, p_response_format, p_embedding, p_threshold, p_max_candidates);
  -- Typed like the column (an enum here, text in the new schema), so the comparison needs no cast.
  v_endpoint llm_private.cache_entries.endpoint%type := p_endpoint;
  v_dims integer := cardinality(p_embedding);
  v_now timestamptz := llm_private.now();  -- once, not per row
begin
  if p_threshold is null then
    return query select null::text, null::real, null::bigint, null::text, 0, false;
    return;
  end if;
  /*
   * cache_entries_semantic_scope_idx gives the scope's entries newest first: read one more than the
   * bound to know whether the bound cut the scan, score the newest p_max_candidates.
   */
  return query
  with newest as (
    select c.cache_key, c.source_request_pk, c.output, c.created_at, c.embedding
      from llm_private.cache_entries c
     where c.tenant_id = p_tenant_id and c.owner_user_id = p_owner_user_id and c.endpoint = v_endpoint
       and c.provider = p_provider and c.model = p_model and c.source_watermark = p_source_watermark
       and c.system_hash = p_system_hash and c.response_format = p_response_format
       and c.embedding is not null
       and (p_embedding_model is null or c.embedding_model = p_embedding_model)
       and c.expires_at > v_now
     order by c.created_at desc, c.cache_key
     limit p_max_candidates + 1
  ), scored as (
    select w.cache_key, w.source_request_pk, w.output, w.created_at, (d.dot / (sqrt(d.nn) * v_qnorm))::real as sim
      from (select * from newest order by created_at desc, cache_key limit p_max_candidates) w
      -- Two unnest() in one select list run in step (a ProjectSet node): measured 40% faster than
      -- unnest(a, b) in FROM, which materialises each pair of arrays into a tuplestore.
      cross join lateral (select sum(z.x * z.y) as dot, sum(z.x * z.x) as nn
                            from (select unnest(w.embedding)::float8 as x, unnest(p_embedding)::float8 as y) z) d
     -- Another width (only possible with p_embedding_model NULL) is never compared. Tested here,
     -- not in the scan: a predicate on cardinality() gets a default 0.5% selectivity that steers
     -- the planner away from the scope index.
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
comment on function llm_private.semantic_lookup_portable(uuid, uuid, text, text, text, text, text, text, real[], real, integer, text) is
  'Semantic lookup without extensions: cosine similarity over real[] of the newest p_max_candidates live entries of exactly this scope. Always one row: cache_key/source_request_pk/output are set when the best similarity reaches p_threshold (a hit), similarity is the best one seen (hit or not), candidates_scanned how many were compared, bound_hit whether the scope held more than the bound. p_threshold NULL = off (nothing scanned). p_embedding_model NULL = entries of any embedding model of the same width.';

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
  p_threshold real, p_max_candidates integer, p_embedding_model text default null)
  returns table (cache_key text, similarity real, source_request_pk bigint, output text, candidates_scanned integer, bound_hit boolean)
  language plpgsql stable
  set search_path = pg_catalog
as $$
declare
  v_qnorm double precision := llm_private.semantic_check_args(p_tenant_id, p_owner_user_id, p_endpoint, p_provider, p_model,
    p_source_watermark, p_system_hash, p_response_format, p_embedding, p_threshold, p_max_candidates);
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
         and ($9::text is null or c.embedding_model = $9) and cardinality(c.embedding) = %3$s
         and c.expires_at > $11
       order by c.embedding::%1$s operator(%2$I.<=>) $10::%1$s
       limit 10)
    select n.cache_key, (1 - n.distance)::real as sim, n.source_request_pk, n.output, (count(*) over ())::integer as scanned
      from nearest n
     order by n.distance, n.created_at desc, n.cache_key
     limit 1 $q$, v_type, v_schema, v_dims)
    into r
    using p_tenant_id, p_owner_user_id, v_endpoint, p_provider, p_model, p_source_watermark, p_system_hash, p_response_format,
          p_embedding_model, p_embedding, llm_private.now();
  perform set_config('hnsw.iterative_scan', coalesce(v_scan, 'off'), true);
  return query select case when r.sim >= p_threshold then r.cache_key end,
                      r.sim,
                      case when r.sim >= p_threshold then r.source_request_pk end,
                      case when r.sim >= p_threshold then r.output end,
                      coalesce(r.scanned, 0),
                      false;
end
$$;
comment on function llm_private.semantic_lookup_pgvector(uuid, uuid, text, text, text, text, text, text, real[], real, integer, text) is
  'Semantic lookup through pgvector: the nearest live entries of exactly this scope by cosine distance over the HNSW expression index of this width (iterative scan, the scope as a filter), same row as llm_private.semantic_lookup_portable. candidates_scanned = entries of the scope ranked (at most 10); bound_hit is always false (no bound of ours; pgvector''s hnsw.max_scan_tuples caps the walk). Raises 55000 when the index does not exist.';

/* ------------------------------------------------------------------ lookup: the entry point */

create or replace function llm_private.semantic_lookup(p_tenant_id uuid, p_owner_user_id uuid, p_endpoint text,
  p_provider text, p_model text, p_source_watermark text, p_system_hash text, p_response_format text, p_embedding real[],
  p_threshold real, p_max_candidates integer, p_embedding_model text default null)
  returns table (cache_key text, similarity real, source_request_pk bigint, output text, candidates_scanned integer, bound_hit boolean)
  language plpgsql stable
  set search_path = pg_catalog
as $$
begin
  if p_embedding is not null and array_ndims(p_embedding) = 1
     and llm_private.semantic_hnsw_index(cardinality(p_embedding)) is not null then
    return query select * from llm_private.semantic_lookup_pgvector(p_tenant_id, p_owner_user_id, p_endpoint, p_provider, p_model,
      p_source_watermark, p_system_hash, p_response_format, p_embedding, p_threshold, p_max_candidates, p_embedding_model);
  else
    return query select * from llm_private.semantic_lookup_portable(p_tenant_id, p_owner_user_id, p_endpoint, p_provider, p_model,
      p_source_watermark, p_system_hash, p_response_format, p_embedding, p_threshold, p_max_candidates, p_embedding_model);
  end if;
end
$$;
comment on function llm_private.semantic_lookup(uuid, uuid, text, text, text, text, text, text, real[], real, integer, text) is
  'The semantic lookup reserve calls: the pgvector path when the HNSW index for this width exists, the portable path otherwise; same arguments and row (see llm_private.semantic_lookup_portable).';

create or replace function llm.semantic_cache_path(p_dims integer) returns text
  language sql stable
  set search_path = pg_catalog
as $$
  select case when llm_private.semantic_hnsw_index(p_dims) is not null then 'pgvector' else 'portable' end
$$;
comment on function llm.semantic_cache_path(integer) is
  'Which path a semantic lookup of p_dims-dimensional embeddings takes here: pgvector (HNSW index present) or portable. The worker logs it once at start.';

/* ------------------------------------------------------------------ purge */

create or replace function llm.purge_cache_entries(p_tenant_id uuid, p_endpoint text default null, p_source_watermark text default null,
  p_limit integer default 100000) returns bigint
  language plpgsql
  set search_path = pg_catalog
as $$
declare
  v_endpoint llm_private.cache_entries.endpoint%type := p_endpoint;
  n bigint;
begin
  if p_tenant_id is null then
    raise exception using errcode = '22023', message = 'purge_cache_entries: p_tenant_id is required';
  end if;
  if p_limit is null or p_limit not between 1 and 1000000 then
    raise exception using errcode = '22023', message = 'purge_cache_entries: p_limit must be in 1..1000000';
  end if;
  delete from llm_private.cache_entries x where x.ctid in (
    select c.ctid from llm_private.cache_entries c
     where c.tenant_id = p_tenant_id
       and (p_endpoint is null or c.endpoint = v_endpoint)
       and (p_source_watermark is null or c.source_watermark = p_source_watermark)
     limit p_limit);
  get diagnostics n = row_count;
  return n;
end
$$;
comment on function llm.purge_cache_entries(uuid, text, text, integer) is
  'Operator: deletes a tenant''s cache entries (exact and semantic), optionally only one endpoint''s and/or one source watermark''s, at most p_limit per call; returns how many. Call again while it returns p_limit.';

-- 000-schema.sql grants usage on llm to the runtime roles; llm_money is SPEC.md's (the lead's) role.
grant usage on schema llm to llm_money;
grant execute on function llm_private.system_hash(jsonb), llm_private.cache_policy(uuid, uuid, text),
  llm_private.semantic_check_args(uuid, uuid, text, text, text, text, text, text, real[], real, integer),
  llm_private.semantic_lookup_portable(uuid, uuid, text, text, text, text, text, text, real[], real, integer, text),
  llm_private.semantic_hnsw_index(integer),
  llm_private.semantic_lookup_pgvector(uuid, uuid, text, text, text, text, text, text, real[], real, integer, text),
  llm_private.semantic_lookup(uuid, uuid, text, text, text, text, text, text, real[], real, integer, text),
  llm.semantic_cache_path(integer) to llm_money;
grant execute on function llm.semantic_cache_path(integer) to llm_operator, llm_worker;
grant execute on function llm.set_endpoint_cache(uuid, text, boolean, real), llm.purge_cache_entries(uuid, text, text, integer)
  to llm_operator;
