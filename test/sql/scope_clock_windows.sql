-- A budget scope's meter per clock window: "an investigation may spend at most $0.10 per UTC day, make at most 3 calls per
-- hour" is two meters and two limits (rows). Each scope counts on its own row per period (two scopes of a tenant share
-- nothing), a call is refused at its scope's cap for the period, the next period starts from zero, an attempt counts in the
-- period of its reserve whenever it is settled or expired, and the reconciliation agrees. llm.limit_usage ends such a
-- period at its clock end or the scope's deadline, whichever comes first; llm.budget_scopes shows the period of now.
-- Before, meters_check1 and llm.define_meter tied scope budget_scope to window budget_scope (the scope's whole life).
-- The endpoint budget_optimization, whose scopes have no shipped meter: mock:large, 1 000 tokens in and at most 1 000 out
-- hold 40 000 micros; settled at 1 000 in and 500 out they cost 25 000.
begin;
select plan(48);
select tests.seed();
select tests.freeze_clock('2026-03-15 23:30:00+00');

select tests.act_as_role('llm_operator');
select ok(llm.define_meter('scope_daily_budget', 'budget_scope', 'day', 'micros', p_endpoint => 'budget_optimization') > 0,
  'a budget scope''s micro-USD per UTC day is a meter');
select ok(llm.define_meter('scope_hourly_calls', 'budget_scope', 'hour', 'calls', p_endpoint => 'budget_optimization') > 0,
  'and its calls per hour another');
select ok(llm.define_meter('scope_deadline_opt', 'budget_scope', 'budget_scope', 'elapsed_ms', p_endpoint => 'budget_optimization') > 0,
  'its deadline is still a meter of its life');
select is(tests.err_of($$select llm.define_meter('scope_forever', 'budget_scope', 'none', 'micros')$$), '22023 +hint',
  'window none is refused for a budget scope (its life is window budget_scope), with a hint');
select matches(tests.hint_of($$select llm.define_meter('scope_forever', 'budget_scope', 'none', 'micros')$$), 'budget_scope.*clock window',
  'the hint names the windows a budget scope takes');
select is(tests.err_of($$select llm.define_meter('scope_daily_deadline', 'budget_scope', 'day', 'elapsed_ms')$$), '22023 +hint',
  'an elapsed_ms meter stays a deadline over the scope''s life');
select is(tests.err_of($$select llm.define_meter('tenant_life', 'tenant', 'budget_scope', 'micros')$$), '22023 +hint',
  'window budget_scope stays a budget scope''s');
select ok(llm.set_limit('scope_daily_budget', 100000, p_alert_pcts => '{20}') > 0, 'every scope: 100 000 micros a day, an alert at 20 %');
select ok(llm.set_limit('scope_hourly_calls', 3, p_alert_pcts => '{}') > 0, 'and 3 calls an hour');
select ok(llm.set_limit('scope_deadline_opt', 7200000, tests.tenant_a()) > 0, 'tenant A''s scopes last 2 hours from their first call');
select ok(llm.set_limit('scope_daily_budget', 50000, tests.tenant_b(), null, 'hard', 'cap') > 0,
  'tenant B''s scopes: 50 000 a day, action cap (a budget scope''s micro-USD cap per day shapes calls as one over its life)');
select is(tests.err_of($$select llm.set_limit('scope_daily_budget', 100000, tests.tenant_a(), p_trips_shutoff => true)$$), '22023 +hint',
  'a trip on it is still refused: a shutoff window stops a tenant or user, not a scope');
select tests.as_admin();
select throws_ok($$insert into llm_private.meters (name, scope, "window", unit) values ('raw_forever', 'budget_scope', 'none', 'micros')$$,
  '23514', null, 'the table refuses window none for a budget scope, whoever inserts');
select throws_ok($$insert into llm_private.meters (name, scope, "window", unit) values ('raw_life', 'user', 'budget_scope', 'micros')$$,
  '23514', null, 'and window budget_scope for any other scope');

-- 23:30: scope s1 spends 25 000 and holds 40 000 (a call of up to an hour, settled after midnight); a third call of 40 000
-- does not fit the 35 000 left today.
select is((select decision from tests.call(tests.tenant_a(), tests.user_a1(), 's1-1', 'budget_optimization', 'mock:large', 1000,
  '{"budget_scope": "s1"}')), 'allow', 's1: a first call');
select is((select cost_micros from tests.settle(tests.request_pk('s1-1'), 1, 'ok', 1000, 0, 500)), 25000::bigint, 'costs 25 000');
select is((select decision from tests.reserve(tests.enqueue(tests.tenant_a(), tests.user_a2(), 's1-2', 'budget_optimization', 'mock:large', 1000,
  'a long one', '{"budget_scope": "s1"}'), 1, 1000, 3600000)), 'allow', 's1: another user''s call of up to an hour, 40 000 held');
select results_eq($$select decision, reason, limit_cap, limit_used from tests.call(tests.tenant_a(), tests.user_a1(), 's1-3', 'budget_optimization',
                     'mock:large', 1000, '{"budget_scope": "s1"}')$$,
  $$values ('block', 'scope_daily_budget', 100000::bigint, 65000::bigint)$$,
  's1: a third of 40 000 is refused at the day''s cap (25 000 spent + 40 000 held of 100 000)');
select is((select decision from tests.call(tests.tenant_a(), tests.user_a1(), 's2-1', 'budget_optimization', 'mock:large', 1000,
  '{"budget_scope": "s2"}')), 'allow', 's2, another scope of the tenant, the same minute: its day is its own');
select is((select cost_micros from tests.settle(tests.request_pk('s2-1'), 1, 'ok', 1000, 0, 500)), 25000::bigint, 's2: 25 000');
select results_eq($$select budget_scope, period_start, held, spent from llm.limit_usage where meter_name = 'scope_daily_budget' order by 1$$,
  $$values ('s1', '2026-03-15 00:00+00'::timestamptz, 40000::bigint, 25000::bigint), ('s2', '2026-03-15 00:00+00', 0::bigint, 25000::bigint)$$,
  'one row per scope and day');

-- Calls per hour: scope s3 makes three (left held), the fourth is refused; the scope is exhausted for the hour.
select is((select string_agg(decision, ',') from (select (tests.call(tests.tenant_a(), tests.user_a1(), 's3-' || n, 'budget_optimization',
  'mock:tiny', 10, '{"budget_scope": "s3"}', 10)).decision from generate_series(1, 3) n) d), 'allow,allow,allow', 's3: three calls this hour');
select results_eq($$select decision, reason, limit_cap, limit_used from tests.call(tests.tenant_a(), tests.user_a1(), 's3-4', 'budget_optimization',
                     'mock:tiny', 10, '{"budget_scope": "s3"}', 10)$$,
  $$values ('block', 'scope_hourly_calls', 3::bigint, 3::bigint)$$, 's3: the fourth is refused at 3 calls this hour');
select results_eq($$select calls, calls_cap, state from llm.budget_scopes where budget_scope = 's3'$$,
  $$values (3::bigint, 3::bigint, 'exhausted')$$, 'llm.budget_scopes: s3 is exhausted for this hour');
-- A hold of s2 just before midnight, which the sweep ends after it.
select tests.freeze_clock('2026-03-15 23:59:50+00');
select is((select decision from tests.call(tests.tenant_a(), tests.user_a1(), 's2-2', 'budget_optimization', 'mock:large', 1000,
  '{"budget_scope": "s2"}')), 'allow', 's2: a call at 23:59:50, its worker lost');

-- The next day, 00:10: each scope starts from zero on a new row; what was reserved yesterday stays on yesterday's row.
select tests.freeze_clock('2026-03-16 00:10:00+00');
select is((select decision from tests.call(tests.tenant_a(), tests.user_a1(), 's1-4', 'budget_optimization', 'mock:large', 1000,
  '{"budget_scope": "s1"}')), 'allow', 's1: a new day, 40 000 fit again (yesterday''s 65 000 would have refused it)');
select is((select decision from tests.call(tests.tenant_a(), tests.user_a1(), 's3-5', 'budget_optimization', 'mock:tiny', 10,
  '{"budget_scope": "s3"}', 10)), 'allow', 's3: a new hour, a call fits again');
select results_eq($$select calls, calls_cap, state from llm.budget_scopes where budget_scope = 's3'$$,
  $$values (1::bigint, 3::bigint, 'open')$$, 'llm.budget_scopes: s3 open again, 1 call of 3 this hour');
select tests.act_as_role('llm_operator');
select is(llm.expire_holds(p_full => true), 4, 'the sweep charges the lost holds of yesterday: s3''s three calls and s2''s 40 000');
select tests.as_admin();
select is((select cost_micros from tests.settle(tests.request_pk('s1-2'), 1, 'ok', 1000, 0, 500)), 25000::bigint,
  's1''s long call settles after midnight: 25 000');
select is((select cost_micros from tests.settle(tests.request_pk('s1-4'), 1, 'ok', 1000, 0, 500)), 25000::bigint, 'and today''s: 25 000');
select results_eq($$select budget_scope, period_start, period_end, held, spent, current from llm.limit_usage where meter_name = 'scope_daily_budget'
                    and budget_scope in ('s1', 's2') order by 1, 2$$,
  $$values ('s1', '2026-03-15 00:00+00'::timestamptz, '2026-03-16 00:00+00'::timestamptz, 0::bigint, 50000::bigint, false),
           ('s1', '2026-03-16 00:00+00', '2026-03-16 01:30+00', 0, 25000, true),
           ('s2', '2026-03-15 00:00+00', '2026-03-16 00:00+00', 0, 65000, false)$$,
  'each in the day of its reserve (s1''s late settle and s2''s expiry on the 15th); today''s period ends at s1''s deadline, 2 hours after its first call');
select results_eq($$select budget_scope, period_start, period_end, held, spent, current from llm.limit_usage where meter_name = 'scope_hourly_calls'
                    and budget_scope = 's3' order by 2$$,
  $$values ('s3', '2026-03-15 23:00+00'::timestamptz, '2026-03-16 00:00+00'::timestamptz, 0::bigint, 3::bigint, false),
           ('s3', '2026-03-16 00:00+00', '2026-03-16 01:00+00', 1, 0, true)$$,
  's3''s calls: the hour of 23:00 (its three expired holds charged there), the hour of now (one held)');
select results_eq($$select cap_micros, spent_micros, held_micros, calls, calls_cap, deadline_at, state from llm.budget_scopes where budget_scope = 's1'$$,
  $$values (100000::bigint, 25000::bigint, 0::bigint, 1::bigint, 3::bigint, '2026-03-16 01:30+00'::timestamptz, 'open')$$,
  'llm.budget_scopes: s1 against today''s cap and this hour''s calls');
select results_eq($$select budget_scope, cap_micros, spent_micros, calls_cap, state from llm.budget_scopes_page(tests.tenant_a(), 10)
                    where budget_scope = 's1'$$,
  $$values ('s1', 100000::bigint, 25000::bigint, 3::bigint, 'open')$$, 'llm.budget_scopes_page the same');
select results_eq($$select period_start, used from llm.alerts where meter_name = 'scope_daily_budget' and budget_scope = 's1' order by 1$$,
  $$values ('2026-03-15 00:00+00'::timestamptz, 25000::bigint), ('2026-03-16 00:00+00', 25000)$$,
  's1''s 20 % alert fired once each day');
select is((select used_ratio_max from llm.limit_use_maxima() where scope = 'budget_scope'), 0.25,
  'the metrics'' budget-scope maximum reads today''s crossing (25 %), not yesterday''s ended periods (s2: 65 %)');
select is((select count(*) from llm.limit_usage where budget_scope = 's2' and current), 0::bigint,
  'a scope with nothing in today''s periods has no current row');

-- Tenant B's 50 000 a day with action cap: its second call is capped to what is left of today.
select is((select decision from tests.call(tests.tenant_b(), tests.user_b1(), 'b-1', 'budget_optimization', 'mock:large', 1000,
  '{"budget_scope": "s1"}')), 'allow', 'B''s scope s1 (its own, whatever its name): a first call');
select is((select cost_micros from tests.settle(tests.request_pk('b-1'), 1, 'ok', 1000, 0, 500)), 25000::bigint, 'costs 25 000');
select results_eq($$select decision, reason, max_output_tokens, held_micros from tests.call(tests.tenant_b(), tests.user_b1(), 'b-2',
                     'budget_optimization', 'mock:large', 1000, '{"budget_scope": "s1"}')$$,
  $$values ('cap', 'scope_daily_budget', 500, 25000::bigint)$$, 'B: the second is capped to the 25 000 left today: 500 output tokens');
select results_eq($$select tenant_id, held, spent from llm.limit_usage where meter_name = 'scope_daily_budget' and budget_scope = 's1' and current
                    order by tenant_id$$,
  $$values (tests.tenant_a(), 0::bigint, 25000::bigint), (tests.tenant_b(), 25000::bigint, 25000::bigint)$$,
  'a scope is its tenant''s: A''s and B''s s1 count apart');

-- A forgotten scope's call counts on no row of its name (usage_key has no period without the scope's start).
select ok((select k_period is null from llm_private.usage_key('budget_scope', 'day', 1::smallint, tests.tenant_a(), null, 's1', null,
  llm_private.now())), 'without the scope''s start, a budget-scope meter''s key has no period');
