-- Requests are claimed at enqueue: one claim per (tenant, request_id, endpoint), a conflict refused now, one job built by
-- the database with only the request's identity, and a wrapper that can do nothing enqueue_call cannot.
begin;
select plan(27);
select tests.seed();

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

select * from finish();
rollback;
