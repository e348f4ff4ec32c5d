--! Previous: sha1:707572fd1d2570a9a73a0b2a392d99eeed4486df
--! Hash: sha1:0205aad99cabf5d21618a76665f89a895958baa8
--! Message: fast-policy-helpers

/*
 * Fast policy helpers. Every row-level security policy calls current_tenant_id() and
 * current_user_id(); as SQL functions with a SET clause they could not be inlined and were
 * re-planned at every call (about 75 us each, sometimes per row). They are now inlinable SQL:
 * no SET clause, and every name in their bodies is schema-qualified (pg_catalog functions,
 * OPERATOR(pg_catalog.~*), pg_catalog.uuid), so a caller's search_path cannot change what they do.
 * llm_private.now() becomes plpgsql, whose plan is cached per session (it was re-planned per call).
 */
create or replace function llm_private.uuid_or_null(value text) returns uuid
  language sql immutable parallel safe
as $$
  select case when value OPERATOR(pg_catalog.~*) '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
              then value::pg_catalog.uuid end
$$;
comment on function llm_private.uuid_or_null(text) is
  'Parses a uuid, returning NULL for anything malformed instead of raising. Inlinable: no SET clause, every name qualified.';

create or replace function llm_private.current_tenant_id() returns uuid
  language sql stable parallel safe
as $$
  select case when pg_catalog.current_setting('app.current_tenant_id', true)
                   OPERATOR(pg_catalog.~*) '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
              then pg_catalog.current_setting('app.current_tenant_id', true)::pg_catalog.uuid end
$$;
comment on function llm_private.current_tenant_id() is
  'The tenant of the current transaction (setting app.current_tenant_id), or NULL when missing or malformed. Inlinable into policies: no SET clause, every name qualified.';

create or replace function llm_private.current_user_id() returns uuid
  language sql stable parallel safe
as $$
  select case when pg_catalog.current_setting('app.current_user_id', true)
                   OPERATOR(pg_catalog.~*) '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
              then pg_catalog.current_setting('app.current_user_id', true)::pg_catalog.uuid end
$$;
comment on function llm_private.current_user_id() is
  'The end user of the current transaction (setting app.current_user_id), or NULL when missing or malformed. Inlinable into policies: no SET clause, every name qualified.';

create or replace function llm_private.now() returns timestamptz
  language plpgsql stable parallel safe
  set search_path = pg_catalog
as $$
declare
  c llm_private.clock;
begin
  select * into c from llm_private.clock where id;
  return coalesce(c.frozen_at, pg_catalog.now() + make_interval(secs => coalesce(c.offset_ms, 0) / 1000.0));
end
$$;
comment on function llm_private.now() is
  'The time every money and window rule uses: the transaction time, unless the owner froze or shifted llm_private.clock.';