select is((select k_period from llm_private.usage_key('budget_scope', 'day', 1::smallint, tests.tenant_a(), null, 's1', '2026-03-15 23:30+00',
  llm_private.now())), '2026-03-16 00:00+00'::timestamptz, 'with it, the day of the call');

select is(tests.drift_rows(), 0::bigint, 'usage equals the ledger, every scope, day and hour');

-- 01:40, past s1's deadline (2 hours after its first call): its day's period is over for the readers as for reserve.
select tests.freeze_clock('2026-03-16 01:40:00+00');
select results_eq($$select period_end, current from llm.limit_usage where meter_name = 'scope_daily_budget' and budget_scope = 's1'
                    and tenant_id = tests.tenant_a() and period_start = '2026-03-16 00:00+00'$$,
  $$values ('2026-03-16 01:30+00'::timestamptz, false)$$, 's1''s day ended at its deadline: not current');
select is((select used_ratio_max from llm.limit_use_maxima() where scope = 'budget_scope'), null::numeric,
  'nor is its crossing of today in the metrics'' maximum any more');

-- A scope retention forgot (by hand here: llm_maint.forget_unused_budget_scopes deletes its row) is no key for a late
-- settle of its calls, whatever row of its name exists: refused (P0004), as for a meter of the scope's life.
delete from llm_private.budget_scopes where tenant_id = tests.tenant_b() and scope_key = 's1';
select throws_ok($$select tests.settle(tests.request_pk('b-2'), 1, 'ok', 1000, 0, 500)$$, 'P0004', null,
  'a late settle of a forgotten scope''s call is refused, not counted on the day''s row of its name');

select * from finish();
rollback;
