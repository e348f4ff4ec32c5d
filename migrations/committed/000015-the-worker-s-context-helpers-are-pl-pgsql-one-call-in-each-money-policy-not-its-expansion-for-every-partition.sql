--! Previous: sha1:086b3433af615a3b0c0bb5aada368aa749f8b6ee
--! Hash: sha1:533bf5a47d49c80dd4a552dfdd3b8711f1ad7e49
--! Message: The worker's context helpers are PL/pgSQL: one call in each money policy, not its expansion for every partition

-- The worker's context helpers become small PL/pgSQL functions instead of inlined SQL.
-- Inlined, each call expands into ~10 expression nodes in every money policy, and PostgreSQL 15
-- builds a policy's expressions for every partition an UPDATE's generic plan opens (its WITH
-- CHECK for each partition's result relation): the more months a ledger keeps, the dearer each
-- UPDATE (perf, 18 partitions: ExecInitModifyTable 22 % of a pair's server time). As a function
-- call a policy holds one node per helper, compiled once per session. Measured interleaved on one
-- bench database, 3 rounds at 1 client: 6 partitions 542 -> 599 pairs/s, 18 partitions 509 -> 600
-- (the pair no longer slows with the months kept). Same contract as migration 000013: NULL outside
-- the transaction that set the context, '' is no context, a value that is not a uuid raises 22P02.
create or replace function llm_private.current_tenant_id() returns uuid
  language plpgsql stable parallel safe
  set search_path = pg_catalog
as $$
begin
  if pg_catalog.current_setting('app.context_tx', true) operator(pg_catalog.=) llm_private.tx_stamp()::pg_catalog.text
     and pg_catalog.current_setting('app.current_tenant_id', true) operator(pg_catalog.<>) '' then
    return pg_catalog.current_setting('app.current_tenant_id', true)::pg_catalog.uuid;
  end if;
  return null;
end
$$;
comment on function llm_private.current_tenant_id() is
  'The worker''s tenant context (app.current_tenant_id) when set in this transaction (app.context_tx), else NULL; '''' is no context, a value that is not a uuid raises 22P02. Used by policies TO llm_money; PL/pgSQL so that a policy holds one call, not its expansion, for every partition an UPDATE opens.';

create or replace function llm_private.current_user_id() returns uuid
  language plpgsql stable parallel safe
  set search_path = pg_catalog
as $$
begin
  if pg_catalog.current_setting('app.context_tx', true) operator(pg_catalog.=) llm_private.tx_stamp()::pg_catalog.text
     and pg_catalog.current_setting('app.current_user_id', true) operator(pg_catalog.<>) '' then
    return pg_catalog.current_setting('app.current_user_id', true)::pg_catalog.uuid;
  end if;
  return null;
end
$$;
comment on function llm_private.current_user_id() is
  'The worker''s user context (app.current_user_id) when set in this transaction, else NULL; '''' is no context, a value that is not a uuid raises 22P02. Used by policies TO llm_money; PL/pgSQL (see current_tenant_id).';
