-- A cap of 0: a soft limit of 0 ("tell me as soon as this subject spends anything") alerts at every threshold on the first
-- charge, once per threshold and period; a trip at 0 ("stop at the first charge") opens its window on the first charge; a
-- hard cap of 0 refuses every call. What crosses a threshold is spend above 0: holds, releases and spend of 0 cross
-- nothing. (Review 91: at cap 0 nothing alerted and nothing tripped, whatever was spent.)
begin;
select plan(40);
select tests.seed();

select tests.act_as_role('llm_operator');
select ok(llm.define_meter('user_daily_zero', 'user', 'day', 'micros') > 0, 'a user daily meter');
select ok(llm.set_limit('user_daily_zero', 0, tests.tenant_a(), tests.user_a1(), 'soft', 'block', null, null, '{50,100}') > 0,
  'user A1: a soft cap of 0, alerting at 50 and 100 %');
select ok(llm.set_limit('user_hourly', 0, tests.tenant_a(), tests.user_a2(), 'soft', 'block', null, null, '{}', true) > 0,
  'user A2: a soft cap of 0 an hour that trips a shutoff');
select ok(llm.set_limit('tenant_hourly', 0, tests.tenant_b(), null, 'soft', 'block', null, null, '{100}') > 0,
  'tenant B: a soft cap of 0 an hour on a meter of 8 escrow shards, alerting at 100 %');
select tests.as_admin();

-- Soft cap 0: a hold is no spend, a call given back spends nothing, the first charge crosses every threshold.
select is((select decision from tests.call(tests.tenant_a(), tests.user_a1(), 'a1-1')), 'allow', 'a soft cap of 0 refuses nothing');
select is((select count(*)::int from llm.alerts where meter_name = 'user_daily_zero'), 0, 'a hold alone raises no alert');
select tests.act_as_role('llm_operator');
select ok(llm.evaluate_limits() >= 0, '(the minute''s evaluation runs)');
select tests.as_admin();
select is((select count(*)::int from llm.alerts where meter_name = 'user_daily_zero'), 0, 'nor does the minute''s evaluation of a hold');
select is((select state from tests.release(tests.request_pk('a1-1'), 1)), 'released', 'the call is given back: nothing sent, 0 spent');
select is((select count(*)::int from llm.alerts where meter_name = 'user_daily_zero'), 0, 'spend of 0 crosses nothing');
select is((select decision from tests.call(tests.tenant_a(), tests.user_a1(), 'a1-2')), 'allow', 'another call');
select is((select cost_micros from tests.settle(tests.request_pk('a1-2'), 1)), 25000::bigint, 'settles at 25 000');
select results_eq($$select threshold_pct, used, cap, user_id from llm.alerts where meter_name = 'user_daily_zero' order by threshold_pct$$,
  $$values (50::smallint, 25000::bigint, 0::bigint, tests.user_a1()), (100::smallint, 25000::bigint, 0::bigint, tests.user_a1())$$,
  'the first charge crosses every threshold of the cap of 0: one alert each, with the figures');
select is((select decision from tests.call(tests.tenant_a(), tests.user_a1(), 'a1-3')), 'allow', 'a second call in the same day');
select is((select cost_micros from tests.settle(tests.request_pk('a1-3'), 1)), 25000::bigint, 'settles at 25 000');
select tests.act_as_role('llm_operator');
select ok(llm.evaluate_limits() >= 0, '(the minute''s evaluation runs again)');
select tests.as_admin();
select is((select count(*)::int from llm.alerts where meter_name = 'user_daily_zero'), 2, 'no new alert: once per threshold and period');

-- Sharded: the first charge on any shard sums the subject's spend and alerts.
select is((select decision from tests.call(tests.tenant_b(), tests.user_b1(), 'b1-1')), 'allow', 'tenant B''s call under its cap of 0');
select is((select cost_micros from tests.settle(tests.request_pk('b1-1'), 1)), 25000::bigint, 'settles at 25 000');
select results_eq($$select threshold_pct, used, cap from llm.alerts where meter_name = 'tenant_hourly'$$,
  $$values (100::smallint, 25000::bigint, 0::bigint)$$, 'a sharded cap of 0 alerts at the first charge too');

-- A trip at cap 0: the first charge opens the window, a hold or a release does not.
select is((select decision from tests.call(tests.tenant_a(), tests.user_a2(), 'a2-1')), 'allow', 'user A2''s first call');
select is((select count(*)::int from llm.shutoff_windows where kind = 'tripped'), 0, 'a hold alone trips nothing');
select is((select state from tests.release(tests.request_pk('a2-1'), 1)), 'released', 'given back: 0 spent');
select is((select decision from tests.call(tests.tenant_a(), tests.user_a2(), 'a2-2')), 'allow', 'so the next call is not stopped');
select is((select cost_micros from tests.settle(tests.request_pk('a2-2'), 1)), 25000::bigint, 'settles at 25 000');
select results_eq($$select scope::text, user_id, ends_at from llm.shutoff_windows where kind = 'tripped'$$,
  $$values ('user', tests.user_a2(), '2026-03-15 11:00:00+00'::timestamptz)$$,
  'the first charge trips the cap of 0: A2 is stopped until the hour ends');
