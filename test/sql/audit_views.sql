-- The audit views say what reserve enforces: spend counts adjustments as the meters do.
begin;
select plan(132);
select tests.seed();

/* Spend: charges + adjustments, as the monthly and hourly meters count (finding 1 of the fifteenth review). */
select tests.call(tests.tenant_a(), tests.user_a1(), 'sp-1');
select is((select cost_micros from tests.settle(tests.request_pk('sp-1'), 1, 'ok', 1000, 0, 500)), 25000::bigint, 'A1''s call costs 25 000');
select tests.act_as_role('llm_operator');
select llm.adjust_usage(tests.tenant_a(), tests.user_a1(), 5000, 'late invoice for A1');
select llm.adjust_usage(tests.tenant_a(), null, -2000, 'goodwill credit to A');
select llm.adjust_usage(tests.tenant_b(), null, 7000, 'spent elsewhere by B');
select tests.as_admin();
select results_eq($$select tenant_id, user_id, spent_micros, held_micros, adjusted_micros from llm.monthly_spend
                     where month_start = '2026-03-01 00:00+00' order by tenant_id, user_id nulls first$$,
  $$values (tests.tenant_a(), null::uuid, 28000::bigint, 0::bigint, 3000::bigint),
           (tests.tenant_a(), tests.user_a1(), 30000::bigint, 0::bigint, 5000::bigint),
           (tests.tenant_b(), null::uuid, 7000::bigint, 0::bigint, 7000::bigint)$$,
  'monthly spend = charges + adjustments: A 25 000 + 5 000 - 2 000, A1 25 000 + 5 000 (A''s own credit in its total only), B only its debit');
select is((select spent_micros from llm.monthly_spend where month_start = '2026-03-01 00:00+00' and tenant_id = tests.tenant_a() and user_id is null),
  tests.used('tenant_monthly', tests.tenant_a()), 'A''s monthly spend is what its tenant_monthly meter counts');
select is((select spent_micros from llm.monthly_spend where month_start = '2026-03-01 00:00+00' and user_id = tests.user_a1()),
  tests.used('user_monthly', tests.tenant_a(), tests.user_a1()), 'A1''s is what its user_monthly meter counts');
select is((select spent_micros from llm.monthly_spend where month_start = '2026-03-01 00:00+00' and tenant_id = tests.tenant_b()),
  tests.used('tenant_monthly', tests.tenant_b()), 'B''s too, though B made no call');
select results_eq($$select tenant_id, spent_micros, calls, adjusted_micros from llm.hourly_spend
                     where hour_start = '2026-03-15 10:00+00' order by tenant_id$$,
  $$values (tests.tenant_a(), 28000::bigint, 1::bigint, 3000::bigint), (tests.tenant_b(), 7000::bigint, 0::bigint, 7000::bigint)$$,
  'hourly spend = charges + adjustments effective in the hour');
select tests.call(tests.tenant_a(), tests.user_a2(), 'inv-m', 'investigation', 'mock:tiny', 10, '{"budget_scope": "case-m"}', 10);
select is(tests.drift_rows(), 0::bigint, 'usage equals the ledger');

/* Why a call was allowed: the meters it was held on (finding 6). */
select results_eq($$select meters from llm.calls where request_id = 'sp-1'$$, $$values (array['user_monthly', 'tenant_monthly'])$$,
  'llm.calls names the meters the call was held and charged on');
select results_eq($$select decision, meters from llm.decision_log where request_id = 'sp-1'$$,
  $$values ('allow', array['user_monthly', 'tenant_monthly'])$$, 'and llm.decision_log, for an allowed call');
select results_eq($$select decision, reason, meters from llm.decision_log where request_id = 'inv-m'$$,
  $$values ('allow', 'ok', array['user_monthly', 'tenant_monthly', 'investigation_budget', 'investigation_calls'])$$,
  'an investigation call of a budget scope: its scope''s meters too');

/* A budget scope's deadline is the one reserve enforces (finding 3): applicable_limits' order, users' limits, meters' tenants. */
select tests.act_as_role('llm_operator');
select llm.set_limit('investigation_deadline', 30000, tests.tenant_b(), null, 'hard', 'block', null, '2026-03-16 00:00+00');
select llm.set_limit('investigation_deadline', 120000, tests.tenant_b());
select llm.set_limit('investigation_deadline', 90000, tests.tenant_a(), tests.user_a1());
select tests.as_admin();
select tests.call(tests.tenant_b(), tests.user_b1(), 'dl-b', 'investigation', 'mock:tiny', 10, '{"budget_scope": "dl-b"}', 10);
select tests.call(tests.tenant_a(), tests.user_a1(), 'dl-a1', 'investigation', 'mock:tiny', 10, '{"budget_scope": "dl-a1"}', 10);
select tests.call(tests.tenant_a(), tests.user_a2(), 'dl-a2', 'investigation', 'mock:tiny', 10, '{"budget_scope": "dl-a2"}', 10);
select results_eq($$select budget_scope, deadline_at from llm.budget_scopes where budget_scope like 'dl-%' order by 1$$,
  $$values ('dl-a1', '2026-03-15 10:31:30+00'::timestamptz), ('dl-a2', '2026-03-15 10:31:00+00'::timestamptz),
           ('dl-b', '2026-03-15 10:30:30+00'::timestamptz)$$,
  'deadlines: B''s temporary 30 s over its newer permanent 120 s; A1''s own 90 s; A2 everyone''s 60 s');
select results_eq($$select tenant_id, user_id, cap, in_effect from llm.limits where meter_name = 'investigation_deadline' order by limit_id$$,
  $$values (null::uuid, null::uuid, 60000::bigint, true), (tests.tenant_b(), null, 30000, true), (tests.tenant_b(), null, 120000, false),
           (tests.tenant_a(), tests.user_a1(), 90000, true)$$,
  'llm.limits: B''s permanent limit is not in effect while its temporary one is; everyone''s stays in effect for the others');
select tests.act_as_role('llm_operator');
select llm.define_meter('b_only_deadline', 'budget_scope', 'budget_scope', 'elapsed_ms', tests.tenant_b(), null, null, 'investigation');
select llm.set_limit('b_only_deadline', 5000);
select tests.as_admin();
select results_eq($$select budget_scope, deadline_at from llm.budget_scopes where budget_scope in ('dl-a2', 'dl-b') order by 1$$,
  $$values ('dl-a2', '2026-03-15 10:31:00+00'::timestamptz), ('dl-b', '2026-03-15 10:30:05+00'::timestamptz)$$,
  'a deadline meter of tenant B binds B''s scope only');
select tests.freeze_clock('2026-03-15 10:30:06+00');
select results_eq($$select decision, reason from tests.call(tests.tenant_b(), tests.user_b1(), 'dl-b2', 'investigation', 'mock:tiny', 10,
                     '{"budget_scope": "dl-b"}', 10)$$,
  $$values ('block', 'b_only_deadline')$$, 'reserve refuses B''s scope past 5 s');
select results_eq($$select budget_scope, state from llm.budget_scopes where budget_scope like 'dl-%' order by 1$$,
  $$values ('dl-a1', 'open'), ('dl-a2', 'open'), ('dl-b', 'deadline_passed')$$, 'and the view agrees');

/* A budget scope counts the calls on the meters behind its caps (finding 2): another endpoint's call naming it does not. */
select tests.call(tests.tenant_a(), tests.user_a1(), 'bs-inv', 'investigation', 'mock:large', 8000, '{"budget_scope": "case-x"}', 3000);
select is((select cost_micros from tests.settle(tests.request_pk('bs-inv'), 1, 'ok', 3000, 0, 3000)), 120000::bigint, 'an investigation call: 120 000');
select tests.call(tests.tenant_a(), tests.user_a1(), 'bs-opt', 'budget_optimization', 'mock:large', 8000, '{"budget_scope": "case-x"}', 3000);
select is((select cost_micros from tests.settle(tests.request_pk('bs-opt'), 1, 'ok', 3000, 0, 7000)), 240000::bigint,
  'a budget optimization call naming the same scope: 240 000, on no meter of the scope');
