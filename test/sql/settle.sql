-- Settle: real cost replaces the hold; failures settle with what the provider reports; overruns are kept in full.
begin;
select plan(13);
select tests.seed();
select tests.act_as(tests.tenant_a(), tests.user_a1());

-- A failed call with no reported usage costs nothing and releases everything; the request stays open for a retry.
create temp table r1 as select * from tests.reserve('s-1');
create temp table s1 as select * from llm.settle_call((select reservation_id from r1), 0, 0, 0, 30000, 'timeout');
select is((select (cost_micros, released_micros) from s1), (0::bigint, 40000::bigint), 'a timed-out call with no usage costs 0 and releases the hold');
select is((select state from llm_private.requests where request_id = 's-1'), 'open', 'the request stays open: a retry may reserve again');
select is((select decision from tests.reserve('s-1', p_attempt => 2)), 'allow', 'the retry reserves again');

-- A failed call that the provider billed (input tokens) is charged.
create temp table r2 as select * from tests.reserve('s-2');
select is((select cost_micros from llm.settle_call((select reservation_id from r2), 1000, 0, 0, 50, 'error')), 10000::bigint,
  'a failed call settles with the cost the provider reported');

-- Per-request cap spans attempts: s-2 already cost 10 000 of its 300 000.
select is((select used_micros from tests.reserve('s-2', p_attempt => 2)), 10000::bigint,
  'the next attempt is checked against the request''s cap minus what earlier attempts cost');

-- Overrun: the estimate was low (1 000 input estimated, 5 000 billed).
create temp table r3 as select * from tests.reserve('s-3');
create temp table s3 as select * from llm.settle_call((select reservation_id from r3), 5000, 0, 1000, 10, 'ok');
select is((select cost_micros from s3), 80000::bigint, 'settle records the full real cost, 80 000, never truncated to the hold');
select is((select overrun_micros from s3), 40000::bigint, 'and the overrun above the 40 000 hold');
select is((select released_micros from s3), 0::bigint, 'nothing is released when the cost passes the hold');

-- An overrun may pass the monthly cap by at most the overrun; the view shows it.
reset role;
select llm.set_user_caps(tests.tenant_a(), tests.user_a2(), 50000);
select tests.act_as(tests.tenant_a(), tests.user_a2());
create temp table r4 as select * from tests.reserve('s-4');
select lives_ok($$select * from llm.settle_call((select reservation_id from r4), 9000, 0, 1000, 10, 'ok')$$,
  'a settle that passes the cap never fails: the provider has already billed');
select tests.act_as_role('llm_auditor');
select is((select (spent_micros, remaining_micros, overrun_micros) from llm.monthly_spend where scope = 'user' and user_id = tests.user_a2()),
  (120000::bigint, -70000::bigint, 80000::bigint), 'the monthly view shows spend past the cap and the overrun that caused it');
select tests.act_as(tests.tenant_a(), tests.user_a2());
select is((select decision || '/' || reason from tests.reserve('s-5', p_model => 'tiny', p_input => 1, p_max_output => 1)),
  'block/user_monthly_cap', 'after an overrun past the cap, nothing more is allowed this month');

select throws_ok($$select * from llm.settle_call(999999, 1, 1, 1, 1, 'ok')$$, 'P0002', null, 'settling an unknown reservation raises P0002');

reset role;
select is_empty('select * from llm.reconciliation_drift', 'reconciliation: ledger and rollups agree');
select * from finish();
rollback;
