/*
 * Optional step: the semantic cache's pgvector path. Idempotent; safe to run on any server.
 * Run by an ADMINISTRATOR after the migrations and before sql/api is replayed
 * (src/db/pgvector.ts enablePgvector, called by migrateAll). pgvector is not a trusted extension,
 * so only a superuser (or a managed service's admin role) can create it.
 *
 *   - pgvector not available on the server (pg_available_extensions): a NOTICE, nothing else; the
 *     semantic cache takes the portable path (cosine over real[] in plain SQL).
 *   - available: CREATE EXTENSION vector in schema llm_vector (or keep the schema it is already
 *     in), and one HNSW expression index per embedding width listed in the setting
 *     llm.pgvector_dims (default '256,1536': the local provider, text-embedding-3-small):
 *       cache_entries_embedding_hnsw_<n>_idx on ((embedding::vector(<n>)) vector_cosine_ops)
 *       where cardinality(embedding) = <n>
 *     The real[] column stays the one copy of the vector: the index holds the vector(n) view of it,
 *     so there is no second column, no table rewrite, and rows need no change to be found through
 *     it. llm_private.semantic_lookup takes the pgvector path for a width whose index exists.
 *   - pgvector older than 0.8 (no iterative index scans, so filtered HNSW searches lose recall) or
 *     a width above 2000 (HNSW's limit for vector): skipped with a NOTICE, portable path.
 * Building an HNSW index on a large existing cache takes time and memory (maintenance_work_mem);
 * on a busy server create it by hand with CREATE INDEX CONCURRENTLY under the same name first.
 */
do $$
declare
  v_schema name;
  v_version integer[];
  v_dims integer;
  v_list text := coalesce(nullif(current_setting('llm.pgvector_dims', true), ''), '256,1536');
begin
  if not exists (select 1 from pg_catalog.pg_available_extensions where name = 'vector') then
    raise notice 'pgvector: not available on this server; the semantic cache uses the portable path';
    return;
  end if;
  if not exists (select 1 from pg_catalog.pg_extension where extname = 'vector') then
    -- Schema and extension in one guarded block: a role that may create neither leaves nothing behind.
    begin
      create schema if not exists llm_vector;
      comment on schema llm_vector is 'pgvector''s objects (type vector, operator <=>, HNSW support) for the semantic cache.';
      create extension vector with schema llm_vector;
    exception when insufficient_privilege then
      raise notice 'pgvector: available, but this role may not create it (a superuser must: create extension vector with schema llm_vector); the semantic cache uses the portable path';
      return;
    end;
  end if;
  select n.nspname, pg_catalog.string_to_array(pg_catalog.regexp_replace(e.extversion, '[^0-9.].*$', ''), '.')::integer[]
    into v_schema, v_version
    from pg_catalog.pg_extension e join pg_catalog.pg_namespace n on n.oid = e.extnamespace
   where e.extname = 'vector';
  if v_version < array[0, 8, 0] then
    raise notice 'pgvector: version % is older than 0.8.0 (no iterative index scans); the semantic cache uses the portable path',
      pg_catalog.array_to_string(v_version, '.');
    return;
  end if;
  -- The lookup names the type and the operator, which needs USAGE on their schema.
  execute pg_catalog.format('grant usage on schema %I to llm_money, llm_operator, llm_auditor', v_schema);
  for v_dims in select distinct pg_catalog.btrim(x)::integer from pg_catalog.unnest(pg_catalog.string_to_array(v_list, ',')) x loop
    if v_dims not between 1 and 2000 then
      raise notice 'pgvector: no HNSW index for % dimensions (vector indexes go up to 2000); those embeddings use the portable path', v_dims;
      continue;
    end if;
    execute pg_catalog.format(
      'create index if not exists %I on llm_private.cache_entries using hnsw ((embedding::%I.vector(%s)) %I.vector_cosine_ops) '
      'where pg_catalog.cardinality(embedding) = %s',
      'cache_entries_embedding_hnsw_' || v_dims || '_idx', v_schema, v_dims, v_schema, v_dims);
  end loop;
end
$$;
