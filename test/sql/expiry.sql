-- Abandoned holds expire on their own clock; nothing is released twice; a late settle still records the cost.
begin;
select plan(12);
select tests.seed();
select tests.act_as(tests.tenant_a(), tests.user_a1());
create temp table r1 as select * from tests.reserve('e-1');   -- 60 s timeout + 30 s margin: expires 10:31:30
select is((select expires_at from r1), '2026-03-15 10:31:30+00'::timestamptz, 'a hold expires after the call timeout plus the margin');
select tests.act_as(tests.tenant_b(), tests.user_b1());
create temp table r2 as select * from tests.reserve('e-2');

reset role;
select tests.freeze_clock('2026-03-15 10:31:00+00');
select tests.act_as_role('llm_operator');
select is(llm.expire_holds(), 0, 'before expires_at the sweep releases nothing');
select tests.act_as(tests.tenant_a(), tests.user_a1());
select throws_ok('select llm.expire_holds()', '42501', null, 'the runtime role cannot run the cross-tenant sweep');

reset role;
select tests.freeze_clock('2026-03-15 10:32:00+00');
select tests.act_as_role('llm_operator');
select is(llm.expire_holds(), 2, 'after expires_at the sweep (operator) expires holds across tenants');
select is(llm.expire_holds(), 0, 'a second sweep expires nothing: no double release');
select tests.act_as_role('llm_auditor');
select is((select count(*)::int from llm.open_holds), 0, 'no open holds remain');
select is((select sum(held_micros)::bigint from llm_private.spend_rollups), 0::bigint, 'every rollup hold was given back once');

-- A settle that arrives after expiry records the real cost and is flagged late.
select tests.act_as(tests.tenant_a(), tests.user_a1());
create temp table s1 as select * from llm.settle_call((select reservation_id from r1), 1000, 0, 500, 70000, 'ok');
select is((select (state, cost_micros, late) from s1), ('settled'::text, 25000::bigint, true), 'a late settle records the real cost, flagged late');
select is((select spent_micros from llm_private.spend_rollups where scope = 'user' and period = 'month'), 25000::bigint,
  'the late cost lands in the month');

-- Lazy expiry inside reserve, for the same user.
create temp table r3 as select * from tests.reserve('e-3');
reset role;
select tests.freeze_clock('2026-03-15 10:40:00+00');
select tests.act_as(tests.tenant_a(), tests.user_a1());
select is((select decision from tests.reserve('e-4')), 'allow', 'a later reserve of the same user');
select is((select state from llm_private.reservations where id = (select reservation_id from r3)), 'expired',
  'expired the user''s abandoned hold lazily, without waiting for the sweep');

reset role;
select is_empty('select * from llm.reconciliation_drift', 'reconciliation: ledger and rollups agree');
select * from finish();
rollback;
