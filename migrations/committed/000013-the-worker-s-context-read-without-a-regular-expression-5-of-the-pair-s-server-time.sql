--! Previous: sha1:efb45613d9eb42058995098a3b2cd9c06f5dc3f4
--! Hash: sha1:bcb32793d291b4f111dc4f7a3eb3fc5ac39b5073
--! Message: The worker's context read without a regular expression (5 % of the pair's server time)

-- The worker's context, read on every row the money policies check, without a regular expression.
-- The regex that validated the two settings cost ~1.6 us per evaluation, dozens of times per
-- reserve+settle (perf: 5 % of the server's time in the pair). A setting is now '' or NULL (no
-- context) or cast as a uuid: a malformed value raises 22P02 in the statement that reads it,
-- which refuses as surely as NULL did. Only llm_money's policies and functions read these two;
-- the application's context is the signed token (llm_private.app_context).
create or replace function llm_private.current_tenant_id() returns uuid
  language sql stable parallel safe
as $$
  select case when pg_catalog.current_setting('app.context_tx', true) OPERATOR(pg_catalog.=) llm_private.tx_stamp()::pg_catalog.text
               and pg_catalog.current_setting('app.current_tenant_id', true) OPERATOR(pg_catalog.<>) ''
              then pg_catalog.current_setting('app.current_tenant_id', true)::pg_catalog.uuid end
$$;
comment on function llm_private.current_tenant_id() is
  'The worker''s tenant context (app.current_tenant_id) when set in this transaction (app.context_tx), else NULL; '''' is no context, a value that is not a uuid raises 22P02. Used by policies TO llm_money. Inlinable: no SET clause, every name qualified, no regular expression.';

create or replace function llm_private.current_user_id() returns uuid
  language sql stable parallel safe
as $$
  select case when pg_catalog.current_setting('app.context_tx', true) OPERATOR(pg_catalog.=) llm_private.tx_stamp()::pg_catalog.text
               and pg_catalog.current_setting('app.current_user_id', true) OPERATOR(pg_catalog.<>) ''
              then pg_catalog.current_setting('app.current_user_id', true)::pg_catalog.uuid end
$$;
comment on function llm_private.current_user_id() is
  'The worker''s user context (app.current_user_id) when set in this transaction, else NULL; '''' is no context, a value that is not a uuid raises 22P02. Used by policies TO llm_money. Inlinable.';