select is((select decision || '/' || reason from tests.call(tests.tenant_a(), tests.user_a2(), 'a2-3')), 'block/shutoff', 'A2''s next call is refused');

-- A hard cap of 0 refuses every call, as before.
select tests.act_as_role('llm_operator');
select ok(llm.set_limit('user_daily_zero', 0, tests.tenant_b(), tests.user_b1(), 'hard', 'block', null, null, '{50,100}', true) > 0,
  'user B1: a hard cap of 0 that would trip');
select tests.as_admin();
select results_eq($$select decision, reason, limit_cap, limit_used from tests.call(tests.tenant_b(), tests.user_b1(), 'b1-2')$$,
  $$values ('block', 'user_daily_zero', 0::bigint, 0::bigint)$$, 'a hard cap of 0 refuses the call');
select is((select count(*)::int from llm.alerts where meter_name = 'user_daily_zero' and user_id = tests.user_b1())
        + (select count(*)::int from llm.shutoff_windows where user_id = tests.user_b1()), 0, 'and, nothing spent, neither alerts nor trips');

-- A cap lowered to 0 after spend, like any cap lowered below the spend, is crossed at once (at the minute's re-cap).
select tests.act_as_role('llm_operator');
select ok(llm.set_limit('tenant_monthly', 0, tests.tenant_b(), null, 'soft', 'block', null, null, '{100}') > 0,
  'tenant B''s month, 25 000 spent, is lowered to a soft cap of 0');
select ok(llm.evaluate_limits() > 0, 'the minute''s evaluation re-caps it');
select tests.as_admin();
select results_eq($$select threshold_pct, used, cap from llm.alerts where meter_name = 'tenant_monthly'$$,
  $$values (100::smallint, 25000::bigint, 0::bigint)$$, 'what B had spent crosses the cap of 0: its alert fires');

-- What share of a cap of 0 is used: usage above 0 is over it (Infinity %, +Inf in the metrics); none is 0 %. (It was NULL at
-- a cap of 0, and llm_limit_used_ratio_max, hence LlmSpendAbove80PctOfCap, read nothing there.)
select results_eq($$select cap, held + spent, used_pct from llm.limit_usage where meter_name = 'user_daily_zero' and current order by user_id$$,
  $$values (0::bigint, 50000::bigint, 'Infinity'::numeric), (0::bigint, 0::bigint, 0::numeric)$$,
  'used_pct at a cap of 0: Infinity with 50 000 spent (A1), 0 with nothing used (B1, refused)');
select results_eq($$select used_pct from llm.limit_usage where meter_name = 'tenant_hourly' and tenant_id = tests.tenant_b() and current$$,
  $$values ('Infinity'::numeric)$$, 'the same summed over escrow shards (tenant B''s hour)');
select tests.act_as_role('llm_auditor');
select results_eq($$select scope, used_ratio_max from llm.limit_use_maxima(200) where scope in ('tenant', 'user') order by 1$$,
  $$values ('tenant'::text, 'Infinity'::numeric), ('user', 'Infinity'::numeric)$$,
  'the metrics'' highest used ratio per scope: Infinity, above any alert''s threshold');
select tests.as_admin();

-- Budget pressure at a cap of 0 follows the alerts' rule: reached by usage above 0, not by a cap of 0 alone.
insert into llm_private.users (tenant_id, id) values (tests.tenant_a(), 'a3000000-0000-0000-0000-000000000003');
select tests.act_as_role('llm_operator');
select ok(llm.define_meter('user_weekly_zero', 'user', 'week', 'micros') > 0
      and llm.set_limit('user_weekly_zero', 0, tests.tenant_a(), 'a3000000-0000-0000-0000-000000000003', 'soft', p_pressure_pct => 50::smallint) > 0,
  'user A3: a soft cap of 0 a week, with budget pressure at 50 %');
select tests.as_admin();
select results_eq($$select decision, reason, model from tests.call(tests.tenant_a(), 'a3000000-0000-0000-0000-000000000003', 'a3-1')$$,
  $$values ('allow', 'ok', 'large')$$, 'nothing used yet: no pressure, the requested model');
select is((select cost_micros from tests.settle(tests.request_pk('a3-1'), 1)), 25000::bigint, 'settles at 25 000');
select results_eq($$select decision, reason, model, limit_cap, limit_used from tests.call(tests.tenant_a(), 'a3000000-0000-0000-0000-000000000003', 'a3-2')$$,
  $$values ('fallback', 'budget_pressure', 'small', 0::bigint, 25000::bigint)$$, 'once spent, the cap of 0 is passed: fallback / budget_pressure');

select * from finish();
rollback;