select results_eq($$select calls, calls_cap, spent_micros, held_micros, cap_micros, state from llm.budget_scopes where budget_scope = 'case-x'$$,
  $$values (1::bigint, 10::bigint, 120000::bigint, 0::bigint, 300000::bigint, 'open')$$,
  'the scope: 1 call and 120 000 of its 300 000 (it said 2 calls, 360 000, exhausted)');
select is((select spent_micros from llm.budget_scopes where budget_scope = 'case-x'),
  (select spent from llm.limit_usage where meter_name = 'investigation_budget' and budget_scope = 'case-x'), 'what investigation_budget counts');
select results_eq($$select decision, limit_used from tests.call(tests.tenant_a(), tests.user_a1(), 'bs-inv2', 'investigation', 'mock:large', 8000,
                     '{"budget_scope": "case-x"}', 3000)$$,
  $$values ('cap', 120000::bigint)$$, 'and reserve agrees: the next investigation call is capped to the 180 000 left, not refused');

/* A budget scope is current until its deadline and while it is used (finding 4): old scopes left the current list for ever. */
select results_eq($$select current, period_end from llm.limit_usage where meter_name = 'investigation_budget' and budget_scope = 'case-x'$$,
  $$values (true, '2026-03-15 10:31:36+00'::timestamptz)$$, 'an investigation''s period ends at its deadline (A1''s 90 s)');
select tests.act_as_role('llm_operator');
select llm.define_meter('plan_budget', 'budget_scope', 'budget_scope', 'micros', null, null, null, 'budget_optimization');
select llm.set_limit('plan_budget', 300000);
select tests.as_admin();
select tests.call(tests.tenant_a(), tests.user_a2(), 'idle-1', 'budget_optimization', 'mock:tiny', 10, '{"budget_scope": "plan-idle"}', 10);
select results_eq($$select current, period_end from llm.limit_usage where meter_name = 'plan_budget' and budget_scope = 'plan-idle'$$,
  $$values (true, 'infinity'::timestamptz)$$, 'a scope without a deadline has no end');
select tests.freeze_clock('2026-03-15 10:32:00+00');
select results_eq($$select meter_name, budget_scope, current from llm.limit_usage where budget_scope in ('case-x', 'plan-idle') order by 1, 2$$,
  $$values ('investigation_budget', 'case-x', false), ('investigation_calls', 'case-x', false), ('plan_budget', 'plan-idle', true)$$,
  'past its deadline an investigation is not current; the scope without one still is');
select tests.freeze_clock('2026-03-16 10:31:00+00');
select is((select count(*) from llm.limit_usage where current and budget_scope is not null), 0::bigint,
  'a day after its last request, no scope is current');
select results_eq($$select meter_name, user_id, current from llm.limit_usage where tenant_id = tests.tenant_a() and budget_scope is null order by 1, 2$$,
  $$values ('tenant_monthly', null::uuid, true), ('user_monthly', tests.user_a1(), true), ('user_monthly', tests.user_a2(), true)$$,
  'the month''s limits are');
-- (review at scale, 2026-11-27) limit_usage reads its rows in three parts (periods from this week's or quarter's start and
-- lifetimes; budget scopes started before that with a request in the last 24 hours; the rest, never current): each
-- subject and period exactly once, and current as before.
select is((select count(*) from llm.limit_usage),
  (select count(*) from (select distinct tenant_id, meter_id, user_id, budget_scope, period_start from llm_private.usage) x),
  'limit_usage: every subject and period of the usage rows, once');
select tests.freeze_clock('2026-04-02 10:00:00+00');
select tests.call(tests.tenant_a(), tests.user_a2(), 'idle-2', 'budget_optimization', 'mock:tiny', 10, '{"budget_scope": "plan-idle"}', 10);
select results_eq($$select period_start, current from llm.limit_usage where meter_name = 'plan_budget' and budget_scope = 'plan-idle'$$,
  $$values ('2026-03-15 10:30:06+00'::timestamptz, true)$$,
  'a scope started last quarter and used in the last 24 hours is current, once');
select results_eq($$select count(*), bool_or(current) from llm.limit_usage where meter_name = 'user_monthly' and period_start = '2026-03-01 00:00+00'$$,
  $$values (3::bigint, false)$$, 'last month''s user rows are there (A1, A2, B1), not current');
select is((select count(*) from llm.limit_usage),
  (select count(*) from (select distinct tenant_id, meter_id, user_id, budget_scope, period_start from llm_private.usage) x),
  'and every subject and period is still there once');

-- (review at scale) What made the views slow with a large ledger, checked on the plans (no timing): a DBA's filter on one
-- tenant never reached the ledger's index under GROUPING SETS (monthly_spend sorted all 2 M attempts: 2.9 s), the drift view
-- called the PL/pgSQL usage_key once per attempt and meter (31 of 38 s), and monthly_spend's cap aggregated every usage
-- row through llm.limit_usage once per output row (21 s with 10 000 users).
create function pg_temp.plan_of(p_query text) returns text language plpgsql as $$
declare
  r text;
  t text := '';
begin
  set local enable_seqscan = off;
  for r in execute 'explain (verbose, costs off) ' || p_query loop t := t || r || E'\n'; end loop;
  reset enable_seqscan;
  return t;
end $$;
select ok(pg_temp.plan_of($$select * from llm.monthly_spend where tenant_id = 'a0000000-0000-0000-0000-00000000000a'$$)
          ~ 'Index Cond: \(a(_\d+)?\.tenant_id = ''a0000000-0000-0000-0000-00000000000a''::uuid\)',
  'monthly_spend: a filter on tenant_id reaches the index of the attempts');
select ok(pg_temp.plan_of($$select * from llm.reconciliation_drift$$) !~ 'usage_key',
  'reconciliation_drift: usage_key is inlined, not called per attempt and meter');
select ok(pg_temp.plan_of($$select * from llm.monthly_spend$$) !~ 'Group Key: x(_\d+)?\.tenant_id, x(_\d+)?\.meter_id',
  'monthly_spend: the cap does not aggregate the usage rows of every subject');
