create or replace function llm_private.sl_gs(p_tenant_id uuid, p_owner_user_id uuid, p_endpoint text,
  p_provider text, p_model text, p_source_watermark text, p_system_hash text, p_response_format text, p_embedding real[],
  p_threshold real, p_max_candidates integer, p_embedding_model text default null)
  returns table (cache_key text, similarity real, source_request_pk bigint, output text, candidates_scanned integer, bound_hit boolean)
  language plpgsql stable
  set search_path = pg_catalog
as $$
declare
  v_qnorm double precision := llm_private.semantic_check_args(p_tenant_id, p_owner_user_id, p_endpoint, p_provider, p_model,
    p_source_watermark, p_system_hash, p_response_format, p_embedding, p_threshold, p_max_candidates);
  -- The column's own type (text or an enum): an equality of the same type keeps the scope index usable.
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
      cross join lateral (select sum(w.embedding[i]::float8 * p_embedding[i]::float8) as dot, sum(w.embedding[i]::float8 * w.embedding[i]::float8) as nn
                            from generate_series(1, v_dims) i) d
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
;
create or replace function llm_private.sl_ps(p_tenant_id uuid, p_owner_user_id uuid, p_endpoint text,
  p_provider text, p_model text, p_source_watermark text, p_system_hash text, p_response_format text, p_embedding real[],
  p_threshold real, p_max_candidates integer, p_embedding_model text default null)
  returns table (cache_key text, similarity real, source_request_pk bigint, output text, candidates_scanned integer, bound_hit boolean)
  language plpgsql stable
  set search_path = pg_catalog
as $$
declare
  v_qnorm double precision := llm_private.semantic_check_args(p_tenant_id, p_owner_user_id, p_endpoint, p_provider, p_model,
    p_source_watermark, p_system_hash, p_response_format, p_embedding, p_threshold, p_max_candidates);
  -- The column's own type (text or an enum): an equality of the same type keeps the scope index usable.
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
      cross join lateral (select sum(x.p) as dot, sum(x.n) as nn
                            from (select unnest(w.embedding)::float8 * unnest(p_embedding)::float8 as p, unnest(w.embedding)::float8 * unnest(w.embedding)::float8 as n) x) d
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
;
