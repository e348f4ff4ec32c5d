-- The locks of a dead worker process are released without an operator (README, Supervision and crash recovery): every live
-- worker names the ids it locks jobs with (llm.record_worker_heartbeat, every 10 s), and llm.release_dead_worker_locks
-- (the cron job llm__release_dead_locks, every minute) releases the jobs of ours of ids that no heartbeat of the last minute
-- names, once their locks are older than a governed job can run. Another application's jobs on the same graphile-worker
-- are never touched, even when its tasks are named like our endpoints, nor a live worker's, nor a lock younger than a job
-- can run. A job is ours when a request names it (llm_private.job_is_ours), or when it is a maintenance job (llm__*).
begin;
select plan(23);
select tests.seed();

-- Jobs of ours, added as the database adds them (a request's job, by llm.enqueue_call; a maintenance job), jobs of another
-- application (one with a task named like our endpoint `route`, a payload and a key of its own), and one of another
-- application that took the key of a request of ours whose own job had ended. Then locked as a crash would leave them
-- (graphile-worker writes locked_at with the server's clock; these columns are written here by the test alone).
create temp table j (name text, id bigint) on commit drop;
grant select on j to llm_worker;
insert into j select n, tests.enqueue(t, u, 'wl-' || n, e)
  from (values ('dead', tests.tenant_a(), tests.user_a1(), 'explanation'), ('live', tests.tenant_a(), tests.user_a2(), 'route'),
               ('young', tests.tenant_a(), tests.user_a1(), 'investigation'),
               ('stale_hb', tests.tenant_b(), tests.user_b1(), 'budget_optimization'), ('mixed', tests.tenant_a(), tests.user_a1(), 'explanation'),
               ('unnamed', tests.tenant_b(), tests.user_b1(), 'route'), ('mixed_route', tests.tenant_a(), tests.user_a2(), 'route')) v(n, t, u, e);
update j set id = q.job_id from llm_private.requests q where q.id = j.id;
insert into j select n, (graphile_worker.add_job(t, p::json, job_key => k)).id
  from (values ('dead2', 'llm__expire_holds', '{}', null), ('foreign', 'send_invoice_email', '{"invoice": 7}', 'invoice:7'),
               ('foreign_route', 'route', '{"order_id": 42, "carrier": "dhl"}', 'shop:route:42'),
               ('foreign_route2', 'route', '{"order_id": 43}', null)) v(n, t, p, k);
-- A request whose job ended (removed by graphile-worker's public remove_job, as a completed job is deleted); another
-- application's job then got its key (llm:<tenant>:<request pk>), on a task of the request's endpoint's name.
select tests.enqueue(tests.tenant_a(), tests.user_a1(), 'wl-ended', 'investigation');
select graphile_worker.remove_job(format('llm:%s:%s', tests.tenant_a(), tests.request_pk('wl-ended')));
insert into j values ('reused_key', (graphile_worker.add_job('investigation', '{"survey": 3}'::json,
  job_key => format('llm:%s:%s', tests.tenant_a(), tests.request_pk('wl-ended')))).id);
update graphile_worker._private_jobs p set locked_by = v.who, locked_at = now() - v.age
  from j, (values ('dead', 'w-dead', interval '10 minutes'), ('dead2', 'w-dead', interval '9 minutes'), ('live', 'w-live', interval '10 minutes'),
                  ('young', 'w-young', interval '30 seconds'), ('stale_hb', 'w-stale', interval '10 minutes'),
                  ('mixed', 'w-mixed', interval '10 minutes'), ('foreign', 'w-mixed', interval '10 minutes'),
                  ('unnamed', 'w-old-release', interval '10 minutes'), ('foreign_route', 'w-foreign', interval '10 minutes'),
                  ('mixed_route', 'w-mixed-route', interval '10 minutes'), ('foreign_route2', 'w-mixed-route', interval '10 minutes'),
                  ('reused_key', 'w-reused', interval '10 minutes')) v(n, who, age)
 where j.name = v.n and p.id = j.id;

select tests.act_as_role('llm_worker');
select llm.record_worker_heartbeat('pool-live', array['pool-live', 'w-live'], 'host-a', 4242);
select llm.record_worker_heartbeat('pool-stale', array['pool-stale', 'w-stale'], 'host-b', 4343);
select tests.as_admin();
update llm_private.worker_heartbeats set seen_at = clock_timestamp() - interval '5 minutes' where worker_id = 'pool-stale';
insert into llm_private.worker_heartbeats values ('pool-gone', '{w-gone}', null, null, now() - interval '3 days', now() - interval '2 days');
-- The dead process: it beat until it was killed, 5 minutes ago. It named every id below that locks a job (a worker of ours
-- runs a job of another application's task named like our endpoint: graphile-worker hands it any job of a task it knows).
insert into llm_private.worker_heartbeats values ('pool-dead', '{pool-dead,w-dead,w-mixed,w-foreign,w-mixed-route,w-reused}', 'host-c', 4444,
  now() - interval '1 hour', clock_timestamp() - interval '5 minutes');

select results_eq($$select worker_id, lock_ids, host, pid, alive from llm.workers order by worker_id$$,
  $$values ('pool-dead', '{pool-dead,w-dead,w-mixed,w-foreign,w-mixed-route,w-reused}'::text[], 'host-c'::text, 4444, false),
           ('pool-gone', '{w-gone}', null, null, false),
           ('pool-live', '{pool-live,w-live}', 'host-a', 4242, true), ('pool-stale', '{pool-stale,w-stale}', 'host-b', 4343, false)$$,
  'llm.workers: each process''s lock ids, where it runs, and whether it was seen in the last minute');

-- Which jobs are ours, as the worker's login reads them (the release and the metrics run as that login).
set local session authorization llm_worker;
select results_eq($$select j.name from llm.locked_jobs() o join j on j.id = o.job_id order by j.name$$,
  $$values ('dead'), ('dead2'), ('live'), ('mixed'), ('mixed_route'), ('stale_hb'), ('unnamed'), ('young')$$,
  'llm.locked_jobs: the locked jobs of our requests and our maintenance job; not another application''s, even a task named route, nor a job with the key of a request of ours whose job it is not');
select results_eq($$select j.name, o.task_identifier, o.locked_by from llm.locked_jobs() o join j on j.id = o.job_id where j.name in ('dead', 'dead2')
                    order by j.name$$,
  $$values ('dead', 'explanation', 'w-dead'), ('dead2', 'llm__expire_holds', 'w-dead')$$, 'llm.locked_jobs: each with its task and lock');
select results_eq($$select locked_by, jobs from llm.release_dead_worker_locks(240000)$$,
  $$values ('w-dead', 2), ('w-stale', 1)$$,
  'released: the ids a heartbeat named but none of the last minute, whose jobs, all ours, are locked longer than a job can run');
reset session authorization;
select results_eq($$select j.name, p.locked_by from j join graphile_worker._private_jobs p on p.id = j.id order by j.name$$,
  $$values ('dead', null::text), ('dead2', null), ('foreign', 'w-mixed'), ('foreign_route', 'w-foreign'), ('foreign_route2', 'w-mixed-route'),
           ('live', 'w-live'), ('mixed', 'w-mixed'), ('mixed_route', 'w-mixed-route'), ('reused_key', 'w-reused'), ('stale_hb', null),
           ('unnamed', 'w-old-release'), ('young', 'w-young')$$,
  'their jobs are free for a live worker; a live worker''s, a young lock and an id that also locks another application''s job are not');
select is((select locked_by from graphile_worker._private_jobs p join j on p.id = j.id where j.name = 'foreign_route'), 'w-foreign',
  'another application''s job of a task named like our endpoint (route), with a payload of its own, is not ours: its dead id is not released');
select results_eq($$select j.name, p.locked_by from j join graphile_worker._private_jobs p on p.id = j.id
                    where j.name in ('mixed_route', 'foreign_route2') order by j.name$$,
  $$values ('foreign_route2', 'w-mixed-route'), ('mixed_route', 'w-mixed-route')$$,
  'nor an id that locks such a job besides one of ours (force_unlock_workers would release both): graphile-worker''s 4 hours');
select is((select locked_by from graphile_worker._private_jobs p join j on p.id = j.id where j.name = 'reused_key'), 'w-reused',
  'nor a job with the key of a request of ours whose job it is not (the request names another job id)');
select is((select locked_by from graphile_worker._private_jobs p join j on p.id = j.id where j.name = 'unnamed'), 'w-old-release',
  'nor an id no heartbeat ever named (a worker of a release before heartbeats, alive during a rolling upgrade): graphile-worker''s 4 hours');
select is((select count(*)::int from llm_private.worker_heartbeats where worker_id = 'pool-gone'), 0, 'a heartbeat unseen for a day is deleted');

set local session authorization llm_worker;
select is_empty($$select * from llm.release_dead_worker_locks(240000)$$, 'a second run finds nothing');
select is_empty($$select * from llm.release_dead_worker_locks(3600000)$$, 'nor with a longer bound');
select throws_ok($$select * from llm.release_dead_worker_locks(10)$$, '22023', null, 'a bound under a second is refused');
-- The heartbeat moves on: seen_at, the ids it names now.
select llm.record_worker_heartbeat('pool-live', array['pool-live', 'w-live', 'w-live-2'], 'host-a', 4242);
select is((select count(distinct tenant_id)::int from llm_private.requests), 2, 'the worker''s login reads the requests of every tenant');
reset session authorization;
select results_eq($$select lock_ids from llm_private.worker_heartbeats where worker_id = 'pool-live'$$,
  $$values ('{pool-live,w-live,w-live-2}'::text[])$$, 'a heartbeat replaces the ids it names');

-- The enqueue wrapper (SECURITY DEFINER, owner llm_worker) reads requests as llm_worker on the application's behalf: there
-- the session's login is the application's, and llm_worker reads only the context's tenant, as before.
select tests.act_as_app(tests.tenant_a(), tests.user_a1());
set local role llm_worker;
select results_eq($$select distinct tenant_id from llm_private.requests$$, $$values (tests.tenant_a())$$,
  'llm_worker under another login (the enqueue wrapper, called by the application) reads only the application''s tenant');
select tests.as_admin();

-- Who may do what: only the worker's login writes heartbeats and releases locks.
select tests.act_as_role('llm_app');
select throws_ok($$select llm.record_worker_heartbeat('pool-x', '{w-live}')$$, '42501', null, 'the application may not say a worker is alive');
select throws_ok($$select * from llm.release_dead_worker_locks(240000)$$, '42501', null, 'nor release locks');
select throws_ok($$select * from llm_private.worker_heartbeats$$, '42501', null, 'nor read the heartbeats');
select throws_ok($$select * from llm.locked_jobs()$$, '42501', null, 'nor list the locked jobs');
select tests.act_as_role('llm_operator');
select throws_ok($$select * from llm.release_dead_worker_locks(240000)$$, '42501', null, 'the operator releases none by this function');
select throws_ok($$delete from llm_private.worker_heartbeats$$, '42501', null, 'nor deletes a heartbeat');
select tests.act_as_role('llm_viewer');
select is((select count(*)::int from llm.workers), 3, 'the viewer reads llm.workers');
select tests.as_admin();
select * from finish();
rollback;
