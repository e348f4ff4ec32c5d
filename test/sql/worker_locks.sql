-- The locks of a dead worker process are released without an operator (README, Supervision and crash recovery): every live
-- worker names the ids it locks jobs with (llm.record_worker_heartbeat, every 10 s), and llm.release_dead_worker_locks
-- (the cron job llm__release_dead_locks, every minute) releases the LLM jobs of ids that no heartbeat of the last minute
-- names, once their locks are older than a governed job can run. Another application's jobs on the same graphile-worker
-- are never touched, nor a live worker's, nor a lock younger than a job can run.
begin;
select plan(15);
select tests.seed();

-- Six LLM jobs and one of another application, locked as a crash would leave them (graphile-worker writes locked_at with
-- the server's clock).
create temp table j (name text, id bigint) on commit drop;
insert into j select n, (graphile_worker.add_job(t, '{}'::json, job_key => 'wl-' || n)).id
  from (values ('dead', 'explanation'), ('dead2', 'llm__expire_holds'), ('live', 'route'), ('young', 'investigation'),
               ('stale_hb', 'budget_optimization'), ('mixed', 'explanation'), ('foreign', 'send_invoice_email'),
               ('unnamed', 'route')) v(n, t);
update graphile_worker._private_jobs p set locked_by = v.who, locked_at = now() - v.age
  from j, (values ('dead', 'w-dead', interval '10 minutes'), ('dead2', 'w-dead', interval '9 minutes'), ('live', 'w-live', interval '10 minutes'),
                  ('young', 'w-young', interval '30 seconds'), ('stale_hb', 'w-stale', interval '10 minutes'),
                  ('mixed', 'w-mixed', interval '10 minutes'), ('foreign', 'w-mixed', interval '10 minutes'),
                  ('unnamed', 'w-old-release', interval '10 minutes')) v(n, who, age)
 where j.name = v.n and p.id = j.id;

select tests.act_as_role('llm_worker');
select llm.record_worker_heartbeat('pool-live', array['pool-live', 'w-live'], 'host-a', 4242);
select llm.record_worker_heartbeat('pool-stale', array['pool-stale', 'w-stale'], 'host-b', 4343);
select tests.as_admin();
update llm_private.worker_heartbeats set seen_at = clock_timestamp() - interval '5 minutes' where worker_id = 'pool-stale';
insert into llm_private.worker_heartbeats values ('pool-gone', '{w-gone}', null, null, now() - interval '3 days', now() - interval '2 days');
-- The dead process: it beat until it was killed, 5 minutes ago.
insert into llm_private.worker_heartbeats values ('pool-dead', '{pool-dead,w-dead,w-mixed}', 'host-c', 4444, now() - interval '1 hour',
  clock_timestamp() - interval '5 minutes');

select results_eq($$select worker_id, lock_ids, host, pid, alive from llm.workers order by worker_id$$,
  $$values ('pool-dead', '{pool-dead,w-dead,w-mixed}'::text[], 'host-c'::text, 4444, false), ('pool-gone', '{w-gone}', null, null, false),
           ('pool-live', '{pool-live,w-live}', 'host-a', 4242, true), ('pool-stale', '{pool-stale,w-stale}', 'host-b', 4343, false)$$,
  'llm.workers: each process''s lock ids, where it runs, and whether it was seen in the last minute');

select tests.act_as_role('llm_worker');
select results_eq($$select locked_by, jobs from llm.release_dead_worker_locks(240000)$$,
  $$values ('w-dead', 2), ('w-stale', 1)$$,
  'released: the ids a heartbeat named but none of the last minute, whose LLM jobs are locked longer than a job can run');
select tests.as_admin();
select results_eq($$select j.name, p.locked_by from j join graphile_worker._private_jobs p on p.id = j.id order by j.name$$,
  $$values ('dead', null::text), ('dead2', null), ('foreign', 'w-mixed'), ('live', 'w-live'), ('mixed', 'w-mixed'), ('stale_hb', null),
           ('unnamed', 'w-old-release'), ('young', 'w-young')$$,
  'their jobs are free for a live worker; a live worker''s, a young lock and an id that also locks another application''s job are not');
select is((select locked_by from graphile_worker._private_jobs p join j on p.id = j.id where j.name = 'unnamed'), 'w-old-release',
  'nor an id no heartbeat ever named (a worker of a release before heartbeats, alive during a rolling upgrade): graphile-worker''s 4 hours');
select is((select count(*)::int from llm_private.worker_heartbeats where worker_id = 'pool-gone'), 0, 'a heartbeat unseen for a day is deleted');

select tests.act_as_role('llm_worker');
select is_empty($$select * from llm.release_dead_worker_locks(240000)$$, 'a second run finds nothing');
select is_empty($$select * from llm.release_dead_worker_locks(3600000)$$, 'nor with a longer bound');
select throws_ok($$select * from llm.release_dead_worker_locks(10)$$, '22023', null, 'a bound under a second is refused');
-- The heartbeat moves on: seen_at, the ids it names now.
select llm.record_worker_heartbeat('pool-live', array['pool-live', 'w-live', 'w-live-2'], 'host-a', 4242);
select tests.as_admin();
select results_eq($$select lock_ids from llm_private.worker_heartbeats where worker_id = 'pool-live'$$,
  $$values ('{pool-live,w-live,w-live-2}'::text[])$$, 'a heartbeat replaces the ids it names');

-- Who may do what: only the worker's login writes heartbeats and releases locks.
select tests.act_as_role('llm_app');
select throws_ok($$select llm.record_worker_heartbeat('pool-x', '{w-live}')$$, '42501', null, 'the application may not say a worker is alive');
select throws_ok($$select * from llm.release_dead_worker_locks(240000)$$, '42501', null, 'nor release locks');
select throws_ok($$select * from llm_private.worker_heartbeats$$, '42501', null, 'nor read the heartbeats');
select tests.act_as_role('llm_operator');
select throws_ok($$select * from llm.release_dead_worker_locks(240000)$$, '42501', null, 'the operator releases none by this function');
select throws_ok($$delete from llm_private.worker_heartbeats$$, '42501', null, 'nor deletes a heartbeat');
select tests.act_as_role('llm_viewer');
select is((select count(*)::int from llm.workers), 3, 'the viewer reads llm.workers');
select tests.as_admin();
select * from finish();
rollback;
