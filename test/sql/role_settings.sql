-- Session defaults a login sets for itself: PostgreSQL lets every role ALTER ROLE its own defaults, and nothing can
-- refuse it. One SQL injection in the application could make every new llm_app session read-only and stop every
-- tenant. Migrate records the defaults it leaves; llm.role_settings_drift shows what changed since. And the read-only
-- logins, whose passwords live in dashboards, have connection limits.
begin;
select plan(13);

select is_empty($$select * from llm.role_settings_drift$$, 'right after migrate, no role''s defaults differ from what it recorded');
select ok((select role_settings_at is not null from llm_private.schema_state), 'migrate recorded when it read them');
select results_eq($$
  select x->>'parameter', x->>'value' from llm_private.schema_state, jsonb_array_elements(role_settings) x
   where x->>'role' = 'llm_viewer' and x->>'scope' = 'role' order by 1
$$, $$values ('default_transaction_read_only', 'on'), ('idle_in_transaction_session_timeout', '60s'), ('statement_timeout', '60s')$$,
  'what it recorded is what sql/bootstrap/roles.sql sets (llm_viewer: read-only, with its timeouts)');

-- The attack, as the application's login: in this database, then role-wide.
select tests.act_as_role('llm_app');
select lives_ok($q$do $x$ begin
  execute format('alter role llm_app in database %I set default_transaction_read_only = on', current_database()); end $x$$q$,
  'llm_app may make its own new sessions read-only in this database (PostgreSQL allows it; nothing can refuse it)');
select lives_ok($$alter role llm_app set statement_timeout = '1ms'$$, '... and give them a 1 ms statement timeout, role-wide');
select lives_ok($$alter role llm_app reset idle_in_transaction_session_timeout$$, '... and drop its idle-in-transaction limit');
select tests.as_admin();
select results_eq($$
  select role_name, scope, parameter, recorded, now from llm.role_settings_drift order by scope, parameter
$$, $$values ('llm_app', 'database', 'default_transaction_read_only', null::text, 'on'),
             ('llm_app', 'role', 'idle_in_transaction_session_timeout', '60s', null::text),
             ('llm_app', 'role', 'statement_timeout', '30s', '1ms')$$,
  'llm.role_settings_drift shows each: added in this database, removed, and changed');

select tests.act_as_role('llm_viewer');
select is((select count(*)::int from llm.role_settings_drift), 3, 'llm_viewer (the metrics'' login) reads it');
select tests.act_as_role('llm_app');
select throws_ok($$select * from llm.role_settings_drift$$, '42501', null, 'the application cannot read it');
select throws_ok($$select llm_private.record_role_settings()$$, '42501', null, 'nor record a new baseline that hides its change');
select tests.act_as_role('llm_operator');
select throws_ok($$select llm_private.record_role_settings()$$, '42501', null, 'nor can the operator: only migrate, as the owner');
select tests.as_admin();

select results_eq($$
  select rolname::text collate "default", rolconnlimit from pg_roles where rolname in ('llm_viewer', 'llm_auditor', 'llm_exporter', 'llm_app') order by 1
$$, $$values ('llm_app', -1), ('llm_auditor', 8), ('llm_exporter', 4), ('llm_viewer', 16)$$,
  'the read-only logins have connection limits (the application''s pool is the deployer''s to size)');
select tests.act_as_role('llm_viewer');
select throws_ok($$alter role llm_viewer connection limit -1$$, '42501', null, 'and a login cannot lift its own');

select * from finish();
rollback;
