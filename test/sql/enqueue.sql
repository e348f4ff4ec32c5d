-- Requests are claimed at enqueue: one claim per (tenant, request_id, endpoint), a conflict refused now, one job built by
-- the database with only the request's identity, and a wrapper that can do nothing enqueue_call cannot.
begin;
select plan(64);
select tests.seed();
create function pg_temp.error_of(p_sql text) returns text language plpgsql as $$
declare
  d text; h text;
begin
  execute p_sql;
  return null;
exception when others then
  get stacked diagnostics d = pg_exception_detail, h = pg_exception_hint;
  return sqlstate || ' | ' || d || ' | ' || h;
end $$;

select tests.act_as_app(tests.tenant_a(), tests.user_a1());
select results_eq($$select state, created from llm.enqueue_call(tests.payload('e-1'))$$, $$values ('queued', true)$$, 'a new request is claimed, queued');
select results_eq($$select state, created from llm.enqueue_call(tests.payload('e-1'))$$, $$values ('queued', false)$$,
  'the same payload again returns the same request (created = false)');
select tests.as_admin();
select is((select count(*)::int from llm_private.requests where request_id = 'e-1'), 1, 'one claim');
select is((select count(*)::int from graphile_worker.jobs where task_identifier = 'investigation'), 1, 'one job');
select results_eq($$select payload::jsonb from graphile_worker._private_jobs$$,
  format($$values (jsonb_build_object('tenant_id', %L, 'user_id', %L, 'request_pk', %L))$$, tests.tenant_a(), tests.user_a1(),
    tests.request_pk('e-1')::text),
  'the job carries only the request''s identity, written by the database');
select is((select max_attempts from graphile_worker.jobs), 3::smallint, 'with our bounded attempts');
select is((select job_id from llm_private.requests where request_id = 'e-1'), (select id from graphile_worker.jobs), 'the request knows its job');
select results_eq($$select model_ref, max_output_tokens, messages->0->>'content' from llm_private.request_inputs$$,
  $$values ('mock:large', 1000, 'Why did spend rise in March?')$$, 'the inputs are stored with the claim');

-- Same key, other parameters: refused now, with the key in DETAIL.
select tests.act_as_app(tests.tenant_a(), tests.user_a1());
select throws_ok($$select * from llm.enqueue_call(tests.payload('e-1', 'investigation', 'mock:large', 999))$$, 'LG409', null,
  'same key with another max_output_tokens: LG409');
select throws_ok($$select * from llm.enqueue_call(tests.payload('e-1', 'investigation', 'mock:large', 1000, 'Why did spend rise in April?'))$$,
  'LG409', null, 'with other messages: LG409');
select is(pg_temp.error_of($$select * from llm.enqueue_call(tests.payload('e-1', 'investigation', 'mock:large', 999))$$),
  format('LG409 | tenant %s, endpoint investigation, request_id e-1 is request %s | Use a new request_id for a different request, or the same payload to get the existing one.',
    tests.tenant_a(), (select request_pk from llm.enqueue_call(tests.payload('e-1')))),
  'the conflict names the key and the request that holds it (DETAIL), and what to do (HINT)');
select throws_ok($$select * from llm.enqueue_call(tests.payload('e-1', 'investigation', 'mock:large', 1000, 'Why did spend rise in March?',
  '{"budget_scope": "x"}'))$$, 'LG409', null, 'with another budget scope: LG409');
select results_eq($$select created from llm.enqueue_call(tests.payload('e-1', 'explanation'))$$, $$values (true)$$,
  'the same request_id on another endpoint is another claim');
-- Another user of the tenant reusing the id: the key is the tenant's, and the fingerprint includes the user.
select tests.act_as_app(tests.tenant_a(), tests.user_a2());
select throws_ok($$select * from llm.enqueue_call(tests.payload('e-1'))$$, 'LG409', null, 'another user cannot take over A1''s claim');
-- Unambiguous boundaries: moving characters between fields is another fingerprint.
select tests.as_admin();
select isnt(llm_private.fingerprint(tests.user_a1(), jsonb_build_object('endpoint', 'route', 'model', 'a:bc', 'messages', '[]', 'max_output_tokens', 1)),
            llm_private.fingerprint(tests.user_a1(), jsonb_build_object('endpoint', 'route', 'model', 'a:b', 'messages', '["c"]', 'max_output_tokens', 1)),
  'fields have unambiguous boundaries in the fingerprint');

