-- Limits are data: the defaults as rows, new kinds of limits added with SQL only, temporary increases,
-- soft limits, alerts once per threshold and period, escrow shards that stay strict, budget pressure.
begin;
select plan(50);
select tests.seed();

-- The 0.1 defaults are rows.
select results_eq($$select meter_name, cap, kind, action from llm.limits where tenant_id is null and in_effect order by limit_id$$,
  $$values ('request_cap_route', 20000::bigint, 'hard', 'fallback'), ('request_cap_explanation', 100000::bigint, 'hard', 'cap'),
           ('request_cap_investigation', 300000::bigint, 'hard', 'cap'), ('request_cap_budget_optimization', 300000::bigint, 'hard', 'cap'),
           ('user_monthly', 25000000::bigint, 'hard', 'block'), ('tenant_monthly', 500000000::bigint, 'hard', 'block'),
           ('investigation_budget', 300000::bigint, 'hard', 'cap'), ('investigation_calls', 10::bigint, 'hard', 'block'),
           ('investigation_deadline', 60000::bigint, 'hard', 'block')$$,
  'the defaults of 0.1 (per-request caps per endpoint, 25 USD per user month, tenant month, investigations) are limit rows');
select is((select count(*)::int from llm.limits where meter_name in ('user_hourly', 'tenant_hourly', 'global_hourly')), 0,
  'hourly meters exist without a default limit (off until an operator sets one)');

-- A per-model daily cap and a per-user token cap, with SQL only.
select tests.act_as_role('llm_operator');
select ok(llm.define_meter('large_daily', 'tenant', 'day', 'micros', null, 'mock', 'large') > 0, 'a per-model daily meter is one call');
select ok(llm.set_limit('large_daily', 50000, tests.tenant_a()) > 0, 'and tenant A''s cap on it another');
select ok(llm.define_meter('user_daily_tokens', 'user', 'day', 'tokens') > 0, 'a per-user token meter');
select ok(llm.set_limit('user_daily_tokens', 2500, tests.tenant_a(), tests.user_a1()) > 0, 'and user A1''s cap of 2 500 tokens');
select tests.as_admin();
select is((select decision from tests.call(tests.tenant_a(), tests.user_a2(), 'm-1')), 'allow', 'a first large call fits the daily cap of A');
select results_eq($$select decision, reason, limit_cap, limit_used from tests.call(tests.tenant_a(), tests.user_a2(), 'm-2')$$,
  $$values ('block', 'large_daily', 50000::bigint, 40000::bigint)$$, 'a second large call does not: block / large_daily');
select is((select decision from tests.call(tests.tenant_a(), tests.user_a2(), 'm-3', 'investigation', 'mock:small')), 'allow',
  'the small model is not counted on the large model''s meter');
select is((select decision from tests.call(tests.tenant_b(), tests.user_b1(), 'm-4')), 'allow', 'nor is tenant B (the limit is A''s)');
select is((select decision from tests.call(tests.tenant_a(), tests.user_a1(), 't-1', 'investigation', 'mock:small')), 'allow',
  'A1: 1 000 in + 1 000 out = 2 000 tokens held of 2 500');
select is((select state from tests.settle(tests.request_pk('t-1'), 1, 'ok', 1000, 0, 500)), 'settled', 'settled at 1 500 tokens');
select results_eq($$select decision, reason, limit_used from tests.call(tests.tenant_a(), tests.user_a1(), 't-2', 'investigation', 'mock:small')$$,
  $$values ('block', 'user_daily_tokens', 1500::bigint)$$, 'the next 2 000 do not fit: block / user_daily_tokens (used = tokens spent)');

-- A temporary increase that ends by itself.
select tests.act_as_role('llm_operator');
select ok(llm.set_limit('user_monthly', 50000, tests.tenant_b(), tests.user_b1()) > 0, 'B1 is capped at 0.05 USD a month');
select ok(llm.set_limit('user_monthly', 200000, tests.tenant_b(), tests.user_b1(), 'hard', 'block', null, '2026-03-15 11:00:00+00') > 0,
  'with an increase to 0.20 USD until 11:00');
