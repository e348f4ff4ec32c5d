-- llm.my_usage (the application's view of its own usage) ends a budget scope's period where llm.limit_usage does: a clock
-- period (a cap per UTC day of each investigation) at the clock's end or the scope's deadline, whichever comes first, and
-- the scope's life at its deadline. It ended a clock period at the clock's end and a life at infinity, so the application
-- saw a day of its scope open hours after reserve had started refusing every call of it. The deadline is the scope's, from
-- its first request's tenant, user and endpoint (llm_private.budget_scope_span), for the scopes the reader's user started:
-- the application reads their budget_scopes rows and no other's, and no other user's limits (who started a scope, and
-- that user's deadline, are another user's data, which an SQL injection in the application must not read). A scope that
-- another user of the tenant started ends its periods as before: a day at midnight, its life never.
-- Endpoint budget_optimization (no shipped meter): mock:tiny, 10 tokens in and 10 out, holds 3 micros.
begin;
select plan(19);
select tests.seed();
select tests.freeze_clock('2026-03-15 10:30:00+00');

select tests.act_as_role('llm_operator');
select llm.define_meter('mu_scope_daily', 'budget_scope', 'day', 'micros', p_endpoint => 'budget_optimization');
select llm.define_meter('mu_scope_life', 'budget_scope', 'budget_scope', 'calls', p_endpoint => 'budget_optimization');
select llm.define_meter('mu_scope_deadline', 'budget_scope', 'budget_scope', 'elapsed_ms', p_endpoint => 'budget_optimization');
select llm.set_limit('mu_scope_daily', 100000, p_alert_pcts => '{}');
select llm.set_limit('mu_scope_life', 50, p_alert_pcts => '{}');
-- Tenant A's scopes last 2 hours; those user a1 starts, 1 hour (a user's deadline). Tenant B's have none.
select llm.set_limit('mu_scope_deadline', 7200000, tests.tenant_a());
select llm.set_limit('mu_scope_deadline', 3600000, tests.tenant_a(), tests.user_a1());
-- Another user's own limit on a tenant meter: not a deadline, which the application of a2 does not see either.
select llm.set_limit('tenant_hourly', 5000000, tests.tenant_a());
select llm.set_limit('user_hourly', 700000, tests.tenant_a(), tests.user_a1());

-- 10:30: a1 starts scope s1 (deadline 11:30), a2 starts s2 (12:30); b1 starts tenant B's s1 (no deadline).
select tests.call(tests.tenant_a(), tests.user_a1(), 'mu-s1', 'budget_optimization', 'mock:tiny', 10, '{"budget_scope": "s1"}', 10);
select tests.call(tests.tenant_a(), tests.user_a2(), 'mu-s2', 'budget_optimization', 'mock:tiny', 10, '{"budget_scope": "s2"}', 10);
select tests.call(tests.tenant_b(), tests.user_b1(), 'mu-b1', 'budget_optimization', 'mock:tiny', 10, '{"budget_scope": "s1"}', 10);
select tests.freeze_clock('2026-03-15 11:00:00+00');

select tests.act_as_app(tests.tenant_a(), tests.user_a2());
select results_eq($$select budget_scope, meter_name, "window", period_start, period_end, cap, held from llm.my_usage
                    where scope = 'budget_scope' order by 1, 2$$,
  $$values ('s1', 'mu_scope_daily', 'day', '2026-03-15 00:00+00'::timestamptz, '2026-03-16 00:00+00'::timestamptz, 100000::bigint, 3::bigint),
           ('s1', 'mu_scope_life', 'budget_scope', '2026-03-15 10:30+00', 'infinity', 50, 1),
           ('s2', 'mu_scope_daily', 'day', '2026-03-15 00:00+00', '2026-03-15 12:30+00', 100000, 3),
           ('s2', 'mu_scope_life', 'budget_scope', '2026-03-15 10:30+00', '2026-03-15 12:30+00', 50, 1)$$,
  'user a2''s application: the day and life of s2, which a2 started, end at its deadline (2 hours); s1, which a1 started, at the clock''s end (its day at midnight, its life never)');
select is((select count(*) from llm_private.budget_scopes where scope_key = 's1'), 0::bigint,
  'a2''s application cannot read the row of s1, which a1 started (who started a scope is that user''s)');
select is((select count(*) from llm_private.limits where user_id = tests.user_a1()), 0::bigint,
  'nor any of a1''s limits: its deadline (1 hour) no more than its user_hourly cap');
select is(llm_private.budget_scope_span(tests.tenant_a(), tests.user_a1(), 'budget_optimization'), interval '2 hours',
  'nor a1''s deadline through the span, run with a1''s id: the tenant''s 2 hours, not a1''s 1 hour');