-- (review at scale, 2026-11-27) The drift view, which the metrics read at every scrape: its bounds called llm_private.now()
-- (PL/pgSQL) for every attempt and meter, and its requests had no bound (a hash join read the whole retention's requests).
-- 2 months of 100 000 calls with two meters, 12 months kept: 2.0-2.5 s -> 0.5-0.7 s.
select ok(pg_temp.plan_of($$select * from llm.reconciliation_drift$$) !~ '(Filter|Cond): [^\n]*llm_private\.now\(\)',
  'reconciliation_drift: the clock is read once per query (InitPlans), in no filter per attempt and meter');
-- (session of 2026-11-27, at 10^6 calls) Joined for every attempt, the two months' requests were hashed, and spilled to
-- temp files (170 MB at 10^6 calls); only a meter of a budget scope needs its request, read once per such attempt.
select ok(pg_temp.plan_of($$select * from llm.reconciliation_drift$$)
            ~ 'One-Time Filter: \(\(a(_\d+)?\.meter_ids && n(_\d+)?\.scope_ids\)\)\n(.*\n){0,3}.*Index Cond: \(\(q(_\d+)?\.tenant_id = a(_\d+)?\.tenant_id\) AND \(q(_\d+)?\.id = a(_\d+)?\.request_pk\)\)'
          and pg_temp.plan_of($$select * from llm.reconciliation_drift$$) !~ 'q(_\d+)?\.id >=',
  'reconciliation_drift: a request is read by its key, and only for a meter of a budget scope, never scanned with the others');
-- limit_usage where current (the metrics at every scrape, the dashboard) called llm_private.limit_in_effect and the clock
-- (PL/pgSQL) for each subject, and monthly_spend too: 10^5 users, 29 s and 5.5 s; now inlined and read once.
-- (EXPLAIN prints a reference to the clock's column as "(llm_private.now())": those are removed, calls remain)
select ok(regexp_replace(pg_temp.plan_of($$select * from llm.limit_usage where current$$), '(?<![a-z_0-9])\(llm_private\.now\(\)\)', '', 'g')
          !~ '(Function Scan on (llm_private\.)?limits?_in_effect|(Filter|Cond): [^\n]*llm_private\.now\(\))',
  'limit_usage where current: the limit in effect is inlined and the clock read once, no call per subject');
select ok(pg_temp.plan_of($$select * from llm.monthly_spend$$) !~ 'Function Scan on (llm_private\.)?limits?_in_effect',
  'monthly_spend: the cap''s limit in effect is inlined, not called per row');
-- (review of those changes) llm.budget_scopes looked each scope up in llm.limit_usage by its NULLIF'd columns, which reach
-- no index: every usage row read once per scope (2 012 scopes: 78 s, 206 s after the three parts). It reads the rows by
-- their raw key now (llm_private.limit_usage_rows): 2 000 scopes over 1.3e6 usage rows, > 600 s -> 2.2 s.
-- And by each meter's period that contains now (the scope's start, or the clock period's): filtered on period_open alone,
-- every period of a scope was aggregated first (a day of a per-minute cap, 1 440 rows a scope: 1.2 s for 200 scopes; 0.14 s
-- read by the key).
select ok(pg_temp.plan_of($$select * from llm.budget_scopes$$)
          ~ 'Index Cond: \(\(x(_\d+)?\.tenant_id = b\.tenant_id\) AND \(x(_\d+)?\.meter_id = m\.id\) AND \(x(_\d+)?\.budget_scope = b\.scope_key\) AND \(x(_\d+)?\.period_start = ',
  'budget_scopes: each scope''s usage is read by its key, the current period''s row of each meter, through the usage index');
-- (review at scale, helper 68) A scope's first request was joined: at 10^7 calls and 40 000 scopes the planner hashed
-- every request of the retention (4 s of the dashboard's 11 s scope listing). Now a lookup by key under a LIMIT, in
-- llm.budget_scopes and in llm.limit_usage (its budget-scope rows' deadline), whatever the planner estimates.
select ok(pg_temp.plan_of($$select * from llm.budget_scopes$$)
          ~ 'Limit\n\s+Output: q\.endpoint\n\s+->  Append\n\s+->  Index Scan using requests_\w+_pkey on llm_private\.requests_\w+ q_\d+\n\s+Output: [^\n]*\n\s+Index Cond: \(\(q_\d+\.tenant_id = b\.tenant_id\) AND \(q_\d+\.id = b\.first_request_pk\)\)',
  'budget_scopes: the first request is read by its key under a LIMIT, once per scope');
-- llm.limit_usage reads none: a budget-scope row's deadline takes the first request's user and endpoint from the scope's row,
-- which keeps them after the request leaves the retention.
select ok(pg_temp.plan_of($$select * from llm.limit_usage$$) !~ 'Index Cond: \(\(q_\d+\.tenant_id = b\.tenant_id\) AND \(q_\d+\.id = b\.first_request_pk\)\)',
  'limit_usage: a budget-scope row''s deadline reads no request');

-- (review at scale, 2026-11-27) A filter on a view's month or hour read every partition's every row: the views grouped by
-- date_trunc(.., 'UTC'), which is STABLE, so no index could hold it (`npm run audit` of one month at 1.2 M attempts over
-- 12 months: 1.45 s). Now the month and the hour are IMMUTABLE expressions that the reserved_at BRIN summarises.
select ok(pg_temp.plan_of($$select * from llm.monthly_spend where month_start = '2026-03-01 00:00+00'$$)
          ~ 'Index Cond: \(\(date_trunc\(''month''::text, \(a(_\d+)?\.reserved_at AT TIME ZONE ''UTC''::text\)\) AT TIME ZONE ''UTC''::text\) = ',
  'monthly_spend: a filter on month_start is an index condition on the attempts');
-- (review at scale, 2026-11-27) It read the month twice, once for the users' rows and once for the tenants' totals (a month
-- of 5x10^6 calls: 5.9-7.3 s); the totals are now summed from the users' groups: one scan of each partition.
select is((select count(*)::int from regexp_matches(pg_temp.plan_of($$select * from llm.monthly_spend where month_start = '2026-03-01 00:00+00'$$),
                                                    'Scan on llm_private\.attempts_default ', 'g')), 1,
  'monthly_spend: a month of every tenant reads the ledger once');
select ok(pg_temp.plan_of($$select * from llm.refusals_by_reason where month_start = '2026-03-01 00:00+00'$$)
          ~ 'Index Cond: \(\(date_trunc\(''month''::text, \(a(_\d+)?\.reserved_at AT TIME ZONE ''UTC''::text\)\) AT TIME ZONE ''UTC''::text\) = ',
  'refusals_by_reason: so is its month_start');
select ok(pg_temp.plan_of($$select * from llm.cache_stats where month_start = '2026-03-01 00:00+00'$$)
          ~ 'Index Cond: \(\(date_trunc\(''month''::text, \(a(_\d+)?\.reserved_at AT TIME ZONE ''UTC''::text\)\) AT TIME ZONE ''UTC''::text\) = ',
  'cache_stats: and its month_start');
select ok(pg_temp.plan_of($$select * from llm.hourly_spend where hour_start > '2026-03-14 10:00+00'$$)
          ~ 'Index Cond: \(\(date_trunc\(''hour''::text, \(a(_\d+)?\.reserved_at AT TIME ZONE ''UTC''::text\)\) AT TIME ZONE ''UTC''::text\) > ',
  'hourly_spend: a range of hour_start is an index condition too (the dashboard''s last 48 hours)');
-- The same months and hours as date_trunc(.., 'UTC'), whatever the session's time zone: a call at 23:30 UTC on the last day of
-- March is March's and the 23:00 hour's, also for a DBA in UTC+14 (where it is already April) or UTC-10.
select tests.freeze_clock('2026-03-31 23:30:00+00');
select tests.call(tests.tenant_b(), tests.user_b1(), 'month-edge');
select tests.settle(tests.request_pk('month-edge'), 1, 'ok', 1000, 0, 500);
set local timezone = 'Pacific/Kiritimati';
select results_eq($$select month_start, spent_micros from llm.monthly_spend where tenant_id = tests.tenant_b() and user_id is null order by 1$$,
  $$values ('2026-03-01 00:00+00'::timestamptz, 32000::bigint)$$,
  'in UTC+14, the call of 23:30 UTC on March 31 counts in March (UTC), with B''s debit: 25 000 + 7 000');
select results_eq($$select hour_start, calls from llm.hourly_spend where tenant_id = tests.tenant_b() and calls > 0$$,
  $$values ('2026-03-31 23:00+00'::timestamptz, 1::bigint)$$, 'and in the 23:00 UTC hour');
set local timezone = 'Pacific/Honolulu';
select results_eq($$select month_start, spent_micros from llm.monthly_spend where tenant_id = tests.tenant_b() and user_id is null order by 1$$,
  $$values ('2026-03-01 00:00+00'::timestamptz, 32000::bigint)$$, 'in UTC-10 too');
select is((select count(*) from llm.calls c where c.tenant_id = tests.tenant_b()
            and (date_trunc('month', c.reserved_at at time zone 'UTC') at time zone 'UTC') is distinct from date_trunc('month', c.reserved_at, 'UTC')),
  0::bigint, 'the immutable month is date_trunc(''month'', reserved_at, ''UTC'') for every call');
reset timezone;

-- (review of 2026-11-27) A bound on the attempts' reserved_at assumed a period starts no later than its calls; a budget
-- scope's start (its row's started_at) can be later than a call of it when two first reserves race or a clock moves back,
-- and the drift view then showed usage the ledger had not (2 rows). Here the clock moves back across a month's end.
reset timezone;
select tests.freeze_clock('2026-05-02 10:00:00+00');
select tests.call(tests.tenant_b(), tests.user_b1(), 'bk-1', 'investigation', 'mock:tiny', 10, '{"budget_scope": "bk"}', 10);
select tests.freeze_clock('2026-04-30 10:00:00+00');
select tests.call(tests.tenant_b(), tests.user_b1(), 'bk-2', 'investigation', 'mock:tiny', 10, '{"budget_scope": "bk"}', 10);
select tests.settle(tests.request_pk('bk-2'), 1, 'ok', 10, 0, 10);
select tests.freeze_clock('2026-06-15 10:00:00+00');
select is((select count(*) from llm.reconciliation_drift where budget_scope = 'bk'), 0::bigint,
  'a scope started after a call of it: the drift view counts that call on the scope''s period, as usage does');

-- (third review of 2026-11-27) The drift view's bound, date_trunc('month', now, 'UTC') - interval '1 month', subtracted the
-- month in the reader's TimeZone: in April, under Europe/Berlin or America/New_York (clocks changed in March), it was
-- March 1 01:00Z, and March's monthly usage rows left both sides of the comparison: a corrupted one showed 0 rows.
select 1 from tests.call(tests.tenant_a(), tests.user_a1(), 'tz-drift');
select 1 from tests.settle(tests.request_pk('tz-drift'), 1, 'ok', 1000, 0, 500);
select tests.as_admin();
set local session_replication_role = replica;
update llm_private.usage u set spent = spent + 1 from llm_private.meters m
 where m.id = u.meter_id and m.name = 'tenant_monthly' and u.tenant_id = tests.tenant_a();
set local session_replication_role = origin;
select tests.freeze_clock('2026-04-15 12:00+00');
set local timezone = 'UTC';
create temp table tz_drift_utc on commit drop as select kind, tenant_id, meter_name, period_start, shard from llm.reconciliation_drift;
select ok((select count(*) from tz_drift_utc where meter_name = 'tenant_monthly') > 0, 'in April, a corrupted March tenant_monthly row shows (a reader in UTC)');
set local timezone = 'Europe/Berlin';
select set_eq($$select kind, tenant_id, meter_name, period_start, shard from llm.reconciliation_drift$$, $$select * from tz_drift_utc$$,
  'the same rows for a reader in Europe/Berlin');
set local timezone = 'America/New_York';
select set_eq($$select kind, tenant_id, meter_name, period_start, shard from llm.reconciliation_drift$$, $$select * from tz_drift_utc$$,
  'and in America/New_York');
set local timezone = 'UTC';

/* The reconciliation on a schedule (migration 000040): the metrics read the last check, not the two months of ledger. */
-- At this point March's tenant_monthly row is corrupted (above), and the clock stands at 2026-04-15 12:00 UTC.
select is((select count(*)::int from llm.reconciliation_status), 0, 'before the first check the status has no row (the metrics: drift unknown, age +Inf)');
create temp table first_check (checked_at timestamptz, drift_rows bigint, duration_ms integer) on commit drop;
grant select, insert on pg_temp.first_check to llm_operator, llm_viewer;
select set_config('tests.settings_before', current_setting('enable_sort') || ' ' || current_setting('jit') || ' ' || current_setting('work_mem'), true);
select tests.act_as_role('llm_operator');
insert into pg_temp.first_check select * from llm.check_reconciliation();
select is(current_setting('enable_sort') || ' ' || current_setting('jit') || ' ' || current_setting('work_mem'), current_setting('tests.settings_before'),
  'the check changes enable_sort, jit and work_mem for its read only (maintenance.test reads them in its plan), and leaves them as it found them');
select tests.as_admin();
select results_eq($$select checked_at, drift_rows, duration_ms >= 0 from first_check$$,
  $$select '2026-04-15 12:00+00'::timestamptz, (select count(*) from llm.reconciliation_drift), true$$,
  'the operator''s check counts llm.reconciliation_drift at the database''s time and says how long it took');
select ok((select drift_rows from first_check) > 0, 'it found the corrupted row');
-- (migration 000041) The check keeps the rows it found: the dashboard lists them without reading the ledger.
select tests.act_as_role('llm_viewer');
select is((select array_agg(row(row_no, kind, tenant_id, meter_name, user_id, budget_scope, period_start, shard, usage_value, ledger_value)::text
                            order by row_no) from llm.reconciliation_checked_drift),
  (select array_agg(row(n, kind, tenant_id, meter_name, user_id, budget_scope, period_start, shard, usage_value, ledger_value)::text order by n)
     from (select row_number() over (order by kind, tenant_id nulls first, meter_name, user_id nulls first, budget_scope nulls first,
                                              period_start, shard)::int as n, d.*
             from llm.reconciliation_drift d) v),
  'llm.reconciliation_checked_drift lists the rows the check found, numbered as npm run audit -- drift orders them (as the viewer)');
select is((select array_agg(distinct checked_at) from llm.reconciliation_checked_drift), array['2026-04-15 12:00+00'::timestamptz],
  '... each with the check''s time');
select is((select drift_rows_kept::bigint from llm.reconciliation_status), (select drift_rows from first_check), 'the status says it kept them all');
select tests.as_admin();
select results_eq($$select checked_at, drift_rows, age_seconds from llm.reconciliation_status$$,
  $$select checked_at, drift_rows, 0::double precision from first_check$$, 'the status shows that check, 0 s old');
select tests.freeze_clock('2026-04-15 12:05+00');
select is((select age_seconds from llm.reconciliation_status), 300::double precision, 'five minutes later, 300 s old');
select tests.act_as_role('llm_viewer');
select is((select drift_rows from llm.reconciliation_status), (select drift_rows from first_check), 'the metrics'' login (llm_viewer) reads it');
select throws_ok($$select llm.check_reconciliation()$$, '42501', null, '... and may not run a check (the worker''s cron does, as llm_operator)');
select tests.as_admin();
-- The worker's login is a member of llm_operator: a check written by hand is derived like any other, never taken as written.
select tests.act_as_role('llm_operator');
insert into llm_private.reconciliation_checks (checked_at, drift_rows, duration_ms) values ('2099-01-01', 0, 0);
select tests.as_admin();
select results_eq($$select checked_at, drift_rows > 0 from llm.reconciliation_status$$, $$values ('2026-04-15 12:05+00'::timestamptz, true)$$,
  'an operator''s hand-made row with 0 drift rows in 2099 is recorded now, with the drift the view has');
select tests.act_as_role('llm_operator');
select throws_ok($$insert into llm_private.reconciliation_checks overriding system value values (9223372036854775807, now(), 0, 0)$$,
  '42501', null, '(review of f9512fe) an id of the writer''s choosing is refused: the highest one had stayed the newest check for good');
select throws_ok($$update llm_private.reconciliation_checks set drift_rows = 0$$, '42501', null, 'no check can be rewritten');
select throws_ok($$delete from llm_private.reconciliation_checks$$, '42501', null,
  '(review of f9512fe) nor deleted: a delete left open blocked every check at its row locks');
select throws_ok($$lock table llm_private.reconciliation_checks in share mode$$, '42501', null,
  'nor locked against the checks or the scrape');
select tests.as_admin();
select tests.act_as_app(tests.tenant_a(), tests.user_a1());
select throws_ok($$select * from llm.reconciliation_status$$, '42501', null, 'the application sees no check');
select tests.as_admin();
-- (review of f9512fe) The newest check is the highest id, whatever the clock did: ordered by its time, a check made after
-- the clock moved back an hour stayed hidden behind the one before it for that hour.
select tests.freeze_clock('2026-04-15 11:05+00');
select tests.act_as_role('llm_operator');
select 1 from llm.check_reconciliation();
select tests.as_admin();
select results_eq($$select checked_at, age_seconds from llm.reconciliation_status$$,
  $$values ('2026-04-15 11:05+00'::timestamptz, 0::double precision)$$,
  'a check made after the clock moved back an hour is the newest, 0 s old');
select is((select count(*)::int from llm_private.reconciliation_checks), 3, 'every check is kept (one every 5 minutes: ~105 000 a year)');
-- (migration 000042) The check's memory is a setting: its hash needs ~1 KB per usage key, past it the input spills.
select tests.act_as_role('llm_operator');
select lives_ok($$select llm.set_setting('reconciliation_work_mem_mb', '256')$$, 'the operator sets the check''s memory');
select throws_ok($$select llm.set_setting('reconciliation_work_mem_mb', '5000')$$, '23514', null, '... within 4 .. 4096 MB');
select tests.as_admin();
-- The kept rows are the first 200: 250 more usage rows of users the ledger never saw (written with the guards off, as a
-- corruption would be) make 251 and more drift rows.
set local session_replication_role = replica;
insert into llm_private.usage (tenant_id, meter_id, user_id, budget_scope, period_start, shard, limit_id, cap, quota, spent)
select tests.tenant_a(), m.id, ('00000000-0000-4000-8000-' || lpad(g::text, 12, '0'))::uuid, '', llm_private.month_start(llm_private.month_index(llm_private.now())),
       0, m.id, 1000000, 1000000, 7
  from generate_series(1, 250) g, llm_private.meters m where m.name = 'user_monthly';
-- and one of the global meter (no tenant): the CLI lists rows without a tenant first, and so does the sample.
insert into llm_private.usage (tenant_id, meter_id, user_id, budget_scope, period_start, shard, limit_id, cap, quota, spent)
select llm_private.nil_uuid(), m.id, llm_private.nil_uuid(), '', date_trunc('hour', llm_private.now(), 'UTC'), 0, m.id, 1000000, 1000000, 7
  from llm_private.meters m where m.name = 'global_hourly';
set local session_replication_role = origin;
select tests.act_as_role('llm_operator');
select 1 from llm.check_reconciliation();
select tests.as_admin();
select tests.act_as_role('llm_viewer');
select results_eq($$select (select drift_rows from llm.reconciliation_status), (select count(*) from llm.reconciliation_checked_drift),
                           (select max(row_no) from llm.reconciliation_checked_drift), (select drift_rows_kept from llm.reconciliation_status)$$,
  $$select (select count(*) from llm.reconciliation_drift), 200::bigint, 200, 200$$,
  'a check that finds more than 200 rows counts them all and keeps the first 200');
select is((select array_agg(row(kind, tenant_id, meter_name, user_id, period_start, usage_value, ledger_value)::text order by row_no)
             from llm.reconciliation_checked_drift),
  (select array_agg(row(kind, tenant_id, meter_name, user_id, period_start, usage_value, ledger_value)::text)
     from (select * from llm.reconciliation_drift
            order by kind, tenant_id nulls first, meter_name, user_id nulls first, budget_scope nulls first, period_start, shard limit 200) v),
  '... the first 200 in the order npm run audit -- drift lists them');
select results_eq($$select kind, tenant_id, meter_name from llm.reconciliation_checked_drift where row_no = 1$$,
  $$values ('spent'::text, null::uuid, 'global_hourly'::text)$$, '... the global meter''s row (no tenant) first, as the CLI lists it');
select tests.as_admin();
set local session_replication_role = replica;
select throws_ok($$insert into llm_private.reconciliation_checks (checked_at, drift_rows, duration_ms, drift_sample) values (now(), 1, 0, '[]')$$,
  '23514', null, 'with the trigger off (replication role), the constraint still refuses kept rows that do not match the count');
-- A check made before migration 000041 kept no rows (null): the status says so, rather than 0 kept of 5.
insert into llm_private.reconciliation_checks (checked_at, drift_rows, duration_ms) values (llm_private.now(), 5, 0);
set local session_replication_role = origin;
select results_eq($$select drift_rows, drift_rows_kept, (select count(*) from llm.reconciliation_checked_drift) from llm.reconciliation_status$$,
  $$values (5::bigint, null::integer, 0::bigint)$$, 'a check from before 000041: 5 drift rows, none kept (null), no rows listed');

/* The holds the dashboard and Grafana list: llm.open_holds within the expiry sweep's range, through the BRIN. */
select tests.act_as_role('llm_viewer');
select is((select array_agg(request_id || '/' || attempt_no order by request_id, attempt_no) from llm.watched_open_holds(null, 10000)),
  (select array_agg(request_id || '/' || attempt_no order by request_id, attempt_no) from llm.open_holds where expires_at > llm_private.watched_holds_from()),
  'llm.watched_open_holds lists the open holds the sweep watches (as the viewer)');
select throws_ok($$select * from llm.watched_open_holds(null, 0)$$, '22023', 'p_limit is 1 .. 10000',
  '(review of 26095c3) a limit out of range is the argument''s error, not a permission error on a helper');
select tests.as_admin();
select tests.act_as_app(tests.tenant_a(), tests.user_a1());
select throws_ok($$select * from llm.watched_open_holds()$$, '42501', null, 'the application may not list holds');
select tests.as_admin();

-- (adopter's review, 2026-11-27) Tenant names, for a DBA to join to any view: the auditor and the operator read them; the
-- viewer (the dashboard's login) and the application do not.
select tests.act_as_role('llm_auditor');
select results_eq($$select t.name, t.users from llm.monthly_spend s join llm.tenants t using (tenant_id)
                     where s.user_id is null and s.tenant_id = tests.tenant_a() limit 1$$,
  $$select name, (select count(*) from llm_private.users where tenant_id = tests.tenant_a()) from llm_private.tenants where id = tests.tenant_a()$$,
  'an auditor names a tenant of llm.monthly_spend through llm.tenants, with its users');
select tests.act_as_role('llm_operator');
select is((select count(*) from llm.tenants), (select count(*) from llm_private.tenants), 'the operator lists every tenant');
select tests.act_as_role('llm_viewer');
select throws_ok($$select * from llm.tenants$$, '42501', null, 'the viewer reads no tenant name');
select tests.act_as_app(tests.tenant_a(), tests.user_a1());
select throws_ok($$select * from llm.tenants$$, '42501', null, 'nor does the application');

/* llm.monthly_spend against two plain GROUP BYs (review at scale, 2026-11-27): the view reads the ledger once, per month,
   tenant and user, and sums each tenant's total from those groups; a reference written here the straightforward way
   must give exactly its rows. Tenants C (three users) and D (one) add a month boundary, held, settled, usage-unknown
   and released calls, tenant and user adjustments, and a month (August) with adjustments only. */
select tests.as_admin();
insert into llm_private.tenants (id, name) values ('c0000000-0000-0000-0000-00000000000c', 'tenant C'), ('d0000000-0000-0000-0000-00000000000d', 'tenant D');
insert into llm_private.users (tenant_id, id) values ('c0000000-0000-0000-0000-00000000000c', 'c1000000-0000-0000-0000-000000000001'),
  ('c0000000-0000-0000-0000-00000000000c', 'c2000000-0000-0000-0000-000000000002'), ('c0000000-0000-0000-0000-00000000000c', 'c3000000-0000-0000-0000-000000000003'),
  ('d0000000-0000-0000-0000-00000000000d', 'd1000000-0000-0000-0000-000000000001');
select tests.freeze_clock('2026-05-31 23:50:00+00');
select 1 from tests.call('c0000000-0000-0000-0000-00000000000c', 'c1000000-0000-0000-0000-000000000001', 'ms-c1-may', 'explanation', 'mock:small');
select 1 from tests.settle(tests.request_pk('ms-c1-may'), 1, 'ok', 1000, 0, 700);
select 1 from tests.call('c0000000-0000-0000-0000-00000000000c', 'c2000000-0000-0000-0000-000000000002', 'ms-c2-may', 'explanation', 'mock:small');
select 1 from tests.call('d0000000-0000-0000-0000-00000000000d', 'd1000000-0000-0000-0000-000000000001', 'ms-d1-may', 'explanation', 'mock:small');
select 1 from tests.settle(tests.request_pk('ms-d1-may'), 1, 'timeout', null, null, null);
select tests.act_as_role('llm_operator');
select 1 from llm.adjust_usage('c0000000-0000-0000-0000-00000000000c', null, 1100, 'C, May');
select 1 from llm.adjust_usage('d0000000-0000-0000-0000-00000000000d', 'd1000000-0000-0000-0000-000000000001', -300, 'D1, May');
select tests.as_admin();
select tests.freeze_clock('2026-06-01 00:10:00+00');
select 1 from tests.call('c0000000-0000-0000-0000-00000000000c', 'c1000000-0000-0000-0000-000000000001', 'ms-c1-jun', 'explanation', 'mock:small');
select 1 from tests.settle(tests.request_pk('ms-c1-jun'), 1, 'ok', 800, 100, 300);
select 1 from tests.call('c0000000-0000-0000-0000-00000000000c', 'c2000000-0000-0000-0000-000000000002', 'ms-c2-jun', 'explanation', 'mock:small');
select 1 from tests.call('c0000000-0000-0000-0000-00000000000c', 'c3000000-0000-0000-0000-000000000003', 'ms-c3-jun', 'explanation', 'mock:small');
select 1 from tests.release(tests.request_pk('ms-c3-jun'), 1);
select 1 from tests.call('d0000000-0000-0000-0000-00000000000d', 'd1000000-0000-0000-0000-000000000001', 'ms-d1-jun', 'explanation', 'mock:tiny');
select tests.act_as_role('llm_operator');
select 1 from llm.adjust_usage('c0000000-0000-0000-0000-00000000000c', null, 400, 'C, June');
select 1 from llm.adjust_usage('c0000000-0000-0000-0000-00000000000c', 'c1000000-0000-0000-0000-000000000001', -250, 'C1, June');
select 1 from llm.adjust_usage('c0000000-0000-0000-0000-00000000000c', 'c3000000-0000-0000-0000-000000000003', 90, 'C3, June');
select tests.as_admin();
select tests.freeze_clock('2026-08-10 12:00:00+00');
select tests.act_as_role('llm_operator');
select 1 from llm.adjust_usage('c0000000-0000-0000-0000-00000000000c', null, 700, 'C, August');
select 1 from llm.adjust_usage('c0000000-0000-0000-0000-00000000000c', 'c2000000-0000-0000-0000-000000000002', 150, 'C2, August');
select 1 from llm.adjust_usage('d0000000-0000-0000-0000-00000000000d', null, 60, 'D, August');
select tests.as_admin();
create temp table spend_reference on commit drop as
with ledger as (
  select date_trunc('month', a.reserved_at, 'UTC') as month_start, a.tenant_id, a.user_id, a.charged_micros as charged,
         case when a.state = 'held' then a.held_micros else 0 end as held, 0::bigint as adjusted
    from llm_private.attempts a
  union all
  select date_trunc('month', x.effective_at, 'UTC'), x.tenant_id, x.user_id, 0, 0, x.amount_micros from llm_private.adjustments x
), rows as (
  select month_start, tenant_id, user_id, sum(charged + adjusted)::bigint as spent, sum(held)::bigint as held, sum(adjusted)::bigint as adjusted
    from ledger where user_id is not null group by month_start, tenant_id, user_id
  union all
  select month_start, tenant_id, null, sum(charged + adjusted)::bigint, sum(held)::bigint, sum(adjusted)::bigint
    from ledger group by month_start, tenant_id
)
select r.month_start, r.tenant_id, r.user_id, r.spent, r.held,
       (select u.cap from llm.limit_usage u
         where u.meter_name = case when r.user_id is null then 'tenant_monthly' else 'user_monthly' end and u.tenant_id = r.tenant_id
           and u.user_id is not distinct from r.user_id and u.budget_scope is null and u.period_start = r.month_start) as cap,
       r.adjusted
  from rows r;
grant select on pg_temp.spend_reference to llm_auditor;
select ok((select count(*) from spend_reference where held > 0) >= 2 and (select count(*) from spend_reference where adjusted <> 0 and user_id is null) >= 4
          and exists (select from spend_reference where month_start = '2026-08-01 00:00+00' and tenant_id = 'd0000000-0000-0000-0000-00000000000d')
          and exists (select from spend_reference where cap is not null) and (select count(distinct tenant_id) from spend_reference) = 4,
  'the reference has held calls, tenant adjustments, a month of adjustments only and caps, over four tenants');
select tests.act_as_role('llm_auditor');
select is_empty($$select month_start, tenant_id, user_id, spent_micros, held_micros, cap_micros, adjusted_micros from llm.monthly_spend
                  except all select * from spend_reference$$,
  'monthly_spend: no row that two plain GROUP BYs over the ledger do not give (as the auditor)');
select is_empty($$select * from spend_reference
                  except all select month_start, tenant_id, user_id, spent_micros, held_micros, cap_micros, adjusted_micros from llm.monthly_spend$$,
  'monthly_spend: and every row they give, once');
select is_empty($$(select month_start, tenant_id, user_id, spent_micros, held_micros, cap_micros, adjusted_micros from llm.monthly_spend
                    where month_start = '2026-06-01 00:00+00' and tenant_id = 'c0000000-0000-0000-0000-00000000000c'
                   except all select * from spend_reference where month_start = '2026-06-01 00:00+00' and tenant_id = 'c0000000-0000-0000-0000-00000000000c')
                  union all
                  (select * from spend_reference where month_start = '2026-06-01 00:00+00' and tenant_id = 'c0000000-0000-0000-0000-00000000000c'
                   except all select month_start, tenant_id, user_id, spent_micros, held_micros, cap_micros, adjusted_micros from llm.monthly_spend
                    where month_start = '2026-06-01 00:00+00' and tenant_id = 'c0000000-0000-0000-0000-00000000000c')$$,
  'monthly_spend: so do one tenant''s rows of a month');
select results_eq($$select user_id, spent_micros from llm.monthly_spend where tenant_id = 'c0000000-0000-0000-0000-00000000000c'
                     and user_id = 'c1000000-0000-0000-0000-000000000001' order by month_start$$,
  $$select user_id, spent from spend_reference where tenant_id = 'c0000000-0000-0000-0000-00000000000c'
     and user_id = 'c1000000-0000-0000-0000-000000000001' order by month_start$$,
  'monthly_spend: and one user''s');
select tests.as_admin();

-- (soak review 85) The metrics read llm.limit_usage at every scrape, and each budget scope of the last 24 hours computed
-- its deadline by a call of its own (~0.15 ms each: 9 s per scrape at ~8 500 scopes a day). The span depends on the scope's
-- first request's tenant, user and endpoint only: computed once per distinct three, whatever the number of scopes.
set local track_functions = 'all';
select count(*) from (select tests.call(tests.tenant_a(), tests.user_a1(), 'memo-' || i, 'investigation', 'mock:tiny', 10,
                                        jsonb_build_object('budget_scope', 'memo-scope-' || i), 100) from generate_series(1, 60) i) x;
create temp table span_calls (n bigint) on commit drop;
insert into span_calls select coalesce(pg_stat_get_xact_function_calls('llm_private.budget_scope_span(uuid,uuid,llm_private.endpoint)'::regprocedure), 0);
select tests.act_as_role('llm_viewer');
select is((select count(distinct budget_scope) from llm.limit_usage where current and budget_scope like 'memo-scope-%' and period_end < 'infinity'), 60::bigint,
  'the 60 scopes are current, each with its deadline');
select tests.as_admin();
select cmp_ok(coalesce(pg_stat_get_xact_function_calls('llm_private.budget_scope_span(uuid,uuid,llm_private.endpoint)'::regprocedure), 0)
                 - (select n from span_calls), '<=', 5::bigint,
  'their deadlines took a few calls of llm_private.budget_scope_span, not one per scope');
-- (re-attack 88) A scope's usage rows are found by its key: through the primary key, which reaches only the tenant, each
-- scope read every usage row of its tenant (llm.budget_scopes: 95 s at 10^4 scopes). Migration 000054's index.
analyze llm_private.usage;  -- with statistics, as autovacuum keeps them (without any, the planner takes the first index)
select ok(pg_temp.plan_of($$select * from llm.budget_scopes where tenant_id = tests.tenant_a() and budget_scope = 'memo-scope-7'$$)
          ~ 'Index Scan using usage_\w+_tenant_id_budget_scope_idx',
  'a scope''s usage is looked up by tenant and budget scope (usage_tenant_scope_idx)');

/*
 * (scale: budget scopes) The dashboard and Grafana listed llm.budget_scopes ordered by state and deadline, columns computed
 * per scope: a tenant with 10^5 scopes paid for every one of them to see 200 (14-19 s at 5 * 10^4). llm.budget_scopes_page
 * lists them in that order (open ones first, nearest deadline first, none last; then the others newest first) at about the
 * page's cost: the open ones with a deadline among the scopes started within the longest deadline, those without one by the
 * endpoints that may have none, the others newest first; the next page starts after the last row's key (state, deadline_at,
 * started_at, tenant_id, budget_scope). Tenant B gets 40 scopes, each of a user of its own: a scope's deadline is computed
 * once per distinct first user (llm_private.budget_scope_span, counted), so its calls count the scopes whose figures were
 * computed.
 */
insert into llm_private.users (tenant_id, id)
select tests.tenant_b(), ('b4000000-0000-0000-0000-' || lpad(i::text, 12, '0'))::uuid from generate_series(1, 40) i;
select count(*) from (select tests.call(tests.tenant_b(), ('b4000000-0000-0000-0000-' || lpad(i::text, 12, '0'))::uuid, 'pg-' || i, 'investigation',
                                        'mock:tiny', 10, jsonb_build_object('budget_scope', 'pg-scope-' || lpad(i::text, 2, '0')), 100)
                        from generate_series(1, 40) i) x;
-- Two seconds later, a scope of B (b_only_deadline's 5 s): newer than the 40 (same 5 s), so its deadline is later.
select tests.freeze_clock(llm_private.now() + interval '2 seconds');
select tests.call(tests.tenant_b(), tests.user_b1(), 'pg-late', 'investigation', 'mock:tiny', 10, '{"budget_scope": "pg-late"}', 100);
analyze llm_private.budget_scopes;
select results_eq($$select first_endpoint::text, first_user_id from llm_private.budget_scopes where scope_key in ('pg-late', 'plan-idle') order by 1$$,
  $$values ('budget_optimization', tests.user_a2()), ('investigation', tests.user_b1())$$,
  'a scope keeps its first request''s endpoint and user, which its deadline depends on');
create function pg_temp.span_calls() returns bigint language sql volatile as $$
  select coalesce(pg_stat_get_xact_function_calls('llm_private.budget_scope_span(uuid,uuid,llm_private.endpoint)'::regprocedure), 0)
$$;
create temp table calls_before (n bigint) on commit drop;
select cmp_ok((select count(*) from llm.budget_scopes), '>', 100::bigint, 'more than 100 scopes, over two tenants');
select results_eq($$select state, count(*), count(deadline_at) from llm.budget_scopes group by 1 order by 1$$,
  $$values ('deadline_passed', 6::bigint, 6::bigint), ('open', 102, 101)$$,
  'open with a deadline (B''s 5 s, A1''s 90 s), open without one (plan-idle), past their deadline');
select results_eq($$select to_jsonb(p) from llm.budget_scopes_page(null, 7) p$$, $$select * from tests.scopes_in_order(null) limit 7$$,
  'the first page: the first 7 of the view, open ones first, nearest deadline first (B''s 40 before pg-late, the newest)');
select results_eq($$select * from tests.scopes_all_pages(null, 7)$$, $$select * from tests.scopes_in_order(null)$$,
  'pages of 7, each after the last row of the one before (within ties of deadline and start too), list every scope of every tenant once, in order, with the view''s figures');
select results_eq($$select * from tests.scopes_all_pages(tests.tenant_a(), 10)$$, $$select * from tests.scopes_in_order(tests.tenant_a())$$,
  'and of one tenant (pages of 10: open with a deadline, the one without, then the others)');
select results_eq($$select budget_scope from llm.budget_scopes_page(tests.tenant_b(), 3, 'open',
                     (select deadline_at from llm.budget_scopes where budget_scope = 'pg-scope-30'),
                     (select started_at from llm.budget_scopes where budget_scope = 'pg-scope-30'), tests.tenant_b(), 'pg-scope-30')$$,
  $$values ('pg-scope-29'), ('pg-scope-28'), ('pg-scope-27')$$, 'a page of 3 from the middle of 40 scopes of one deadline and start');
truncate calls_before;
insert into calls_before select pg_temp.span_calls();
select is((select count(*) from (select * from llm.budget_scopes where tenant_id = tests.tenant_b()
                                 order by state <> 'open', deadline_at nulls last, budget_scope limit 5) x), 5::bigint,
  'the dashboard''s former query, 5 rows');
select cmp_ok(pg_temp.span_calls() - (select n from calls_before), '>=', 40::bigint,
  'computed every scope of the tenant first (the counter sees the difference)');
-- Ten minutes on, every deadline has passed: the open scope without one first, then the others newest first.
select tests.freeze_clock(llm_private.now() + interval '10 minutes');
select results_eq($$select * from tests.scopes_all_pages(null, 7)$$, $$select * from tests.scopes_in_order(null)$$,
  'ten minutes on: pages of 7 list them in the view''s order again (plan-idle first)');
truncate calls_before;
insert into calls_before select pg_temp.span_calls();
select results_eq($$select budget_scope from llm.budget_scopes_page(tests.tenant_b(), 5, 'deadline_passed',
                     (select deadline_at from llm.budget_scopes where budget_scope = 'pg-scope-30'),
                     (select started_at from llm.budget_scopes where budget_scope = 'pg-scope-30'), tests.tenant_b(), 'pg-scope-30')$$,
  $$values ('pg-scope-29'), ('pg-scope-28'), ('pg-scope-27'), ('pg-scope-26'), ('pg-scope-25')$$,
  'a page of 5 from the middle of tenant B''s scopes');
select cmp_ok(pg_temp.span_calls() - (select n from calls_before), '<=', 6::bigint,
  'it computed the figures of those 5 scopes only, of the tenant''s 40+ (and the key''s deadline, an argument)');
truncate calls_before;
insert into calls_before select pg_temp.span_calls();
select is((select count(*) from llm.budget_scopes_page(tests.tenant_b(), 5)), 5::bigint, 'the first page of 5 of tenant B');
select cmp_ok(pg_temp.span_calls() - (select n from calls_before), '<=', 6::bigint,
  'computed about 5 scopes'' figures: none is open with a deadline, and B has no scope of an endpoint without one');
select tests.freeze_clock(llm_private.now() - interval '10 minutes');
-- The scopes are read through an index in the page's order from the key on, under the LIMIT (no sort of them all).
select ok(pg_temp.plan_of($$select * from llm.budget_scopes s where s.tenant_id = 'b0000000-0000-0000-0000-00000000000b'
                              and (s.started_at, s.budget_scope) < ('2026-03-16 00:00+00', 'pg-scope-30')
                            order by s.started_at desc, s.budget_scope desc limit 5$$)
          ~ 'Index Scan Backward using budget_scopes_(tenant_)?started_idx on llm_private\.budget_scopes b\s+Output: [^\n]+\s+Index Cond: [^\n]*ROW\(b\.started_at, b\.scope_key\) < ROW',
  'a page of one tenant starts at the key in an index in its order, newest first (budget_scopes_tenant_started_idx at scale)');
select ok(pg_temp.plan_of($$select * from llm.budget_scopes s where (s.started_at, s.tenant_id, s.budget_scope) < ('2026-03-16 00:00+00', tests.tenant_b(), 'pg-scope-30')
                            order by s.started_at desc, s.tenant_id desc, s.budget_scope desc limit 5$$)
          ~ 'Index Scan Backward using budget_scopes_started_idx on llm_private\.budget_scopes b\s+Output: [^\n]+\s+Index Cond: \(ROW\(b\.started_at, b\.tenant_id, b\.scope_key\) < ROW',
  'and of every tenant in budget_scopes_started_idx');
-- (no sort, no bitmap: on a few rows the planner would take either; at scale it takes the index, EXPLAIN of the report)
create function pg_temp.ordered_plan_of(p_query text) returns text language plpgsql as $$
declare
  t text;
begin
  set local enable_sort = off;
  set local enable_bitmapscan = off;
  t := pg_temp.plan_of(p_query);
  reset enable_sort;
  reset enable_bitmapscan;
  return t;
end $$;
select ok(pg_temp.ordered_plan_of($$select b.scope_key from llm_private.budget_scopes b where b.tenant_id = 'b0000000-0000-0000-0000-00000000000b'
                              and b.first_endpoint = 'budget_optimization' and (b.started_at, b.scope_key) < ('2026-03-16 00:00+00', 'x')
                            order by b.started_at desc, b.scope_key desc limit 5$$)
          ~ 'Index (Only )?Scan Backward using budget_scopes_(tenant_)?endpoint_started_idx on llm_private\.budget_scopes b\s+Output: [^\n]+\s+Index Cond: [^\n]*ROW\(b\.started_at, b\.scope_key\) < ROW',
  'the scopes of an endpoint that may have no deadline, of one tenant, newest first from the key (budget_scopes_tenant_endpoint_started_idx at scale)');
select ok(pg_temp.ordered_plan_of($$select b.scope_key from llm_private.budget_scopes b where b.first_endpoint = 'budget_optimization'
                              and (b.started_at, b.tenant_id, b.scope_key) < ('2026-03-16 00:00+00', tests.tenant_b(), 'x')
                            order by b.started_at desc, b.tenant_id desc, b.scope_key desc limit 5$$)
          ~ 'Index (Only )?Scan Backward using budget_scopes_endpoint_started_idx on llm_private\.budget_scopes b\s+Output: [^\n]+\s+Index Cond: [^\n]*ROW\(b\.started_at, b\.tenant_id, b\.scope_key\) < ROW',
  'and of every tenant (budget_scopes_endpoint_started_idx)');
select tests.act_as_role('llm_viewer');
select results_eq($$select budget_scope from llm.budget_scopes_page(tests.tenant_b(), 3)$$,
  $$values ('pg-scope-40'), ('pg-scope-39'), ('pg-scope-38')$$, 'the dashboard''s login reads a page of one tenant');
select throws_ok($$select * from llm.budget_scopes_page(null, 0)$$, '22023', null, 'a page is 1 .. 10 000 rows');
select throws_ok($$select * from llm.budget_scopes_page(null, 5, 'open', null, '2026-03-15 10:30:00+00', null, 'pg-scope-30')$$, '22023', null,
  'the key to continue after is the whole of the last row''s (state, deadline_at, started_at, tenant_id, budget_scope)');
select throws_ok($$select * from llm.budget_scopes_page(null, 5, 'closed', null, '2026-03-15 10:30:00+00', tests.tenant_b(), 'pg-scope-30')$$,
  '22023', null, 'a state of the view''s');
select throws_ok($$select * from llm.budget_scopes_page(tests.tenant_a(), 5, 'open', null, '2026-03-15 10:30:00+00', tests.tenant_b(), 'pg-scope-30')$$,
  '22023', null, 'and of the tenant listed');
select tests.act_as_app(tests.tenant_a(), tests.user_a1());
select throws_ok($$select * from llm.budget_scopes_page(null, 5)$$, '42501', null, 'the application may not list scopes (as llm.budget_scopes)');
select tests.as_admin();

/*
 * (scale: budget scopes) The metrics' llm_limit_used_ratio_max read llm.limit_usage where current at every scrape: every
 * budget scope of the last 24 hours computed its usage, limit and deadline (~0.11 ms each, 12-14 s at 5 * 10^4: past the
 * read's 5 s timeout, the metrics NaN). llm.limit_use_maxima reads global, tenant and user periods as before, and of the
 * budget scopes only those whose usage crossed an alert threshold in the last 24 hours, the newest p_budget_scopes
 * crossings, and counts the rest.
 */
select results_eq($$select scope, used_ratio_max, crossings_unread from llm.limit_use_maxima(200) where scope <> 'budget_scope' order by 1$$,
  $$select scope, max(used_pct) / 100, 0::bigint from llm.limit_usage where current and used_pct is not null and scope <> 'budget_scope'
     group by 1 order by 1$$,
  'global, tenant and user: the highest used/cap of every current period, as llm.limit_usage says');
truncate calls_before;
insert into calls_before select pg_temp.span_calls();
select results_eq($$select used_ratio_max, crossings_unread from llm.limit_use_maxima(200) where scope = 'budget_scope'$$,
  $$values (null::numeric, 0::bigint)$$, 'no budget scope crossed a threshold in the last 24 hours: nothing known above them, none left out');
select cmp_ok(pg_temp.span_calls() - (select n from calls_before), '<=', 1::bigint,
  'and no budget scope''s figures were computed, of the 40+ current ones');
truncate calls_before;
insert into calls_before select pg_temp.span_calls();
select ok((select count(*) from (select scope, max(used_pct) from llm.limit_usage where current and used_pct is not null group by 1) x) > 0,
  'the metrics'' former query');
select cmp_ok(pg_temp.span_calls() - (select n from calls_before), '>=', 40::bigint,
  'computed every current scope (the counter sees the difference)');
-- Three of B's scopes cross investigation_budget's 80 % (of 300 000), a second apart: 90 %, then 80 %, then 85 %.
select tests.freeze_clock(llm_private.now() + interval '1 second');
select tests.call(tests.tenant_b(), tests.user_b1(), 'hot-1', 'investigation', 'mock:large', 8000, '{"budget_scope": "hot-1"}', 3000);
select is((select cost_micros from tests.settle(tests.request_pk('hot-1'), 1, 'ok', 3000, 0, 8000)), 270000::bigint, 'hot-1: 90 %');
select tests.freeze_clock(llm_private.now() + interval '1 second');
select tests.call(tests.tenant_b(), tests.user_b1(), 'hot-2', 'investigation', 'mock:large', 8000, '{"budget_scope": "hot-2"}', 3000);
select is((select cost_micros from tests.settle(tests.request_pk('hot-2'), 1, 'ok', 3000, 0, 7000)), 240000::bigint, 'hot-2: 80 %');
select tests.freeze_clock(llm_private.now() + interval '1 second');
select tests.call(tests.tenant_b(), tests.user_b1(), 'hot-3', 'investigation', 'mock:large', 8000, '{"budget_scope": "hot-3"}', 3000);
select is((select cost_micros from tests.settle(tests.request_pk('hot-3'), 1, 'ok', 3000, 0, 7500)), 255000::bigint, 'hot-3: 85 %');
select results_eq($$select budget_scope, threshold_pct::integer from llm.alerts where budget_scope like 'hot-%' order by fired_at$$,
  $$values ('hot-1', 80), ('hot-2', 80), ('hot-3', 80)$$, 'each crossed 80 %, one alert each');
select results_eq($$select used_ratio_max, crossings_unread from llm.limit_use_maxima(200) where scope = 'budget_scope'$$,
  $$select max(used_pct) / 100, 0::bigint from llm.limit_usage where current and budget_scope like 'hot-%'$$,
  'budget scopes: the highest of those that crossed (0.90), as llm.limit_usage says; none left out');
truncate calls_before;
insert into calls_before select pg_temp.span_calls();
select results_eq($$select used_ratio_max, crossings_unread from llm.limit_use_maxima(2) where scope = 'budget_scope'$$,
  $$values (0.85::numeric, 1::bigint)$$, 'bounded to the newest 2 crossings: hot-3''s 85 % and hot-2''s 80 %; hot-1''s is counted, not read');
select cmp_ok(pg_temp.span_calls() - (select n from calls_before), '<=', 3::bigint, 'it computed those 2 scopes'' figures only');
select tests.freeze_clock(llm_private.now() + interval '2 minutes');
select results_eq($$select used_ratio_max from llm.limit_use_maxima(200) where scope = 'budget_scope'$$, $$values (null::numeric)$$,
  'past their deadline (B''s 5 s, b_only_deadline) they are no longer current');
select throws_ok($$select * from llm.limit_use_maxima(0)$$, '22023', null, 'p_budget_scopes is 1 .. 10 000');
select tests.act_as_app(tests.tenant_a(), tests.user_a1());
select throws_ok($$select * from llm.limit_use_maxima()$$, '42501', null, 'the application may not run it (the metrics'' readers do)');
select tests.as_admin();

select * from finish();
rollback;