select tests.as_admin();
select is((select decision from tests.call(tests.tenant_b(), tests.user_b1(), 'x-1')), 'allow', 'during the increase: 40 000 + 40 000 (m-4)');
select is((select decision from tests.call(tests.tenant_b(), tests.user_b1(), 'x-2')), 'allow', 'and another 40 000');
select tests.freeze_clock('2026-03-15 11:05:00+00');
select results_eq($$select decision, reason, limit_cap, limit_used from tests.call(tests.tenant_b(), tests.user_b1(), 'x-3', 'investigation', 'mock:tiny')$$,
  $$values ('block', 'user_monthly', 50000::bigint, 120000::bigint)$$, 'after 11:00 the permanent cap applies again, by itself');
select tests.freeze_clock('2026-03-15 10:30:00+00');

-- A permanent change scheduled for later: the current limit stays in force until it starts.
select tests.act_as_role('llm_operator');
select ok(llm.set_limit('user_monthly', 30000, tests.tenant_a(), 'a3000000-0000-0000-0000-000000000003'::uuid) > 0, 'A3 is capped at 0.03 USD a month');
select ok(llm.set_limit('user_monthly', 90000, tests.tenant_a(), 'a3000000-0000-0000-0000-000000000003'::uuid, 'hard', 'block', '2026-03-15 11:00:00+00') > 0,
  'and will be capped at 0.09 USD from 11:00');
select throws_ok($$select llm.set_limit('user_monthly', 1, tests.tenant_a(), 'a3000000-0000-0000-0000-000000000003'::uuid, 'hard', 'block', '2026-03-15 09:00:00+00')$$,
  '22023', 'a limit starts now or later', 'a limit cannot start in the past');
select tests.as_admin();
select results_eq($$select decision, reason, limit_cap from tests.call(tests.tenant_a(), 'a3000000-0000-0000-0000-000000000003'::uuid, 'sched-1', 'investigation', 'mock:small', 1000, '{}', 30000)$$,
  $$values ('block', 'user_monthly', 30000::bigint)$$, 'before 11:00 the 0.03 USD cap refuses a 32 000 worst case (not the 25 USD default)');
select tests.freeze_clock('2026-03-15 11:05:00+00');
select results_eq($$select decision, reason, limit_cap from tests.call(tests.tenant_a(), 'a3000000-0000-0000-0000-000000000003'::uuid, 'sched-2', 'investigation', 'mock:small', 1000, '{}', 30000)$$, $$values ('allow', 'ok', null::bigint)$$, 'from 11:00 the 0.09 USD cap applies');
select is((select released_micros from tests.release(tests.request_pk('sched-2'), 1)), 32000::bigint, '(its hold is given back: no call was made)');
select tests.freeze_clock('2026-03-15 10:30:00+00');

-- A soft limit never refuses; it alerts, once per threshold and period.
select tests.act_as_role('llm_operator');
select ok(llm.define_meter('tenant_daily_soft', 'tenant', 'day', 'micros') > 0, 'a tenant daily meter');
select ok(llm.set_limit('tenant_daily_soft', 50000, tests.tenant_b(), null, 'soft', 'block', null, null, '{50,100}') > 0,
  'a soft limit of 0.05 USD for tenant B, alerting at 50 and 100 %');
select tests.as_admin();
select is((select count(*)::int from (select tests.enqueue(tests.tenant_b(), tests.user_b1(), 's-' || n, 'investigation', 'mock:large', 1000, 'q' || n)
            from generate_series(1, 3) n) e), 3, 'B1 enqueues three requests');
update llm_private.limits set cap = 10000000 where meter_id = (select id from llm_private.meters where name = 'user_monthly')
   and user_id = tests.user_b1();
select is((select string_agg(decision, ',') from (select (tests.reserve(tests.request_pk('s-' || n))).decision from generate_series(1, 3) n) d),
  'allow,allow,allow', 'three calls of 40 000 against a soft 50 000: all allowed');
select is((select count(*)::int from llm.alerts where meter_name = 'tenant_daily_soft'), 0, 'holds alone fire no alert (alerts follow money spent)');
select is((select state from tests.settle(tests.request_pk('s-1'), 1, 'ok', 1000, 0, 1000)), 'settled', 'the first settles at 40 000');
select results_eq($$select threshold_pct, used, cap from llm.alerts where meter_name = 'tenant_daily_soft' order by id$$,
  $$values (50::smallint, 40000::bigint, 50000::bigint)$$, '50 % crossed: one alert');
