-- Structure: the API surface, RLS on every table, INVOKER functions with pinned search_path,
-- comments everywhere, and what the runtime role is not allowed to be.
begin;
select plan(15);

select tables_are('llm', array[]::name[], 'the API schema llm holds no tables');

select is_empty($$
  select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
  where n.nspname = 'llm_private' and c.relkind in ('r', 'p')
    and not (c.relrowsecurity and c.relforcerowsecurity)
$$, 'every table in llm_private has row level security enabled and forced');

select is_empty($$
  select p.oid::regprocedure::text from pg_proc p join pg_namespace n on n.oid = p.pronamespace
  where n.nspname in ('llm', 'llm_private') and p.prosecdef
$$, 'every function in llm and llm_private is SECURITY INVOKER');

select is_empty($$
  select p.oid::regprocedure::text from pg_proc p join pg_namespace n on n.oid = p.pronamespace
  where n.nspname in ('llm', 'llm_private', 'llm_queue')
    and not exists (select 1 from unnest(coalesce(p.proconfig, '{}')) c where c like 'search_path=%')
    and p.oid not in ('llm_private.uuid_or_null(text)'::regprocedure, 'llm_private.current_tenant_id()'::regprocedure,
                      'llm_private.current_user_id()'::regprocedure)
$$, 'every function of ours pins search_path, but the three inlinable policy helpers');

-- Those three must stay inlinable into policies, so they cannot carry a SET clause: instead every
-- name in their bodies is schema-qualified, and they read nothing but settings.
select is_empty($$
  select p.oid::regprocedure::text from pg_proc p
  where p.oid in ('llm_private.uuid_or_null(text)'::regprocedure, 'llm_private.current_tenant_id()'::regprocedure,
                  'llm_private.current_user_id()'::regprocedure)
    and (p.prolang <> (select oid from pg_language where lanname = 'sql') or p.provolatile = 'v' or p.prosecdef
         or p.prosrc !~ 'OPERATOR\(pg_catalog\.~\*\)' or p.prosrc !~ '::pg_catalog\.uuid'
         or regexp_replace(p.prosrc, 'pg_catalog\.[a-z_]+|OPERATOR\(pg_catalog\.~\*\)|''[^'']*''|::pg_catalog\.uuid', '', 'g')
            ~ '[a-z_]+\s*\(' and p.prosrc !~ '^\s*select case when (value|pg_catalog)')
$$, 'the inlinable policy helpers are SQL, not volatile, not definer, with qualified names only');

select is_empty($$
  select p.oid::regprocedure::text from pg_proc p join pg_namespace n on n.oid = p.pronamespace
  where n.nspname in ('llm', 'llm_private', 'llm_queue') and obj_description(p.oid, 'pg_proc') is null
$$, 'every function of ours has a COMMENT');

select is_empty($$
  select n.nspname || '.' || c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
  where n.nspname in ('llm', 'llm_private') and c.relkind in ('r', 'p', 'v')
    and obj_description(c.oid, 'pg_class') is null
$$, 'every table and view of ours has a COMMENT');

select is_empty($$
  select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
  where n.nspname = 'llm' and c.relkind = 'v'
    and not coalesce('security_invoker=true' = any(c.reloptions), false)
$$, 'every view in llm is security_invoker');

select is_empty($$
  select p.oid::regprocedure::text from pg_proc p join pg_namespace n on n.oid = p.pronamespace
  where n.nspname in ('llm', 'llm_private', 'llm_queue')
    and has_function_privilege('public', p.oid, 'execute')
$$, 'PUBLIC may execute none of our functions');

select is(
  (select rolbypassrls or rolsuper from pg_roles where rolname = 'llm_app'), false,
  'the runtime role llm_app is neither superuser nor BYPASSRLS');

select is_empty($$
  select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
  where n.nspname in ('llm', 'llm_private') and pg_get_userbyid(c.relowner) <> 'llm_owner'
$$, 'llm_owner owns every relation of ours; the runtime role owns none');

select is(
  (select count(*)::int from pg_auth_members m join pg_roles r on r.oid = m.member where r.rolname = 'llm_app'),
  0, 'llm_app is a member of no role, so it cannot SET ROLE to anything else');

select ok(
  not has_schema_privilege('llm_app', 'llm', 'create')
  and not has_schema_privilege('llm_app', 'llm_private', 'create')
  and not has_schema_privilege('llm_app', 'public', 'create')
  and not has_database_privilege('llm_app', current_database(), 'create'),
  'llm_app cannot create objects anywhere');

set local role llm_app;
select throws_ok('create table llm_private.evil (id int)', '42501', null, 'creating a table as llm_app is denied');
reset role;

select ok(
  not has_schema_privilege('llm_auditor', 'graphile_worker', 'usage')
  and not has_schema_privilege('llm_app', 'graphile_worker', 'usage'),
  'neither the runtime role nor the auditor can reach graphile-worker''s tables');

select * from finish();
rollback;