-- Bad input is refused at enqueue, clearly.
select tests.act_as_app(tests.tenant_a(), tests.user_a1());
select throws_ok($$select * from llm.enqueue_call('{"request_id": "", "endpoint": "nope"}')$$, '22023', null, 'an invalid payload: 22023');
select is(llm.validate_payload('{"request_id": 1}'), array['request_id: must be a string of 1 to 200 characters',
  'endpoint: must be one of route, explanation, investigation, budget_optimization', 'model: must be "provider:model"',
  'max_output_tokens: must be an integer from 1 to 100000', 'messages: must be an array of 1 to 50 messages'], 'every problem is listed');
select throws_ok($$select * from llm.enqueue_call(tests.payload('e-2') || jsonb_build_object('tenant_id', tests.tenant_b()))$$, '42501', null,
  'a payload naming another tenant than the context: 42501');
select tests.act_as_app('c0000000-0000-0000-0000-00000000000c', tests.user_a1());
select throws_ok($$select * from llm.enqueue_call(tests.payload('e-3'))$$, 'P0002', null,
  'an unknown tenant is refused at enqueue (not three failed jobs later)');

-- The wrapper: only a queued request of the caller's own context, once; it builds the job itself.
select tests.as_admin();
select count(*) from (select set_config('test.e1', tests.request_pk('e-1')::text, true)) s;
select tests.act_as_app(tests.tenant_a(), tests.user_a1());
select throws_ok(format('select llm_queue.add_request_job(%s)', current_setting('test.e1')), '55000', null,
  'a request that already has a job gets no second one');
select tests.act_as_app(tests.tenant_b(), tests.user_b1());
select throws_ok(format('select llm_queue.add_request_job(%s)', current_setting('test.e1')), 'P0002', null,
  'another tenant''s request is not found');
select tests.as_admin();
select count(*) from (select set_config('role', 'llm_app', true)) s;
select throws_ok(format('select llm_queue.add_request_job(%s)', current_setting('test.e1')), '42501', null, 'without a context: nothing');
select throws_ok($$select graphile_worker.add_job('investigation', '{}'::json)$$, '42501', null, 'graphile-worker''s add_job itself is closed');
select tests.act_as_app(tests.tenant_a(), tests.user_a1());
select lives_ok($$insert into llm_private.requests (tenant_id, user_id, request_id, endpoint, fingerprint, created_at)
                  values (tests.tenant_a(), tests.user_a1(), 'raw2', 'route', sha256('x'), now())$$,
  'the application may claim by hand (that is all the claim needs)');
select tests.as_admin();
select results_eq($$select state::text, reason::text, job_id from llm_private.requests where request_id = 'raw2'$$,
  $$values ('queued', null::text, null::bigint)$$, 'born queued, with nothing, whatever the insert said');

-- A claim by hand can do nothing llm.enqueue_call cannot: one claim per key, inputs valid and exactly the fingerprint's.
select tests.act_as_app(tests.tenant_a(), tests.user_a1());
select throws_ok($$insert into llm_private.requests (tenant_id, user_id, request_id, endpoint, fingerprint, created_at)
                   values (tests.tenant_a(), tests.user_a1(), 'raw2', 'route', sha256('y'), now())$$, 'LG409', null,
  'a second claim of the same key by hand: LG409');
select throws_ok(format($$insert into llm_private.requests (tenant_id, user_id, request_id, endpoint, fingerprint, created_at)
                   values (%L, %L, 'e-1', 'investigation', sha256('y'), now())$$, tests.tenant_a(), tests.user_a1()), 'LG409', null,
  'a claim by hand of a key enqueue_call already holds: LG409 (no second job for one key)');
select throws_ok(format($$insert into llm_private.request_inputs (tenant_id, request_pk, user_id, model_ref, messages, max_output_tokens, system_hash)
                   values (%L, %s, %L, 'mock:large', '[{"role": "tool", "content": {"x": 1}}]', 100, repeat('0', 64))$$,
                   tests.tenant_a(), tests.request_pk('raw2'), tests.user_a1()), '22023', null,
  'inputs by hand that enqueue_call would refuse (a tool role, an object as content): 22023');
