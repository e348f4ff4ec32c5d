/*
 * Session defaults a login set for itself. PostgreSQL lets every role ALTER ROLE its own defaults (role-wide, or IN
 * DATABASE), and nothing can refuse it: one SQL injection in the application could make every new llm_app session
 * read-only, or give it a 1 ms statement_timeout, and so stop every tenant. Every migrate resets the runtime roles'
 * defaults to the ones sql/bootstrap/roles.sql sets (and database.sql clears the per-database ones);
 * llm.role_settings_drift compares the catalog with that declared list at every read, exported as
 * llm_role_settings_drift and alerted on by Prometheus. The list is declared, not recorded at migrate: a login that
 * set its default again while a migrate ran would otherwise have been recorded as normal (seventh review).
 * The repair is `npm run migrate`. What the view cannot see: a default set and removed between two reads still
 * applies to every session opened meanwhile; an application that pins what it depends on in its connection's startup
 * options (`options=-c default_transaction_read_only=off`), which outrank any role default, is not stopped by it.
 */
create or replace function llm_private.declared_role_settings()
  returns table (role_name text, parameter text, value text)
  language sql immutable
  set search_path = pg_catalog
as $$
  values ('llm_app', 'statement_timeout', '30s'), ('llm_app', 'idle_in_transaction_session_timeout', '60s'),
         ('llm_app', 'track_activities', 'off'),
         ('llm_app', 'log_min_error_statement', 'panic'), ('llm_app', 'log_min_duration_statement', '-1'),
         ('llm_worker', 'statement_timeout', '30s'),
         ('llm_worker', 'log_min_error_statement', 'panic'), ('llm_worker', 'log_min_duration_statement', '-1'),
         ('llm_worker', 'track_activities', 'off'),
         ('llm_auditor', 'statement_timeout', '60s'), ('llm_auditor', 'default_transaction_read_only', 'on'),
         ('llm_auditor', 'idle_in_transaction_session_timeout', '60s'), ('llm_auditor', 'jit', 'off'),
         ('llm_viewer', 'statement_timeout', '60s'), ('llm_viewer', 'default_transaction_read_only', 'on'),
         ('llm_viewer', 'idle_in_transaction_session_timeout', '60s'), ('llm_viewer', 'jit', 'off'),
         ('llm_operator', 'jit', 'off'),
         ('llm_exporter', 'default_transaction_read_only', 'on'), ('llm_exporter', 'idle_in_transaction_session_timeout', '60s'),
         ('llm_app', 'temp_file_limit', '256MB'), ('llm_worker', 'temp_file_limit', '2GB'), ('llm_operator', 'temp_file_limit', '2GB'),
         ('llm_auditor', 'temp_file_limit', '2GB'), ('llm_viewer', 'temp_file_limit', '2GB'), ('llm_exporter', 'temp_file_limit', '2GB')
$$;
comment on function llm_private.declared_role_settings() is
  'The runtime roles'' role-wide session defaults exactly as sql/bootstrap/roles.sql sets them at every migrate (none in any one database). test/sql/role_settings.sql checks that a migrate leaves exactly these.';

create or replace function llm_private.role_settings_live()
  returns table (role_name text, scope text, parameter text, value text)
  language plpgsql stable
  set search_path = pg_catalog
as $$
begin
  return query
  select r.rolname::text, case when s.setdatabase = 0 then 'role' else 'database' end,
         split_part(c.setting, '=', 1), substr(c.setting, strpos(c.setting, '=') + 1)
    from pg_db_role_setting s
    join pg_roles r on r.oid = s.setrole
    cross join lateral unnest(s.setconfig) c(setting)
   where r.rolname in ('llm_app', 'llm_worker', 'llm_money', 'llm_operator', 'llm_auditor', 'llm_viewer', 'llm_exporter')
     and (s.setdatabase = 0 or s.setdatabase = (select d.oid from pg_database d where d.datname = current_database()));
end
$$;
comment on function llm_private.role_settings_live() is
  'The session defaults of the runtime roles now: role-wide (scope role) and in this database (scope database), one row per parameter.';

create view llm.role_settings_drift with (security_invoker = true) as
select coalesce(l.role_name, d.role_name) as role_name, coalesce(l.scope, 'role') as scope,
       coalesce(l.parameter, d.parameter) as parameter, d.value as declared, l.value as now
  from llm_private.role_settings_live() l
  full join (select x.role_name, 'role'::text as scope, x.parameter, x.value from llm_private.declared_role_settings() x) d
    on d.role_name = l.role_name and d.scope = l.scope and d.parameter = l.parameter
 where l.value is distinct from d.value;
comment on view llm.role_settings_drift is
  'Session defaults of the runtime roles that differ from the ones every migrate sets (declared null: added; now null: removed; scope database: set for this database only). Must be empty: a login can ALTER ROLE its own defaults, and one SQL injection in the application could make every new llm_app session read-only. Repair: npm run migrate. A database-wide default (ALTER DATABASE, the owner''s or a superuser''s) is not shown.';

grant execute on function llm_private.declared_role_settings(), llm_private.role_settings_live() to llm_auditor, llm_viewer, llm_operator;
grant select on llm.role_settings_drift to llm_auditor, llm_viewer, llm_operator;
