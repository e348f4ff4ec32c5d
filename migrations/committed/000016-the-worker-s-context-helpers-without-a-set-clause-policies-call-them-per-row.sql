--! Previous: sha1:533bf5a47d49c80dd4a552dfdd3b8711f1ad7e49
--! Hash: sha1:3c6a4b9ac2b3b3f713208ac16e93d96b40f5afd1
--! Message: The worker's context helpers without a SET clause: policies call them per row

-- The worker's context helpers without a SET clause. Every money policy calls them, on every row a
-- scan looks at when the policy is not an index condition (cache_entries' owner test, a sum over
-- usage rows): a SET clause saves and restores the GUC on each call, which doubled it. Measured on
-- 10 000 cache entries read as llm_money: 3.0 us a row with the clause, 1.55 without (1.1 for the
-- inlined SQL of migration 000013, 4.2 for the regex of 000012). Every name in the two bodies is
-- schema-qualified, operators included, so the caller's search_path cannot change what they call
-- (and no runtime role may create anything anywhere: test/sql/structure.sql).
alter function llm_private.current_tenant_id() reset search_path;
alter function llm_private.current_user_id() reset search_path;
comment on function llm_private.current_tenant_id() is
  'The worker''s tenant context (app.current_tenant_id) when set in this transaction (app.context_tx), else NULL; '''' is no context, a value that is not a uuid raises 22P02. Used by policies TO llm_money; PL/pgSQL so that a policy holds one call, not its expansion, for every partition an UPDATE opens; no SET clause (every name qualified) because policies call it per row.';
comment on function llm_private.current_user_id() is
  'The worker''s user context (app.current_user_id) when set in this transaction, else NULL; '''' is no context, a value that is not a uuid raises 22P02. Used by policies TO llm_money; PL/pgSQL, no SET clause (see current_tenant_id).';