select tests.act_as_app(tests.tenant_a(), tests.user_a1());
select results_eq($$select budget_scope, meter_name, period_end from llm.my_usage where scope = 'budget_scope' order by 1, 2$$,
  $$values ('s1', 'mu_scope_daily', '2026-03-15 11:30+00'::timestamptz), ('s1', 'mu_scope_life', '2026-03-15 11:30+00'),
           ('s2', 'mu_scope_daily', '2026-03-16 00:00+00'), ('s2', 'mu_scope_life', 'infinity')$$,
  'user a1''s application: s1, which a1 started, ends at its deadline (a1''s own limit, 1 hour); s2, which a2 started, at the clock''s end');
select results_eq($$select meter_name, period_end, cap from llm.my_usage where scope <> 'budget_scope' and meter_name in ('user_hourly', 'tenant_hourly')
                    order by 1$$,
  $$values ('tenant_hourly', '2026-03-15 11:00+00'::timestamptz, 5000000::bigint), ('user_hourly', '2026-03-15 11:00+00', 700000)$$,
  'a tenant''s and a user''s period still end at the clock''s end (10:00 .. 11:00)');
select tests.act_as_app(tests.tenant_b(), tests.user_b1());
select results_eq($$select budget_scope, meter_name, period_end from llm.my_usage where scope = 'budget_scope' order by 1, 2$$,
  $$values ('s1', 'mu_scope_daily', '2026-03-16 00:00+00'::timestamptz), ('s1', 'mu_scope_life', 'infinity')$$,
  'tenant B''s scope, without a deadline: its day ends at midnight, its life never; tenant A''s scopes are not B''s to see');

-- The application's figures are llm.limit_usage's, for every budget-scope period of its tenant: the scopes its user started
-- as they are there, the others' with their period at the clock's end (clock_end).
select tests.as_admin();
create temporary table mu_expected on commit drop as
  select l.tenant_id, l.budget_scope, l.meter_name, l.period_start, l.period_end, l.cap, l.held, l.spent, b.first_user_id,
         llm_private.period_end(l."window"::llm_private.limit_window, l.period_start) as clock_end
    from llm.limit_usage l join llm_private.budget_scopes b on b.tenant_id = l.tenant_id and b.scope_key = l.budget_scope
   where l.scope = 'budget_scope' with no data;
