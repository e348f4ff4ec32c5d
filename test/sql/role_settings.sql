-- Session defaults a login sets for itself: PostgreSQL lets every role ALTER ROLE its own defaults, and nothing can
-- refuse it. One SQL injection in the application could make every new llm_app session read-only and stop every
-- tenant. llm.role_settings_drift compares the catalog with the defaults every migrate sets (declared, not recorded).
-- And the read-only logins, whose passwords live in dashboards, have connection limits.
begin;
select plan(17);

-- (extra_float_digits left out: runtime-ddl.test.ts commits it role-wide on llm_app for a moment, to test that migrate
-- resets such a default, and the roles are shared by every test file running at the same time.)
select is_empty($$select * from llm.role_settings_drift where parameter <> 'extra_float_digits'$$,
  'right after migrate, the runtime roles'' defaults are exactly the declared ones (sql/bootstrap/roles.sql and sql/api/115 agree)');
select results_eq($$
  select parameter, value from llm_private.declared_role_settings() where role_name = 'llm_viewer' order by 1
$$, $$values ('default_transaction_read_only', 'on'), ('idle_in_transaction_session_timeout', '60s'), ('jit', 'off'), ('statement_timeout', '60s'),
  ('temp_file_limit', '2GB')$$,
  'the declared list: llm_viewer is read-only, with its timeouts, without JIT, with bounded temporary files');
-- (session of 2026-11-27) Temporary files were unbounded: one sort could fill the cluster's disk. temp_file_limit is a
-- superuser parameter, so the defaults that bound it are the one kind a login cannot change for itself.
select tests.act_as_role('llm_app');
select throws_ok($$set temp_file_limit = -1$$, '42501', null, 'the application cannot lift its temporary-file limit in its session');
select throws_ok($$alter role llm_app set temp_file_limit = -1$$, '42501', null, '... nor as its role''s default');
select throws_ok($$alter role llm_app reset temp_file_limit$$, '42501', null, '... nor remove that default');
select tests.as_admin();

-- The attack, as the application's login: in this database, then role-wide.
select tests.act_as_role('llm_app');
select lives_ok($q$do $x$ begin
  execute format('alter role llm_app in database %I set default_transaction_read_only = on', current_database()); end $x$$q$,
  'llm_app may make its own new sessions read-only in this database (PostgreSQL allows it; nothing can refuse it)');
select lives_ok($$alter role llm_app set statement_timeout = '1ms'$$, '... and give them a 1 ms statement timeout, role-wide');
select lives_ok($$alter role llm_app reset idle_in_transaction_session_timeout$$, '... and drop its idle-in-transaction limit');
select tests.act_as_role('llm_money');
select lives_ok($$alter role llm_money set work_mem = '64kB'$$, 'the worker''s login, as llm_money, may set that role''s defaults');
select tests.as_admin();
select results_eq($$
  select role_name, scope, parameter, declared, now from llm.role_settings_drift where parameter <> 'extra_float_digits'
   order by role_name, scope, parameter
$$, $$values ('llm_app', 'database', 'default_transaction_read_only', null::text, 'on'),
             ('llm_app', 'role', 'idle_in_transaction_session_timeout', '60s', null::text),
             ('llm_app', 'role', 'statement_timeout', '30s', '1ms'),
             ('llm_money', 'role', 'work_mem', null::text, '64kB')$$,
  'llm.role_settings_drift shows each: added in this database, removed, changed, and on a role that cannot log in');

select tests.act_as_role('llm_viewer');
select is((select count(*)::int from llm.role_settings_drift where parameter <> 'extra_float_digits'), 4, 'llm_viewer (the metrics'' login) reads it');
select tests.act_as_role('llm_app');
select throws_ok($$select * from llm.role_settings_drift$$, '42501', null, 'the application cannot read it');
select throws_ok($$create or replace function llm_private.declared_role_settings() returns table (role_name text, parameter text, value text)
  language sql as 'select null::text, null::text, null::text where false'$$, '42501', null, 'nor replace the declared list');
select tests.as_admin();
select is((select count(*)::int from llm.role_settings_drift where role_name = 'llm_app' and scope = 'database'), 1,
  'the change in this database is seen whatever happened before it: there is no baseline to race a migrate for');

select results_eq($$
  select rolname::text collate "default", rolconnlimit from pg_roles where rolname in ('llm_viewer', 'llm_auditor', 'llm_exporter') order by 1
$$, $$values ('llm_auditor', 8), ('llm_exporter', 4), ('llm_viewer', 16)$$,
  'the read-only logins have connection limits');
select tests.act_as_role('llm_viewer');
select throws_ok($$alter role llm_viewer connection limit -1$$, '42501', null, 'and a login cannot lift its own');
select tests.act_as_role('llm_app');
select throws_ok($$alter role llm_app connection limit 1$$, '42501', null, 'nor set one (to lock the other tenants'' sessions out)');

select * from finish();
rollback;
