/*
 * Cluster-wide roles, created idempotently by an administrator before any migration.
 * Why here and not in a migration: roles belong to the cluster, several databases (every test
 * run makes its own) share them, and graphile-migrate's own advice is to manage roles outside
 * migrations. Run by `npm run migrate` over the admin connection (ROOT_DATABASE_URL).
 *
 *   llm_owner    owns every object of ours and runs migrations. Never used at run time.
 *   llm_worker   the worker process's login: owns graphile-worker's schema (its tables admit only
 *                their owner) and the enqueue wrapper; it acts as llm_money or llm_operator with
 *                SET LOCAL ROLE for each of our transactions. It is not a member of llm_app.
 *   llm_app      the SaaS application, untrusted: it enqueues through llm.enqueue_call and reads its
 *                own results and spend, nothing else. Member of nothing; no TEMP, no CREATE.
 *   llm_money    NOLOGIN: the money path (reserve, settle, release), assumed only by llm_worker per
 *                transaction, under FORCE RLS with the job's tenant+user context.
 *   llm_operator cross-tenant operations (limits, prices, windows, expiry sweep, adjustments,
 *                partitions), allowed by policies written TO llm_operator, never by BYPASSRLS.
 *   llm_auditor  read-only, every tenant's ledger and texts: the audit views, and the prompts, outputs
 *                and reasoning traces (llm.request_results, final_outputs, distillation_export).
 *   llm_viewer   read-only, the audit views and nothing else: no prompt, output or trace. The login of
 *                the dashboard, the metrics, `npm run audit` and Grafana.
 *   llm_exporter reads the distillation export view, nothing else.
 *
 * Connection limits: the read-only logins' passwords live in dashboards and Grafana, further from the database than the
 * application's, and whoever held one could open connections up to max_connections and lock every tenant out (review of
 * 2026-11-26). Our own pools use 2 to 4 of them. The administrator sets other figures at migrate
 * (LLM_VIEWER_CONNECTION_LIMIT, LLM_AUDITOR_CONNECTION_LIMIT, LLM_EXPORTER_CONNECTION_LIMIT, LLM_APP_CONNECTION_LIMIT;
 * -1 is none). llm_app gets one only when it is set: the application's pool is the deployer's to size. A limit set by hand
 * on a role we give none is left alone. A role cannot change its own.
 */
do $$
declare
  r record;
  v text;
begin
  for r in select * from (values
      ('llm_owner',    'login nosuperuser nocreatedb nocreaterole noinherit nobypassrls noreplication', null, null),
      ('llm_worker',   'login nosuperuser nocreatedb nocreaterole noinherit nobypassrls noreplication', null, null),
      ('llm_app',      'login nosuperuser nocreatedb nocreaterole noinherit nobypassrls noreplication', 'app', null),
      ('llm_money',    'nologin nosuperuser nocreatedb nocreaterole noinherit nobypassrls noreplication', null, null),
      ('llm_operator', 'login nosuperuser nocreatedb nocreaterole noinherit nobypassrls noreplication', null, null),
      ('llm_auditor',  'login nosuperuser nocreatedb nocreaterole noinherit nobypassrls noreplication', 'auditor', 8),
      ('llm_exporter', 'login nosuperuser nocreatedb nocreaterole noinherit nobypassrls noreplication', 'exporter', 4),
      ('llm_viewer',   'login nosuperuser nocreatedb nocreaterole noinherit nobypassrls noreplication', 'viewer', 16)
    ) as t(name, attrs, limit_key, default_limit)
  loop
    begin
      if not exists (select 1 from pg_roles where rolname = r.name) then
        execute format('create role %I %s', r.name, r.attrs);
      end if;
    exception when duplicate_object or unique_violation then
      null; -- another test run created it between our check and our create
    end;
    v := nullif(current_setting('llm_bootstrap.' || coalesce(r.limit_key, '-') || '_connection_limit', true), '');
    if v is not null and v !~ '^(-1|[0-9]{1,5})$' then
      raise exception using errcode = '22023', message = format('the connection limit of %s is -1 or 0..99999, not %s', r.name, v);
    end if;
    -- Re-assert the attributes every time, so that a role created by hand cannot keep more. A connection limit only where
    -- we have one (the read-only logins) or the administrator set one: a limit set by hand on another role is kept.
    execute format('alter role %I %s', r.name, r.attrs)
      || coalesce(' connection limit ' || coalesce(v::int, r.default_limit), '');
  end loop;
end
$$;

/*
 * Memberships: who may SET ROLE to whom. The application (llm_app) is a member of nothing, so an
 * SQL injection in it can never become the money role. Re-asserted every time: a membership
 * granted by an older version (llm_worker was once a member of llm_app) is revoked.
 */
revoke llm_app from llm_worker;
grant llm_money to llm_worker;
grant llm_operator to llm_worker;
grant llm_worker to llm_owner;   -- so that migrations can create objects owned by llm_worker
grant llm_app to llm_owner;      -- so that seeds run as the owner can act as llm_app
grant llm_money to llm_owner;

/*
 * A login may ALTER ROLE its own session defaults (PostgreSQL allows every role that, and event
 * triggers do not see roles): one SQL injection made every new application session read-only,
 * or removed its idle-in-transaction limit (review of 2026-11-26). Every migrate resets the
 * runtime roles' defaults to exactly the ones below; per-database ones are reset by
 * sql/bootstrap/database.sql. llm.role_settings_drift compares the catalog with the same list,
 * declared in llm_private.declared_role_settings() (sql/api/115-role-settings.sql): change both
 * (test/sql/role_settings.sql fails when a migrate leaves anything else).
 */
