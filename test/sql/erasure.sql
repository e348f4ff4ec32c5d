-- Erasure of stored content for a data subject's request (llm.erase_content): a user's prompts, outputs, reasoning
-- traces and cache entries (their own, and the tenant's shared ones their calls filled) are deleted and the erasure is
-- recorded; nobody else's content is touched; the ledger (requests, attempts, usage, spend) stays; only when every
-- request of the subject is final; the record cannot be forged, changed or deleted; only the operator erases, and still
-- never reads a prompt.
begin;
select plan(33);
select tests.seed();

-- A1: two answered calls (one with a reasoning trace, one cached), a call refused; A2 and B1 one call each.
select tests.act_as_role('llm_operator');
select lives_ok($$select llm.set_endpoint_cache(tests.tenant_a(), 'explanation', true)$$, 'tenant A shares explanation answers');
select tests.as_admin();
select is((select decision from tests.call(tests.tenant_a(), tests.user_a1(), 'er-1')), 'allow', 'A1 calls');
select is((select state from tests.settle(tests.request_pk('er-1'), 1, 'ok', 1000, 0, 500, 'first answer', true, false, null, 'a trace')),
  'settled', 'and is answered, with a reasoning trace');
select ok(tests.enqueue(tests.tenant_a(), tests.user_a1(), 'er-2', 'explanation', 'mock:small', 100, 'Why?', '{"source_watermark": "w1"}') > 0,
  'A1 asks an explanation with a watermark');
select is((select decision from tests.reserve(tests.request_pk('er-2'))), 'allow', 'allowed');
select is((select state from tests.settle(tests.request_pk('er-2'), 1, 'ok', 10, 0, 20, 'A shared answer.')), 'settled',
  'answered: the tenant''s shared cache gets the answer');
select is((select decision from tests.call(tests.tenant_a(), tests.user_a2(), 'er-3')), 'allow', 'A2 calls');
select is((select state from tests.settle(tests.request_pk('er-3'), 1, 'ok', 1000, 0, 500, 'A2''s answer', true, false, null, 'A2''s trace')),
  'settled', 'and is answered');
select is((select decision from tests.call(tests.tenant_b(), tests.user_b1(), 'er-4')), 'allow', 'B1 calls');
select is((select state from tests.settle(tests.request_pk('er-4'), 1, 'ok', 1000, 0, 500, 'B1''s answer')), 'settled', 'and is answered');
select ok(tests.enqueue(tests.tenant_a(), tests.user_a1(), 'er-5') > 0, 'A1 has a request still queued');

create temp table ledger_before on commit drop as
  select (select count(*) from llm_private.requests) as requests, (select count(*) from llm_private.attempts) as attempts,
         (select sum(spent_micros) from llm.monthly_spend where user_id is not null) as spent;
grant select on ledger_before to public;

-- Refused while a request of the subject is in flight; and for what is not a subject.
select tests.act_as_role('llm_operator');
select is(tests.err_of($$select llm.erase_content(tests.tenant_a(), tests.user_a1(), 'DSR-1')$$), '55000 +hint',
  'not while A1 has a queued or running request (55000, with what to do)');
select is((select count(*)::int from llm_private.call_outputs where user_id = tests.user_a1()), 2, '(nothing was erased)');
select is(tests.err_of($$select llm.erase_content(tests.tenant_b(), tests.user_a1(), 'DSR-1')$$), '23503 +hint',
  'a user of another tenant: 23503');
select is(tests.err_of($$select llm.erase_content('c0000000-0000-0000-0000-00000000000c', null, 'DSR-1')$$), '23503 +hint',
  'an unknown tenant: 23503');
select is(tests.err_of($$select llm.erase_content(tests.tenant_a(), tests.user_a1(), '  ')$$), '22023 +hint', 'no reason: 22023');
select tests.act_as_app(tests.tenant_a(), tests.user_a1());
select ok(llm.cancel_request('er-5', 'investigation'), 'the application cancels its queued request');

-- The erasure.
select tests.act_as_role('llm_operator');
select results_eq($$select inputs, outputs, traces, cache_entries from llm.erase_content(tests.tenant_a(), tests.user_a1(), 'DSR-1')$$,
  $$values (3::bigint, 2::bigint, 1::bigint, 1::bigint)$$,
  'A1''s 3 prompts, 2 outputs, 1 trace and the shared cache entry A1''s call filled are erased');
select results_eq($$select user_id, reason, inputs, erased_by from llm.erasures$$,
  $$values (tests.user_a1(), 'DSR-1'::text, 3::bigint, format('llm_operator (login %s)', session_user::text) collate "default")$$,
  'and recorded: who (the role and the login that acted as it), why, how much');
select tests.as_admin();
select is((select count(*)::int from llm_private.request_inputs where user_id = tests.user_a1())
        + (select count(*)::int from llm_private.call_outputs where user_id = tests.user_a1())
        + (select count(*)::int from llm_private.reasoning_traces where user_id = tests.user_a1())
        + (select count(*)::int from llm_private.cache_entries where output = 'A shared answer.'), 0, 'nothing of A1''s content is left');
select results_eq($$select (select count(*) from llm_private.request_inputs), (select count(*) from llm_private.call_outputs),
                           (select count(*) from llm_private.reasoning_traces)$$,
  $$values (2::bigint, 2::bigint, 1::bigint)$$, 'A2''s and B1''s prompts, outputs and trace are untouched');
select results_eq($$select (select count(*) from llm_private.requests), (select count(*) from llm_private.attempts),
                           (select sum(spent_micros) from llm.monthly_spend where user_id is not null)$$,
  $$select requests, attempts, spent from ledger_before$$, 'the ledger stays: requests, attempts and spend are as before');
select is(tests.drift_rows(), 0::bigint, 'and usage agrees with it');
select tests.act_as_app(tests.tenant_a(), tests.user_a1());
select results_eq($$select state, output from llm.request_results where request_id = 'er-1'$$, $$values ('done'::text, null::text)$$,
  'A1''s request still reads done, without its answer');

-- The record is the erasure: it cannot be forged, changed or deleted.
select tests.act_as_role('llm_operator');
select is(tests.err_of($$insert into llm_private.erasures (tenant_id, user_id, reason, inputs) values (tests.tenant_b(), null, 'forged', 99)$$),
  '42501 (no hint)', 'a row claiming what it erased is refused (only tenant, user and reason are the writer''s)');
select is(tests.err_of($$update llm_private.erasures set inputs = 0$$), '42501 (no hint)', 'nor changed');
select is(tests.err_of($$delete from llm_private.erasures$$), '42501 (no hint)', 'nor deleted');
select is(tests.err_of($$select messages from llm_private.request_inputs$$), '42501 (no hint)', 'the operator still reads no prompt');
select tests.act_as_app(tests.tenant_b(), tests.user_b1());
select is(tests.err_of($$select llm.erase_content(tests.tenant_a(), null, 'x')$$), '42501 (no hint)', 'the application erases nothing');

-- A request of the subject's in flight keeps its prompt: a plain DELETE as the operator, or an erasure whose DELETE sees a
-- request enqueued after its in-flight check (two sessions: the prompt of a queued request was gone), takes final ones only.
select ok(tests.enqueue(tests.tenant_a(), tests.user_a1(), 'er-6') > 0, 'A1 asks again after the erasure');
select tests.act_as_role('llm_operator');
select lives_ok($$delete from llm_private.request_inputs where tenant_id = tests.tenant_a() and user_id = tests.user_a1()$$,
  'the operator deletes A1''s prompts by hand');
select tests.as_admin();
select is((select count(*)::int from llm_private.request_inputs where request_pk = tests.request_pk('er-6')), 1,
  'the queued request keeps its prompt: the worker still has what to send');

-- A whole tenant.
select tests.act_as_role('llm_operator');
select results_eq($$select inputs, outputs from llm.erase_content(tests.tenant_b(), null, 'tenant B left')$$,
  $$values (1::bigint, 1::bigint)$$, 'a tenant''s content, every user''s');

select * from finish();
rollback;
