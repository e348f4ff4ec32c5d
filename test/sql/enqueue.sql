-- Enqueue from SQL: validated payloads become one graphile-worker job per (tenant, request_id, endpoint).
begin;
select plan(12);
select tests.seed();

create temp table p as select jsonb_build_object(
  'tenant_id', tests.tenant_a(), 'user_id', tests.user_a1(), 'request_id', 'enq-1', 'endpoint', 'explanation',
  'model', 'mock:small', 'messages', jsonb_build_array(jsonb_build_object('role', 'user', 'content', 'Explain the spike.')),
  'max_output_tokens', 200) as payload;
grant select on p to public;

select tests.act_as(tests.tenant_a(), tests.user_a1());
select is(llm.validate_payload((select payload from p)), '{}'::text[], 'a valid payload has no problems');
create temp table j1 as select llm.enqueue_call((select payload from p)) as id;
select ok((select id from j1) is not null, 'the runtime role enqueues with plain SQL');
create temp table j2 as select llm.enqueue_call((select payload from p)) as id;
select is((select id from j2), (select id from j1), 'a duplicate enqueue is the same job');
select throws_ok($$select graphile_worker.add_job('explanation', '{}')$$, '42501', null,
  'the runtime role cannot add arbitrary jobs to graphile-worker directly');
select throws_ok($$select llm_queue.add_llm_job('drop_everything', '{}', 'k', 3)$$, '22023', null,
  'the definer wrapper refuses task names other than our endpoints');
select throws_ok($$select llm.enqueue_call((select payload || '{"max_output_tokens": 0, "surprise": 1}' from p))$$, '22023', null,
  'a malformed payload is refused with 22023');
select is(llm.validate_payload((select payload || '{"max_output_tokens": 0, "surprise": 1}' from p)),
  array['surprise: unknown key', 'max_output_tokens: must be an integer from 1 to 100000'],
  'and every problem is named');
select throws_ok($$select llm.enqueue_call((select payload || jsonb_build_object('user_id', tests.user_a2()) from p))$$, '42501', null,
  'a payload for another user than the context is refused');
select throws_ok($$select llm.enqueue_call((select payload || jsonb_build_object('messages',
  jsonb_build_array(jsonb_build_object('role', 'user', 'content', repeat('x', 300000)))) from p))$$, '22023', null,
  'an oversized payload is refused');

reset role;
select is((select (task_identifier, max_attempts, key) from graphile_worker.jobs where id = (select id from j1)),
  ('explanation'::text, 3::smallint, 'llm:' || tests.tenant_a() || ':explanation:' || md5('enq-1')),
  'the job runs the endpoint''s task, 3 attempts, keyed on tenant, endpoint and request');
select is((select count(*)::int from graphile_worker.jobs), 1, 'exactly one job');
select is_empty($$select p.oid::regprocedure from pg_proc p join pg_namespace n on n.oid = p.pronamespace
  where p.prosecdef and n.nspname not in ('pg_catalog', 'information_schema', 'graphile_worker')
    and p.oid <> 'llm_queue.add_llm_job(text, jsonb, text, integer)'::regprocedure$$,
  'llm_queue.add_llm_job is the only SECURITY DEFINER function of ours');
select * from finish();
rollback;
