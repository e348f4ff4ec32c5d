/*
 * Per-database grants that depend on the API just replayed (administrator, after sql/api; idempotent).
 *
 * Transaction-level advisory locks: one SQL injection in the application took ~12,700 of them in one statement (a loop of
 * subtransactions), and while it lasted every new connection of every role failed with "out of shared memory"
 * (idle_in_transaction_session_timeout is the session's own to change). Claims are ordered by a row now
 * (llm_private.lock_claim, llm_private.claim_mutexes, migration 000038), so PUBLIC loses them; the reserve's single
 * flight keeps pg_advisory_xact_lock(bigint) for the money role, and llm_owner keeps them all (migrate's key).
 * Here, not in database.sql: until the replay has installed the new llm_private.lock_claim, the old one takes the lock
 * as llm_app, and a revoke before it stopped every enqueue for the length of the migrate, and for good when the replay
 * ran out of tries (55P03; review of 2026-11-27). A lock_claim that still takes one keeps them open.
 */
do $do$
declare
  f record;
begin
  if not (select r.rolsuper from pg_catalog.pg_roles r where r.rolname = current_user) then
    raise warning 'not a superuser: transaction-level advisory locks stay open to every role (one session can fill the shared lock table with them)';
    return;
  end if;
  if exists (select 1 from pg_catalog.pg_proc p
              where p.oid = pg_catalog.to_regprocedure('llm_private.lock_claim(uuid,text,text)')
                and p.prosrc operator(pg_catalog.~) 'pg_(try_)?advisory') then
    raise warning 'llm_private.lock_claim still takes an advisory lock: transaction-level advisory locks stay open (run migrate to the end)';
    return;
  end if;
  for f in select p.oid::regprocedure as sig from pg_catalog.pg_proc p
            where p.pronamespace = 'pg_catalog'::regnamespace
              and p.proname in ('pg_advisory_xact_lock', 'pg_advisory_xact_lock_shared', 'pg_try_advisory_xact_lock',
                                'pg_try_advisory_xact_lock_shared') loop
    execute format('revoke execute on function %s from public', f.sig);
    execute format('grant execute on function %s to llm_owner', f.sig);
  end loop;
  grant execute on function pg_catalog.pg_advisory_xact_lock(bigint) to llm_money;
end
$do$;