select throws_ok(format($$insert into llm_private.request_inputs (tenant_id, request_pk, user_id, model_ref, messages, max_output_tokens, system_hash)
                   values (%L, %s, %L, 'mock:unknownmodel', '[{"role": "user", "content": "hi"}]', 100, repeat('0', 64))$$,
                   tests.tenant_a(), tests.request_pk('raw2'), tests.user_a1()), '22023', null,
  'inputs naming a model that is not in the catalog: 22023');
select throws_ok(format($$insert into llm_private.request_inputs (tenant_id, request_pk, user_id, model_ref, messages, max_output_tokens, system_hash)
                   values (%L, %s, %L, 'mock:large', '[{"role": "user", "content": "hi"}]', 100, repeat('0', 64))$$,
                   tests.tenant_a(), tests.request_pk('raw2'), tests.user_a1()), 'LG409', null,
  'valid inputs that are not the parameters the claim was fingerprinted with: LG409');
-- A claim by hand with the right fingerprint is completed by the same payload through enqueue_call: inputs, then one job.
select lives_ok(format($$insert into llm_private.requests (tenant_id, user_id, request_id, endpoint, fingerprint, created_at)
                  values (%L, %L, 'raw3', 'investigation', %L, now())$$, tests.tenant_a(), tests.user_a1(),
                  llm_private.fingerprint(tests.user_a1(), tests.payload('raw3'))), 'a claim by hand with the payload''s fingerprint');
select results_eq($$select state, created from llm.enqueue_call(tests.payload('raw3'))$$, $$values ('queued', false)$$,
  'enqueue_call returns that claim');
select tests.as_admin();
select results_eq($$select (select count(*) from llm_private.request_inputs i where i.request_pk = q.id)::int, q.job_id is not null,
                          (select count(*) from graphile_worker.jobs j where j.id = q.job_id)::int
                     from llm_private.requests q where q.request_id = 'raw3'$$, $$values (1, true, 1)$$,
  'and completes it: its inputs and one job');
-- Another user's claim of a taken key is invisible to the claim trigger; the wrapper, which sees every claim, refuses its job.
select tests.act_as_app(tests.tenant_a(), tests.user_a2());
select lives_ok($$insert into llm_private.requests (tenant_id, user_id, request_id, endpoint, fingerprint, created_at)
                  values (tests.tenant_a(), tests.user_a2(), 'raw3', 'investigation', sha256('z'), now())$$,
  'another user claims a taken key by hand (RLS hides the first claim from the trigger)');
select throws_ok($$select llm_queue.add_request_job(max(id)) from llm_private.requests where request_id = 'raw3'$$, 'LG409', null,
  'but gets no job for it: the key is the tenant''s');

-- Nothing stays open: the operator's sweep ends claims that never got a job, lost jobs and exhausted ones.
select tests.as_admin();
select tests.enqueue(tests.tenant_a(), tests.user_a1(), 'lost-job', 'route');
select tests.enqueue(tests.tenant_a(), tests.user_a1(), 'spent-job', 'route');
delete from graphile_worker._private_jobs j using llm_private.requests q where q.request_id = 'lost-job' and j.id = q.job_id;
update graphile_worker._private_jobs j set attempts = j.max_attempts from llm_private.requests q where q.request_id = 'spent-job' and j.id = q.job_id;
select tests.act_as_role('llm_operator');
select is(llm.fail_lost_requests(), 0, 'the sweep leaves claims younger than a minute alone');
select tests.as_admin();
select tests.freeze_clock(llm_private.now() + interval '2 minutes');
select tests.act_as_role('llm_operator');
select is(llm.fail_lost_requests(), 4, 'a minute later it ends four');
select tests.as_admin();
select results_eq($$select request_id, user_id = tests.user_a1(), state::text, reason::text from llm_private.requests
                     where request_id in ('raw2', 'raw3', 'lost-job', 'spent-job') and state <> 'queued' order by request_id$$,
  $$values ('lost-job', true, 'failed', 'job_lost'), ('raw2', true, 'failed', 'job_lost'), ('raw3', false, 'failed', 'job_lost'),
           ('spent-job', true, 'failed', 'attempts_exhausted')$$,
  'a claim by hand without a job and a deleted job: job_lost; a job past its last attempt: attempts_exhausted');
