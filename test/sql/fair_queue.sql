-- A fair share of the job queue between tenants: a tenant's burst of enqueues gets rising graphile-worker priorities, so
-- another tenant's new job waits behind at most queue_share_jobs of them, not behind the whole burst (review of
-- 2026-11-26: 5,000 enqueue_calls of one tenant went ahead of every later job of every tenant).
begin;
select plan(14);
select tests.seed();
select tests.as_admin();
update llm_private.settings set queue_share_jobs = 50;

-- Tenant A floods: 120 requests in one statement, as one SQL injection could.
select tests.act_as_app(tests.tenant_a(), tests.user_a1());
select is((select count(*)::int from generate_series(1, 120) g, llm.enqueue_call(tests.payload('flood-' || g)) e), 120,
  'tenant A enqueues 120 requests in one statement');
-- Then tenant B asks for one.
select tests.act_as_app(tests.tenant_b(), tests.user_b1());
select is((select count(*)::int from llm.enqueue_call(tests.payload('b-1'))), 1, 'then tenant B enqueues one');

select tests.as_admin();
select results_eq(
  $$select priority::int, count(*)::int from graphile_worker._private_jobs where payload->>'tenant_id' = tests.tenant_a()::text
     group by 1 order by 1$$,
  $$values (0, 50), (1, 50), (2, 20)$$,
  'A''s burst: its first 50 jobs at priority 0, the next 50 at 1, the last 20 at 2');
select is((select priority::int from graphile_worker._private_jobs where payload->>'tenant_id' = tests.tenant_b()::text), 0,
  'B''s job is at priority 0: B had nothing queued');
-- The order graphile-worker takes jobs in (getJobs: priority, run_at, id).
select is((select n::int from (select payload->>'tenant_id' as t, row_number() over (order by priority, run_at, id) as n
                                 from graphile_worker._private_jobs) x where t = tests.tenant_b()::text), 51,
  'B''s job runs 51st: after A''s first 50, ahead of the other 70 A enqueued earlier');
select is((select priority::int from graphile_worker._private_jobs j join llm_private.requests q on q.job_id = j.id
            where q.request_id = 'flood-1'), 0, 'A''s own burst keeps its order: its first job is at priority 0');

-- Another user of A counts on A's backlog (the tenant's share, not the user's).
select tests.act_as_app(tests.tenant_a(), tests.user_a2());
select is((select count(*)::int from llm.enqueue_call(tests.payload('a2-1'))), 1, 'another user of A enqueues');
select tests.as_admin();
select is((select priority::int from graphile_worker._private_jobs j join llm_private.requests q on q.job_id = j.id
            where q.request_id = 'a2-1'), 2, 'and waits with A''s burst (120 of A''s requests queued: priority 2)');

-- As A's jobs run, its priority falls back: 100 of them leave the queue (the worker took them).
update llm_private.requests set state = 'done', reason = 'ok', finished_at = llm_private.now()
 where tenant_id = tests.tenant_a() and request_id like 'flood-%' and substr(request_id, 7)::int <= 100;
select tests.act_as_app(tests.tenant_a(), tests.user_a1());
select is((select count(*)::int from llm.enqueue_call(tests.payload('later-1'))), 1, 'A enqueues again');
select tests.as_admin();
select is((select priority::int from graphile_worker._private_jobs j join llm_private.requests q on q.job_id = j.id
            where q.request_id = 'later-1'), 0, 'with 21 of its requests queued, at priority 0 again');

-- (ninth review) Padding the window with claims cancelled at once does not buy priority 0: cancelled requests count.
select tests.act_as_app(tests.tenant_b(), tests.user_b1());
select lives_ok($q$do $x$ declare i int; begin for i in 1..60 loop
    insert into llm_private.requests (tenant_id, user_id, request_id, endpoint, fingerprint)
    select llm_private.app_tenant_id(), llm_private.app_user_id(), format('pad-%s-%s', i, g), 'route', sha256(g::text::bytea)
      from generate_series(1, 4) g;
    update llm_private.requests set state = 'cancelled' where request_id like format('pad-%s-%%', i) and state = 'queued';
    perform llm.enqueue_call(tests.payload('b-burst-' || i));
  end loop; end $x$$q$, 'B floods 60 jobs, each behind 4 hand-made claims it cancels at once');
select tests.as_admin();
select ok((select max(priority) from graphile_worker._private_jobs j join llm_private.requests q on q.job_id = j.id
            where q.request_id like 'b-burst-%') >= 3, 'its burst still climbs the priorities (the cancelled claims are counted)');

-- The application cannot choose a priority: it cannot reach graphile-worker's functions, and the wrapper takes only a request.
select tests.act_as_app(tests.tenant_a(), tests.user_a1());
select throws_ok($$select graphile_worker.add_job('investigation', '{}', priority => -100)$$, '42501', null,
  'llm_app cannot add a job of its own priority');
-- The operator tunes the share as data.
select tests.act_as_role('llm_operator');
select lives_ok($$select llm.set_setting('queue_share_jobs', '200')$$, 'the operator sets queue_share_jobs (llm.set_setting)');

select * from finish();
rollback;