alter role llm_app reset all;
alter role llm_worker reset all;
alter role llm_money reset all;      -- cannot log in, but llm_worker may SET ROLE to it and ALTER its defaults
alter role llm_operator reset all;
alter role llm_auditor reset all;
alter role llm_exporter reset all;
alter role llm_viewer reset all;

/* Limits on the runtime roles: no transaction may hold locks or a connection forever. */
alter role llm_app set statement_timeout = '30s';
alter role llm_worker set statement_timeout = '30s';
alter role llm_app set idle_in_transaction_session_timeout = '60s';
alter role llm_auditor set statement_timeout = '60s';
alter role llm_auditor set default_transaction_read_only = on;
alter role llm_exporter set default_transaction_read_only = on;
alter role llm_viewer set statement_timeout = '60s';
alter role llm_viewer set default_transaction_read_only = on;
-- A read-only login left in a transaction holds its snapshot and ACCESS SHARE locks, which stall partition DDL and
-- migrate (review of 2026-11-26): its idle transactions end after a minute too.
alter role llm_auditor set idle_in_transaction_session_timeout = '60s';
alter role llm_viewer set idle_in_transaction_session_timeout = '60s';
alter role llm_exporter set idle_in_transaction_session_timeout = '60s';
-- The audit views over a ledger of months cost more than jit_above_cost (and than its optimize and inline thresholds):
-- compiling took 3.6 s of a 3.9 s read of one month's llm.monthly_spend (1.2 M attempts over 12 months; 0.23 s without
-- JIT; 2026-11-27). The logins that read them (`npm run audit` and the dashboard are llm_viewer; the operator's cron
-- functions are short statements) run without JIT.
alter role llm_auditor set jit = off;
alter role llm_viewer set jit = off;
alter role llm_operator set jit = off;

/*
 * Every application session logs in as llm_app, and PostgreSQL shows a role's sessions each other's
 * query text (pg_stat_activity). The signed context is sent as a literal (`select
 * llm.use_context('<token>')`, one round trip), so an SQL injection in one tenant's session read
 * another tenant's token there and replayed it (review of 2026-11-26). With track_activities off,
 * llm_app's sessions report no query text, and llm_app cannot turn it back on (superuser-only).
 * Needs a superuser (or SET privilege on the parameter): without one, a WARNING and the gap stays.
 */
do $$
begin
  alter role llm_app set track_activities = off;
exception when insufficient_privilege then
  raise warning 'could not set track_activities = off for llm_app (%): its sessions can read each other''s context tokens in pg_stat_activity', sqlerrm;
end
$$;

/*
 * A statement that fails is written to the server log whole (log_min_error_statement = error, the default), and so is a
 * slow one once a DBA turns on log_min_duration_statement. The worker's settle sends the answer and the reasoning trace as
 * literals (one round trip), the application's enqueue the prompt: a settle stopped by statement_timeout wrote a tenant's
 * answer and trace into the server log, which keeps them with no retention, and an SQL injection in the application can
 * make a settle wait that long (tenth review). For llm_app and llm_worker the log keeps the error and its DETAIL, not the
 * statement (pg_stat_statements, which normalizes constants away, still shows which statements are slow); neither can
 * turn it back on (superuser-only parameters). Needs a superuser, as above.
 */
do $$
declare
  r text;
begin
  foreach r in array array['llm_app', 'llm_worker'] loop
    execute format('alter role %I set log_min_error_statement = panic', r);
    execute format('alter role %I set log_min_duration_statement = -1', r);
  end loop;
  -- A deadlock report writes every participant's current statement into the log, whatever the settings above say, for a
  -- backend that tracks its activity: the worker's too, then (eleventh review). Its sessions report no query text now,
  -- as llm_app's; their wait events still show.
  alter role llm_worker set track_activities = off;
exception when insufficient_privilege then
  raise warning 'could not keep llm_app''s and llm_worker''s statements out of the server log (%): a failing statement''s text (prompts, answers, traces) is logged', sqlerrm;
end
$$;
/*
 * Temporary files: a sort or hash that outgrows work_mem spills to disk, without limit by default. As llm_app, one SQL
 * injection (`set work_mem = '64kB'`, then a sort of a large generate_series) could fill the cluster's disk, and when WAL
 * can no longer be written PostgreSQL stops for every tenant (session of 2026-11-27). temp_file_limit is a superuser
 * parameter: a login can neither SET it nor ALTER ROLE it away. It bounds each process: a session's parallel workers
 * have one each (max_parallel_workers_per_gather is the session's own, up to max_parallel_workers). The application's
 * API spills nothing: 256 MB. The other logins read the audit views, whose drift sort wrote 233 MB at 10^6 attempts
 * (the worker's metrics read them through SET ROLE, under the worker login's limit; review of 2026-11-27): 2 GB.
 * Needs a superuser, as above.
 */
do $$
declare
  r record;
begin
  for r in select * from (values ('llm_app', '256MB'), ('llm_worker', '2GB'), ('llm_operator', '2GB'), ('llm_auditor', '2GB'),
                                 ('llm_viewer', '2GB'), ('llm_exporter', '2GB')) x(role_name, size) loop
    execute format('alter role %I set temp_file_limit = %L', r.role_name, r.size);
  end loop;
exception when insufficient_privilege then
  raise warning 'could not set temp_file_limit for the runtime roles (%): one of their sessions can fill the disk with temporary files', sqlerrm;
end
$$;