-- The minute's sweep reads the claims of the last two days (reading every partition took 0.5 s a minute at 2x10^6
-- requests); the daily one reads them all. A job lost three days after its claim (retried for days) ends the next day.
select tests.enqueue(tests.tenant_a(), tests.user_a1(), 'old-lost-job', 'route');
select tests.freeze_clock(llm_private.now() + interval '3 days');
delete from graphile_worker._private_jobs j using llm_private.requests q where q.request_id = 'old-lost-job' and j.id = q.job_id;
select tests.act_as_role('llm_operator');
select is(llm.fail_lost_requests(), 0, 'the minute''s sweep leaves a claim older than two days to the daily one');
select is(llm.fail_lost_requests(true), 1, 'which ends it');
select tests.as_admin();
select is((select state::text || '/' || reason::text from llm_private.requests where request_id = 'old-lost-job'), 'failed/job_lost',
  'failed, job_lost');
select is((select state::text from llm_private.requests where request_id = 'raw3' and user_id = tests.user_a1()), 'queued',
  'the completed claim with its live job is left alone');

-- Cancellation: only the application's own queued request.
select tests.act_as_app(tests.tenant_a(), tests.user_a1());
select ok(llm.cancel_request('e-1', 'explanation'), 'the application cancels its own queued request');
select tests.as_admin();
select results_eq($$select decision, reason, limit_name from tests.reserve(tests.request_pk('e-1') + 0 * 0, 1) where false
                    union all select decision, reason, limit_name from tests.reserve((select id from llm_private.requests where request_id = 'e-1'
                      and endpoint = 'explanation'), 1)$$,
  $$values ('replay', 'request_final', 'cancelled')$$, 'its job then ends without a call');
select tests.act_as_app(tests.tenant_a(), tests.user_a1());
select throws_ok($$update llm_private.requests set state = 'done' where request_id = 'e-1'$$, '42501', null,
  'the application cannot move a request anywhere but to cancelled');

-- The claim lock's seed reads the same for every role that may see the tenant, whatever role a transaction used first:
-- as a SQL function, its plan cached by a PL/pgSQL caller kept llm_money's policies, and read 0 for the administrator.
select tests.as_admin();
create function tests.salt_of(p uuid) returns bigint language plpgsql as $$ begin return llm_private.lock_salt(p); end $$;
grant usage on schema tests to llm_money;
grant execute on function tests.salt_of(uuid) to llm_money;
select tests.act_as_money(tests.tenant_a(), tests.user_a1());
select set_config('tests.salt_as_money', tests.salt_of(tests.tenant_a())::text, true);
select tests.as_admin();
select isnt(current_setting('tests.salt_as_money'), '0', 'lock_salt: llm_money reads its tenant''s salt');
select is(tests.salt_of(tests.tenant_a())::text, current_setting('tests.salt_as_money'),
  'lock_salt: the administrator reads the same in the same transaction, through the same caller');

