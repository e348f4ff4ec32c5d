/*
 * Session defaults a login set for itself. PostgreSQL lets every role ALTER ROLE its own defaults (role-wide, or IN
 * DATABASE), and nothing can refuse it: one SQL injection in the application could make every new llm_app session
 * read-only, or give it a 1 ms statement_timeout, and so stop every tenant. Every migrate resets our roles' defaults
 * (sql/bootstrap/roles.sql, database.sql) and records what it left (llm_private.record_role_settings, as the owner);
 * llm.role_settings_drift is the difference, exported as llm_role_settings_drift and alerted on by Prometheus.
 * The repair is `npm run migrate` (the administrator); an application can also pin what it depends on in its
 * connection's startup options (`options=-c default_transaction_read_only=off`), which outrank any role default.
 */
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
   where r.rolname like 'llm\_%'
     and (s.setdatabase = 0 or s.setdatabase = (select d.oid from pg_database d where d.datname = current_database()));
end
$$;
comment on function llm_private.role_settings_live() is
  'The session defaults of our roles (llm_*) now: role-wide (scope role) and in this database (scope database), one row per parameter.';

create or replace function llm_private.record_role_settings() returns integer
  language plpgsql
  set search_path = pg_catalog
as $$
declare
  n integer;
begin
  update llm_private.schema_state s
     set role_settings = (select coalesce(jsonb_agg(jsonb_build_object('role', l.role_name, 'scope', l.scope, 'parameter', l.parameter,
                                          'value', l.value) order by l.role_name, l.scope, l.parameter), '[]')
                            from llm_private.role_settings_live() l),
         role_settings_at = now()
   where s.id
  returning jsonb_array_length(s.role_settings) into n;
  return n;
end
$$;
comment on function llm_private.record_role_settings() is
  'Run by migrate as the owner, after the roles'' defaults were reset: records them as the baseline of llm.role_settings_drift. Returns how many it recorded.';

create view llm.role_settings_drift with (security_invoker = true) as
with recorded as (
  select x->>'role' as role_name, x->>'scope' as scope, x->>'parameter' as parameter, x->>'value' as value
    from llm_private.schema_state st cross join lateral jsonb_array_elements(st.role_settings) x
)
select coalesce(l.role_name, b.role_name) as role_name, coalesce(l.scope, b.scope) as scope,
       coalesce(l.parameter, b.parameter) as parameter, b.value as recorded, l.value as now,
       (select st.role_settings_at from llm_private.schema_state st) as recorded_at
  from llm_private.role_settings_live() l
  full join recorded b on b.role_name = l.role_name and b.scope = l.scope and b.parameter = l.parameter
 where l.value is distinct from b.value;
comment on view llm.role_settings_drift is
  'Session defaults of our roles that differ from what the last migrate left (recorded null: added since; now null: removed). Must be empty: a login can ALTER ROLE its own defaults, and one SQL injection in the application could make every new llm_app session read-only. Repair: npm run migrate.';

grant execute on function llm_private.role_settings_live() to llm_auditor, llm_viewer, llm_operator;
grant select on llm.role_settings_drift to llm_auditor, llm_viewer, llm_operator;
