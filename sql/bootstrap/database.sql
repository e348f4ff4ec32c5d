/*
 * Per-database preparation, run by an administrator before migrations (idempotent).
 * graphile-worker's schema is created here, owned by llm_worker, because graphile-worker's tables
 * admit only their owner and the worker process must not log in as the owner of our ledger.
 */
create schema if not exists graphile_worker authorization llm_worker;
revoke create on schema public from public;
revoke all on database __DATABASE__ from public;
grant connect on database __DATABASE__ to llm_owner, llm_worker, llm_app, llm_operator, llm_auditor, llm_exporter, llm_viewer;
-- No runtime role may create anything, temporary tables included: a table of its own could carry a
-- trigger of its own, and the ledger's counters trust that only our triggers write them.
revoke temporary on database __DATABASE__ from llm_worker, llm_app, llm_money, llm_operator, llm_auditor, llm_exporter, llm_viewer;
-- Session defaults a runtime login set for itself in this database (see sql/bootstrap/roles.sql): none survive a migrate.
alter role llm_app in database __DATABASE__ reset all;
alter role llm_worker in database __DATABASE__ reset all;
alter role llm_operator in database __DATABASE__ reset all;
alter role llm_auditor in database __DATABASE__ reset all;
alter role llm_exporter in database __DATABASE__ reset all;
alter role llm_viewer in database __DATABASE__ reset all;
grant temporary on database __DATABASE__ to llm_owner;
grant create on database __DATABASE__ to llm_owner;
-- graphile-worker runs `create schema if not exists graphile_worker` at every start, and Postgres
-- checks CREATE on the database before it checks existence. llm_worker owns nothing of ours.
grant create on database __DATABASE__ to llm_worker;

/*
 * Runtime logins run no DDL but graphile-worker's `create schema if not exists graphile_worker`.
 * llm_worker must hold CREATE on the database (above) and own graphile-worker's schema, so without
 * this it could create a table with a trigger of its own; a trigger of its own runs at trigger depth
 * 2, which is all tg_usage__guard and tg_provider_breakers__guard can tell our triggers by, and as
 * llm_money or llm_operator it could then rewrite the counters of every tenant it can see. Event
 * triggers need a superuser: an administrator without it gets a WARNING, and this gap stays open
 * (README "Roles"). graphile-worker's own migrations run as the administrator with role llm_worker
 * (src/db/migrate.ts), so its objects are still llm_worker's.
 */
do $do$
declare
  f record;
begin
  if not (select r.rolsuper from pg_catalog.pg_roles r where r.rolname = current_user) then
    raise warning 'not a superuser: event triggers llm_refuse_runtime_ddl* not installed (runtime logins such as llm_worker can create objects), and large objects, advisory locks (session and transaction level) and backend signals stay open to every role';
    return;
  end if;
  create or replace function public.llm_refuse_runtime_ddl() returns event_trigger
    language plpgsql
    set search_path = pg_catalog
  as $f$
  begin
    if session_user::text in ('llm_worker', 'llm_app', 'llm_operator', 'llm_auditor', 'llm_exporter', 'llm_viewer')
       and tg_tag <> 'CREATE SCHEMA' then
      raise exception using errcode = '42501', message = format('%s is refused to runtime logins', tg_tag),
        detail = format('session user %s', session_user),
        hint = 'Schema changes run as the administrator: npm run migrate.';
    end if;
  end
  $f$;
  create or replace function public.llm_refuse_runtime_ddl_parts() returns event_trigger
    language plpgsql
    set search_path = pg_catalog
  as $f$
  declare
    t text;
  begin
    if session_user::text in ('llm_worker', 'llm_app', 'llm_operator', 'llm_auditor', 'llm_exporter', 'llm_viewer') then
      -- CREATE SCHEMA may carry CREATE TABLE, CREATE TRIGGER, ... as elements: only the schema itself passes.
      select c.command_tag into t from pg_catalog.pg_event_trigger_ddl_commands() c where c.command_tag <> 'CREATE SCHEMA' limit 1;
      if t is not null then
        raise exception using errcode = '42501', message = format('%s is refused to runtime logins', t),
          detail = format('session user %s', session_user), hint = 'Schema changes run as the administrator: npm run migrate.';
      end if;
    end if;
  end
  $f$;
  revoke all on function public.llm_refuse_runtime_ddl(), public.llm_refuse_runtime_ddl_parts() from public;
  comment on function public.llm_refuse_runtime_ddl() is
    'Event trigger (ddl_command_start): refuses every DDL command but CREATE SCHEMA to the runtime logins (sql/bootstrap/database.sql).';
  comment on function public.llm_refuse_runtime_ddl_parts() is
    'Event trigger (ddl_command_end): refuses the elements of a CREATE SCHEMA (CREATE TABLE, CREATE TRIGGER, ...) to the runtime logins.';
  -- Large objects live outside every table, policy and read-only transaction: any role could store gigabytes with
  -- lo_from_bytea (the read-only auditor and the application included; review of 2026-11-26), and 10 MB WAL records with
  -- pg_logical_emit_message. Nothing of ours uses them.
  for f in select p.oid::regprocedure as sig from pg_catalog.pg_proc p
            where p.pronamespace = 'pg_catalog'::regnamespace
              and (p.proname like 'lo\_%' or p.proname in ('loread', 'lowrite', 'pg_logical_emit_message')) loop
    execute format('revoke execute on function %s from public', f.sig);
  end loop;
  -- Every application session is llm_app, and PostgreSQL lets a role signal its own backends and take
  -- session-level advisory locks without limit (review of 2026-11-26): one SQL injection could end or
  -- cancel every other tenant's application session, or hold ~8,000 session locks after its transaction
  -- ended, until the shared lock table was full and new connections of every role were refused. Nothing
  -- of ours signals backends, and our claims take transaction-level locks only (llm_private.lock_claim,
  -- llm.reserve_call), which end with the transaction. graphile-migrate takes a session-level lock as the
  -- login that migrates: llm_owner keeps them.
  -- pg_settings is the one catalog relation PUBLIC may write (UPDATE, a spelling of SET): with it, LOCK TABLE takes it in
  -- ACCESS EXCLUSIVE mode, and every session that reads it waits (migrate and maintain-partitions did: review of
  -- 2026-11-27). SET and set_config do the same and stay.
  revoke update on pg_catalog.pg_settings from public;
  for f in select p.oid::regprocedure as sig from pg_catalog.pg_proc p
            where p.pronamespace = 'pg_catalog'::regnamespace
              and p.proname in ('pg_terminate_backend', 'pg_cancel_backend',
                                'pg_advisory_lock', 'pg_advisory_lock_shared', 'pg_try_advisory_lock',
                                'pg_try_advisory_lock_shared', 'pg_advisory_unlock', 'pg_advisory_unlock_shared',
                                'pg_advisory_unlock_all') loop
    execute format('revoke execute on function %s from public', f.sig);
    if f.sig::text like 'pg_%advisory%' then
      execute format('grant execute on function %s to llm_owner', f.sig);
    end if;
  end loop;
  if not exists (select 1 from pg_catalog.pg_event_trigger e where e.evtname = 'llm_refuse_runtime_ddl') then
    create event trigger llm_refuse_runtime_ddl on ddl_command_start execute function public.llm_refuse_runtime_ddl();
  end if;
  if not exists (select 1 from pg_catalog.pg_event_trigger e where e.evtname = 'llm_refuse_runtime_ddl_parts') then
    create event trigger llm_refuse_runtime_ddl_parts on ddl_command_end execute function public.llm_refuse_runtime_ddl_parts();
  end if;
end
$do$;