select is((select state from tests.settle(tests.request_pk('s-2'), 1, 'ok', 1000, 0, 1000)), 'settled', 'the second at 80 000');
select is((select state from tests.settle(tests.request_pk('s-3'), 1, 'ok', 1000, 0, 1000)), 'settled', 'the third at 120 000');
select results_eq($$select threshold_pct from llm.alerts where meter_name = 'tenant_daily_soft' order by id$$,
  $$values (50::smallint), (100::smallint)$$, 'each threshold alerts once in the period');
select tests.freeze_clock('2026-03-16 09:00:00+00');
select ok(tests.enqueue(tests.tenant_b(), tests.user_b1(), 's-next', 'investigation', 'mock:large', 1000, 'next day') > 0, 'and one more');
select is((select decision from tests.reserve(tests.request_pk('s-next'))), 'allow', 'the next day');
select is((select state from tests.settle(tests.request_pk('s-next'), 1, 'ok', 1000, 0, 1000)), 'settled', 'settles 40 000');
select is((select count(*)::int from llm.alerts where meter_name = 'tenant_daily_soft' and period_start = '2026-03-16 00:00+00'), 1,
  'a new period alerts again');
select tests.freeze_clock('2026-03-15 10:30:00+00');

-- Escrow: tenant_monthly is split into 8 quotas; borrowing keeps the total strict.
select tests.act_as_role('llm_operator');
select ok(llm.end_limit((select limit_id from llm.limits where meter_name = 'large_daily')), 'the large model''s daily cap is ended');
select ok(llm.set_limit('tenant_monthly', 80000, tests.tenant_a()) > 0, 'tenant A is capped at 0.08 USD a month');
select tests.as_admin();
select is((select sum(held + spent)::bigint from llm_private.usage u join llm_private.meters m on m.id = u.meter_id
            where m.name = 'tenant_monthly' and u.tenant_id = tests.tenant_a()), 40000::bigint + 3000 + 2000,
  'A has used 45 000 of its month (m-1 and m-3 held, t-1 settled at 2 000)');
select results_eq($$select decision, reason, limit_cap, limit_used from tests.call(tests.tenant_a(), tests.user_a2(), 'e-1')$$,
  $$values ('block', 'tenant_monthly', 80000::bigint, 45000::bigint)$$, 'a worst case of 40 000 does not fit the 35 000 left: refused, strictly');
select is((select sum(quota)::bigint from llm_private.usage u join llm_private.meters m on m.id = u.meter_id
            where m.name = 'tenant_monthly' and u.tenant_id = tests.tenant_a()), 80000::bigint,
  'the 8 shards'' quotas followed the new cap (sum = 80 000)');
select is((select decision from tests.call(tests.tenant_a(), tests.user_a2(), 'e-2', 'investigation', 'mock:small')), 'allow',
  'a worst case of 3 000 fits: the user''s shard borrowed quota from the others');
select is((select sum(quota)::bigint from llm_private.usage u join llm_private.meters m on m.id = u.meter_id
            where m.name = 'tenant_monthly' and u.tenant_id = tests.tenant_a()), 80000::bigint, 'borrowing moved quota, never made any');
select is((select count(*)::int from llm_private.usage u join llm_private.meters m on m.id = u.meter_id
            where m.name = 'tenant_monthly' and u.tenant_id = tests.tenant_a() and u.held + u.spent > u.quota), 0, 'and no shard is over its quota');

-- Budget pressure: above 50 % of B2's month, the cheaper model first.
select tests.act_as_role('llm_operator');
select ok(llm.set_limit('user_monthly', 60000, tests.tenant_b(), 'b2000000-0000-0000-0000-000000000002', 'hard', 'block', null, null,
  '{80,95,100}', false, 50::smallint, 'mock:tiny') > 0, 'a limit can name a cheaper model above a share of its cap');
select tests.as_admin();
select is((select decision from tests.call(tests.tenant_b(), 'b2000000-0000-0000-0000-000000000002', 'p-1')), 'allow',
  'below 50 %: the requested model');
select results_eq($$select decision, reason, model, limit_used from tests.call(tests.tenant_b(), 'b2000000-0000-0000-0000-000000000002', 'p-2')$$,
  $$values ('fallback', 'budget_pressure', 'tiny', 40000::bigint)$$, 'above 50 %: fallback / budget_pressure to the named model');
select is(tests.drift_rows(), 0::bigint, 'and through all of it, usage equals the ledger');

select * from finish();
rollback;
