-- A chat call that settles ok makes its request done in the statement that settles it: the BEFORE UPDATE trigger of
-- attempts (llm_private.tg_attempts__transition) updates the request row it locks anyway, where an AFTER trigger used to
-- run a second statement on the request for it (bench/PROFILE.md §21: -2.2 % instructions per pair). What it must keep:
-- the request changes with the attempt or not at all, whoever writes the attempt, and only for an ok chat settle.
begin;
select plan(11);
select tests.seed();
-- Counts the PL/pgSQL functions this transaction runs (pg_stat_xact_user_functions), to see which triggers a settle fires.
set local track_functions = 'pl';

select tests.enqueue(tests.tenant_a(), tests.user_a1(), 'srd-ok');
select tests.enqueue(tests.tenant_a(), tests.user_a1(), 'srd-bad');
select tests.enqueue(tests.tenant_a(), tests.user_a1(), 'srd-err');
select tests.enqueue(tests.tenant_a(), tests.user_a1(), 'srd-dml');
select tests.reserve(tests.request_pk('srd-ok'));
select tests.reserve(tests.request_pk('srd-bad'));
select tests.reserve(tests.request_pk('srd-err'));
select tests.reserve(tests.request_pk('srd-dml'));

select tests.act_as_money(tests.tenant_a(), tests.user_a1());
select results_eq($$select state, request_state from llm.settle_call(tests.request_pk('srd-ok'), 1, 'ok', 1000, 0, 500, 100)$$,
  $$values ('settled', 'done')$$, 'a chat call settled ok: settle_call answers the request done');
-- A settle the range rules refuse (the last BEFORE trigger, _900_ranges, after the one that changed the request): the
-- money role's plain UPDATE with a negative latency, which llm.settle_call would refuse before writing.
select throws_ok($$update llm_private.attempts set state = 'settled', provider_status = 'ok', input_tokens = 10, cached_input_tokens = 0,
                     output_tokens = 10, latency_ms = -5
                    where tenant_id = tests.tenant_a() and request_pk = tests.request_pk('srd-bad') and attempt_no = 1$$,
  '23514', null, 'a settle that breaks a range rule is refused');
select results_eq($$select state, request_state from llm.settle_call(tests.request_pk('srd-err'), 1, 'error', 0, 0, 0, 100)$$,
  $$values ('settled', 'running')$$, 'a provider error is settled; the request stays open for a retry');
select lives_ok($$update llm_private.attempts set state = 'settled', provider_status = 'ok', input_tokens = 10, cached_input_tokens = 0,
                    output_tokens = 10, latency_ms = 50
                   where tenant_id = tests.tenant_a() and request_pk = tests.request_pk('srd-dml') and attempt_no = 1$$,
  'the money role settles with a plain UPDATE (no llm.settle_call)');
select tests.as_admin();

select results_eq($$select state::text, reason::text, finished_at is not null from llm_private.requests where id = tests.request_pk('srd-ok')$$,
  $$values ('done', 'ok', true)$$, 'the request is done, ok, finished');
select is((select finished_at from llm_private.requests where id = tests.request_pk('srd-ok')),
          (select ended_at from llm_private.attempts where request_pk = tests.request_pk('srd-ok') and attempt_no = 1),
  'it finished when its attempt ended');
select results_eq($$select r.state::text, a.state::text from llm_private.requests r
                     join llm_private.attempts a on a.tenant_id = r.tenant_id and a.request_pk = r.id
                    where r.id = tests.request_pk('srd-bad')$$,
  $$values ('queued', 'held')$$, 'the refused settle changed neither the attempt nor its request (still queued and held)');
select isnt((select state::text from llm_private.requests where id = tests.request_pk('srd-err')), 'done',
  'a provider error does not make the request done');
select is((select state::text from llm_private.requests where id = tests.request_pk('srd-dml')), 'done',
  'a plain UPDATE that settles a chat call ok makes its request done, as settle_call does');
select is((select coalesce(sum(f.calls), 0)::int from pg_stat_xact_user_functions f
            where f.schemaname = 'llm_private' and f.funcname = 'tg_attempts__after_transition'), 0,
  'no settle here fired the AFTER UPDATE trigger (none filled the cache): the request changed in the settling statement');
select is(tests.drift_rows(), 0::bigint, 'the ledger and usage agree');
select * from finish();
rollback;
