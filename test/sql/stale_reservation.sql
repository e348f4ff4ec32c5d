-- A settle or release ends the reservation it names (p_reserved_expiry: the expires_at reserve returned), and no other
-- (backup drill 89). A database brought back to an earlier state (a restore, a point-in-time recovery, a failover that lost
-- commits) issues a lost request's ids again: a worker that kept running settled its lost call onto the new request, which
-- then showed the lost call's tokens, cost and answer, and its own call was never counted. Refused now (LG008), nothing
-- recorded; callers that name no reservation (NULL) are not checked.
begin;
select plan(9);
select tests.seed();

-- The request the database has now, and the expiry its reserve returned.
select tests.enqueue(tests.tenant_a(), tests.user_a1(), 'sr-1');
select set_config('tests.expiry', (select expires_at::text from tests.reserve(tests.request_pk('sr-1'))), true);
select tests.act_as_money(tests.tenant_a(), tests.user_a1());

select throws_ok($$select * from llm.settle_call(tests.request_pk('sr-1'), 1, 'ok', 328, 0, 200, 100, 'the answer to a lost question',
                     p_reserved_expiry => current_setting('tests.expiry')::timestamptz - interval '7 seconds')$$,
  'LG008', 'not the reservation this attempt is', 'a settle of another reservation of attempt 1 is refused');
select throws_ok($$select * from llm.release_call(tests.request_pk('sr-1'), 1, 'not sent', null,
                     p_reserved_expiry => current_setting('tests.expiry')::timestamptz + interval '2 seconds')$$,
  'LG008', 'not the reservation this attempt is', 'and a release');
select tests.as_admin();
select results_eq($$select state::text, input_tokens, cost_micros from llm_private.attempts where request_pk = tests.request_pk('sr-1')$$,
  $$values ('held', null::int, null::bigint)$$, 'the attempt is as it was: held, nothing recorded');
select is((select count(*)::int from llm_private.call_outputs where request_pk = tests.request_pk('sr-1')), 0, 'no answer stored for it');

select tests.act_as_money(tests.tenant_a(), tests.user_a1());
select results_eq($$select state, cost_micros from llm.settle_call(tests.request_pk('sr-1'), 1, 'ok', 1000, 0, 500, 100, 'its own answer',
                     p_reserved_expiry => current_setting('tests.expiry')::timestamptz)$$,
  $$values ('settled', 25000::bigint)$$, 'its own reservation settles it (to the millisecond a worker''s clock keeps)');
select throws_ok($$select * from llm.settle_call(tests.request_pk('sr-1'), 1, 'ok', 328, 0, 200, 100, 'x',
                     p_reserved_expiry => current_setting('tests.expiry')::timestamptz - interval '7 seconds')$$,
  'LG008', null, 'once settled, another reservation''s settle is still refused (not answered as a replay of this one)');
select results_eq($$select state, replayed from llm.settle_call(tests.request_pk('sr-1'), 1, 'ok', 1000, 0, 500, 100, 'its own answer',
                     p_reserved_expiry => date_trunc('milliseconds', current_setting('tests.expiry')::timestamptz))$$,
  $$values ('settled', true)$$, 'its own settle again is a replay');
select results_eq($$select state, replayed from llm.settle_call(tests.request_pk('sr-1'), 1, 'ok', 1000, 0, 500, 100, 'its own answer')$$,
  $$values ('settled', true)$$, 'a caller that names no reservation is not checked');
select tests.as_admin();
select is(tests.drift_rows(), 0::bigint, 'the ledger and usage agree');
select * from finish();
rollback;