-- (review of 2026-11-27) Claims are ordered by a row of llm_private.claim_mutexes, not by an advisory lock the application
-- had to be able to take with any key (one SQL injection filled the cluster's shared lock table with them).
select tests.act_as_app(tests.tenant_a(), tests.user_a1());
select throws_ok($$select pg_advisory_xact_lock(1)$$, '42501', null,
  'the application cannot take a transaction-level advisory lock (it could hold thousands, refusing every new connection)');
select throws_ok($$select pg_try_advisory_xact_lock_shared(1, 2)$$, '42501', null, 'nor any variant of it');
select results_eq($$select state, created from llm.enqueue_call(tests.payload('mutex-1'))$$, $$values ('queued', true)$$,
  'a claim without any advisory lock');
select tests.as_admin();
select is((select count(*)::int from llm_private.claim_mutexes where key_hash = hashtextextended('investigation/mutex-1', 0)), 0,
  'the claim''s key row is deleted in its own transaction (by the enqueue wrapper): nothing of it is left to commit');
select tests.act_as_app(tests.tenant_a(), tests.user_a1());
select throws_ok($$lock table llm_private.claim_mutexes in access exclusive mode$$, '42501', null,
  'the application cannot lock the key rows'' table (column privileges only): it would stop every tenant''s claims');
select throws_ok($$lock table llm_private.claim_mutexes in row exclusive mode$$, '42501', null, '... in any mode but ACCESS SHARE');
select throws_ok($$delete from llm_private.claim_mutexes$$, '42501', null, '... and cannot delete a key row');
select throws_ok(format($$insert into llm_private.claim_mutexes values (%L, 1)$$, tests.tenant_b()), '42501', null,
  'the application cannot write a key row of another tenant (it could stall that tenant''s claims)');
select throws_ok(format($$select llm_private.lock_claim(%L, 'route', 'victim-1')$$, tests.tenant_b()), '42501', null,
  'nor through lock_claim');
-- A duplicate enqueue, the usual retry, finds the committed claim first and writes no key row (review of 2026-11-27: it
-- left one committed each time, and only the hourly purge removed them).
select results_eq($$select created from llm.enqueue_call(tests.payload('mutex-1'))$$, $$values (false)$$, 'a duplicate enqueue');
-- A key row the application inserted by hand (its own tenant: RLS) is taken over by the next claim of its key, not a
-- 23505 for ever, and removed with the claim; one of a key nobody claims stays until the purge.
insert into llm_private.claim_mutexes values (tests.tenant_a(), hashtextextended('investigation/mutex-2', 0));
insert into llm_private.claim_mutexes values (tests.tenant_a(), hashtextextended('investigation/mutex-3', 0));
select results_eq($$select state, created from llm.enqueue_call(tests.payload('mutex-2'))$$, $$values ('queued', true)$$,
  'a key row left by hand does not stop the claim of its key');
select tests.as_admin();
select results_eq($$select key_hash from llm_private.claim_mutexes where key_hash in (hashtextextended('investigation/mutex-1', 0),
  hashtextextended('investigation/mutex-2', 0), hashtextextended('investigation/mutex-3', 0))$$,
  $$values (hashtextextended('investigation/mutex-3', 0))$$,
  'the duplicate wrote no key row, the claim removed the row left by hand of its key; the other hand-made row stays');
select tests.act_as_role('llm_operator');
select ok((select claim_keys >= 1 from llm.purge_expired(1000)), 'the hourly purge sweeps key rows left committed');
select tests.as_admin();
select is((select count(*)::int from llm_private.claim_mutexes), 0, 'none is left');
select ok((select 'vacuum_truncate=off' = any (c.reloptions) from pg_class c where c.oid = 'llm_private.claim_mutexes'::regclass),
  'vacuum never truncates the key rows'' table (always nearly empty): truncation takes ACCESS EXCLUSIVE, and every claim would wait');

-- (review of the fixes) With idempotency_months raised, the claim window holds an older claim of the same key too: the
-- lookup without ORDER BY returned the January claim (LG409 naming it, or the old request as if it were the new one).
select tests.as_admin();
select tests.act_as_role('llm_operator');
select llm.set_setting('idempotency_months', '1');
select tests.as_admin();
select tests.freeze_clock('2026-01-15 10:00:00+00');
select tests.enqueue(tests.tenant_b(), tests.user_b1(), 'window-k', 'explanation', 'mock:small', 100, 'payload A');
select tests.freeze_clock('2026-02-15 10:00:00+00');
select tests.enqueue(tests.tenant_b(), tests.user_b1(), 'window-k', 'explanation', 'mock:small', 100, 'payload B');
select tests.act_as_role('llm_operator');
select llm.set_setting('ledger_retention_months', '12');
select llm.set_setting('idempotency_months', '2');
select tests.as_admin();
select is((select count(*)::int from llm_private.requests where request_id = 'window-k'), 2, 'two claims of one key, a month apart');
select is(tests.enqueue(tests.tenant_b(), tests.user_b1(), 'window-k', 'explanation', 'mock:small', 100, 'payload B'),
  (select max(id) from llm_private.requests where request_id = 'window-k'),
  'the window grew over both: the same payload is the newest claim, not the older one');

select * from finish();
rollback;