-- (llm.limit_usage's rows now, taken again after each move of the clock)
create function pg_temp.mu_snapshot() returns void language sql as $$
  truncate mu_expected;
  insert into mu_expected
  select l.tenant_id, l.budget_scope, l.meter_name, l.period_start, l.period_end, l.cap, l.held, l.spent, b.first_user_id,
         llm_private.period_end(l."window"::llm_private.limit_window, l.period_start)
      from llm.limit_usage l join llm_private.budget_scopes b on b.tenant_id = l.tenant_id and b.scope_key = l.budget_scope
     where l.scope = 'budget_scope';
$$;
select pg_temp.mu_snapshot();
grant select on mu_expected to llm_app;
select tests.act_as_app(tests.tenant_a(), tests.user_a2());
select results_eq($$select tests.tenant_a(), budget_scope, meter_name, period_start, period_end, cap, held, spent from llm.my_usage where scope = 'budget_scope'
                    order by 2, 3, 4$$,
  $$select tenant_id, budget_scope, meter_name, period_start, case when first_user_id = tests.user_a2() then period_end else clock_end end,
           cap, held, spent from mu_expected where tenant_id = tests.tenant_a() order by 2, 3, 4$$,
  'tenant A''s scope periods, as llm.limit_usage shows them (s1''s, a1''s, at the clock''s end)');

-- 11:40, past s1's deadline; an operator lowers the daily cap of tenant A's scopes to 80 000.
select tests.as_admin();
select tests.freeze_clock('2026-03-15 11:40:00+00');
select tests.act_as_role('llm_operator');
select llm.set_limit('mu_scope_daily', 80000, tests.tenant_a(), p_alert_pcts => '{}');
select is((select decision from tests.call(tests.tenant_a(), tests.user_a1(), 'mu-s1-late', 'budget_optimization', 'mock:tiny', 10,
  '{"budget_scope": "s1"}', 10)), 'block', 's1 is past its deadline: reserve refuses it');
select tests.act_as_app(tests.tenant_a(), tests.user_a1());
select results_eq($$select budget_scope, meter_name, period_end, cap from llm.my_usage where scope = 'budget_scope' order by 1, 2$$,
  $$values ('s1', 'mu_scope_daily', '2026-03-15 11:30+00'::timestamptz, 80000::bigint), ('s1', 'mu_scope_life', '2026-03-15 11:30+00', 50),
           ('s2', 'mu_scope_daily', '2026-03-16 00:00+00', 80000), ('s2', 'mu_scope_life', 'infinity', 50)$$,
  'after s1''s deadline its day still ends there for a1; the cap shown is the limit in effect now while the clock''s day lasts (as llm.limit_usage)');
select tests.as_admin();
select pg_temp.mu_snapshot();
select tests.act_as_app(tests.tenant_a(), tests.user_a1());
select results_eq($$select tests.tenant_a(), budget_scope, meter_name, period_start, period_end, cap, held, spent from llm.my_usage where scope = 'budget_scope'
                    order by 2, 3, 4$$,
  $$select tenant_id, budget_scope, meter_name, period_start, case when first_user_id = tests.user_a1() then period_end else clock_end end,
           cap, held, spent from mu_expected where tenant_id = tests.tenant_a() order by 2, 3, 4$$,
  'and still as llm.limit_usage shows them (s2''s, a2''s, at the clock''s end)');

-- The next day: s1's period of yesterday keeps its end at the deadline, and its cap is the one its usage was held under.
select tests.as_admin();
select tests.freeze_clock('2026-03-16 09:00:00+00');
select tests.act_as_app(tests.tenant_a(), tests.user_a1());
select results_eq($$select period_end, cap from llm.my_usage where budget_scope = 's1' and meter_name = 'mu_scope_daily'$$,
  $$values ('2026-03-15 11:30+00'::timestamptz, 100000::bigint)$$,
  'a past day of s1, to a1: ended at its deadline, at the cap it was held under');
select tests.act_as_app(tests.tenant_a(), tests.user_a2());
select results_eq($$select period_end, cap from llm.my_usage where budget_scope = 's1' and meter_name = 'mu_scope_daily'$$,
  $$values ('2026-03-16 00:00+00'::timestamptz, 100000::bigint)$$,
  'to a2, at midnight (a1''s deadline is not a2''s to read)');
select tests.as_admin();
select pg_temp.mu_snapshot();
select tests.act_as_app(tests.tenant_b(), tests.user_b1());
select results_eq($$select tests.tenant_b(), budget_scope, meter_name, period_start, period_end, cap, held, spent from llm.my_usage where scope = 'budget_scope'
                    order by 2, 3, 4$$,
  $$select tenant_id, budget_scope, meter_name, period_start, case when first_user_id = tests.user_b1() then period_end else clock_end end,
           cap, held, spent from mu_expected where tenant_id = tests.tenant_b() order by 2, 3, 4$$, 'tenant B''s, as llm.limit_usage shows them');

-- Cheap for the application: the limit in effect once per meter and subject, not per row (llm_private.limit_in_effect
-- per row: 5.5 s for a tenant of 32 000 scopes, 64 700 rows; at that size the planner also memoizes each scope's span by
-- its first user and endpoint, as in llm.limit_usage, which a test of this size does not show).
select tests.as_admin();
select count(*) from (select tests.call(tests.tenant_a(), tests.user_a1(), 'mu-many-' || i, 'budget_optimization', 'mock:tiny', 10,
                                        jsonb_build_object('budget_scope', 'mu-many-' || i), 10) from generate_series(1, 30) i) x;
set local track_functions = 'all';
create temporary table mu_calls on commit drop as
  select coalesce(pg_stat_get_xact_function_calls('llm_private.limit_in_effect(smallint,uuid,uuid,timestamptz)'::regprocedure), 0) as lim;
select tests.act_as_app(tests.tenant_a(), tests.user_a1());
select is((select count(*) filter (where budget_scope like 'mu-many-%' and period_end < 'infinity' and cap is not null) from llm.my_usage),
  60::bigint, 'the 30 scopes'' day and life rows, each ended at its deadline, each with its cap');
select tests.as_admin();
select is((select coalesce(pg_stat_get_xact_function_calls('llm_private.limit_in_effect(smallint,uuid,uuid,timestamptz)'::regprocedure), 0)
                  - lim from mu_calls), 0::bigint,
  'and the caps no call of llm_private.limit_in_effect per row (llm_private.limits_in_effect, inlined, once per meter and subject)');

-- The application reads the scopes its user started and nothing else of them.
select tests.act_as_app(tests.tenant_b(), tests.user_b1());
select is((select count(*) from llm_private.budget_scopes), 1::bigint, 'the application sees its tenant''s scopes only (B: 1 of 33)');
select tests.act_as_app(tests.tenant_a(), tests.user_a1());
select is((select count(*) filter (where first_user_id = tests.user_a1()) || ' of ' || count(*) from llm_private.budget_scopes), '31 of 31',
  'and of its tenant''s, those its user started (a1: s1 and the 30, not a2''s s2)');
select throws_ok($$select first_request_pk from llm_private.budget_scopes$$, '42501', null,
  'nor every column of them (the first request is its user''s)');
select tests.as_admin();

select * from finish();
rollback;
