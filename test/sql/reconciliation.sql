-- The reconciliation sums the ledger exactly per usage key (llm.reconciliation_drift): whatever a key depends on (the
-- tenant, the user, the shard, the budget scope, the minute, hour, day, week, month or quarter of the reserve), the view finds the
-- keys the usage triggers counted on, and nothing else. The view sums the attempts first per what their keys depend on,
-- then finds each group's keys (bench/PROFILE.md §12); here it is checked against a reference that finds the key of every
-- attempt and meter one by one, as the view did before (sql/api/110-audit-views.sql at 5c4cd6a), on a ledger whose rows are
-- then moved, by hand, across each kind of period boundary.
begin;
select plan(21);
select tests.seed();
select is((select m.name from llm_private.limits l join llm_private.meters m on m.id = l.meter_id where l.id = 5), 'user_monthly',
  'limit 5 is the default user_monthly cap (ended below)');

-- The reference: every attempt and meter through usage_key and the amount functions, one by one.
create temp view drift_reference as
  -- The clock, read once: every bound below is the same instant (read in each, they could fall on both sides of a month's end).
  -- last_month: its first instant in UTC. date_trunc(..., 'UTC') - interval '1 month' subtracted the month in the reader's
  -- TimeZone, and after a clock change (Europe/Berlin, April) it gave 01:00Z: last month's rows left both sides, 0 rows.
  with clock as materialized (select c.now, llm_private.month_start(llm_private.month_index(c.now) - 1) as last_month
                                from (select llm_private.now() as now) c),
  expected as (
    select k.k_tenant, m.id as meter_id, k.k_user, k.k_scope, k.k_period, k.k_shard,
           sum(case when a.state = 'held'
                    then llm_private.held_amount(m.unit, a.held_micros, a.input_tokens_estimate, a.max_output_tokens, a.purpose, a.holds_least_charge) else 0 end) as held,
           sum(llm_private.charged_amount(m.unit, a.state, a.charged_micros, a.usage_unknown, a.input_tokens_estimate, a.max_output_tokens,
                 a.input_tokens, a.cached_input_tokens, a.output_tokens, a.purpose)) as spent
      from llm_private.attempts a
      cross join lateral unnest(a.meter_ids) mid
      join llm_private.meters m on m.id = mid
      -- The request's budget scope, and the scope's start, for a meter of a budget scope only: one request by its key (the
      -- LIMIT keeps it a lookup the planner does not turn into a join). Joined for every attempt, every request of the two
      -- months was hashed and spilled to disk: 170 MB at 10^6 calls, past the logins' 2 GB temp_file_limit at ~10^7.
      left join lateral (select q.budget_scope, b.started_at
                           from llm_private.requests q
                           left join llm_private.budget_scopes b on b.tenant_id = q.tenant_id and b.scope_key = q.budget_scope
                          where (m.scope = 'budget_scope' or m."window" = 'budget_scope')
                            and q.tenant_id = a.tenant_id and q.id = a.request_pk
                          limit 1) s on true
      cross join lateral llm_private.usage_key(m.scope, m."window", m.shards, a.tenant_id, a.user_id, s.budget_scope, s.started_at, a.reserved_at) k
     -- The bound a scalar subquery, computed once: written bare, llm_private.now() (PL/pgSQL) ran for every attempt and
     -- meter in the filters it was left in, about half of the view's time (review at scale, 2026-11-27).
     where a.request_pk >= (select (llm_private.month_index(k.now) - 2)::bigint << 40 from clock k)
     group by 1, 2, 3, 4, 5, 6
    union all
    select k.k_tenant, m.id, k.k_user, k.k_scope, k.k_period, k.k_shard, 0, sum(x.amount_micros)
      from llm_private.adjustments x
      cross join lateral unnest(x.meter_ids) mid
      join llm_private.meters m on m.id = mid
      cross join lateral llm_private.usage_key(m.scope, m."window", m.shards, x.tenant_id, x.user_id, '', null, x.effective_at) k
     where x.effective_at >= (select k.last_month from clock k)
     group by 1, 2, 3, 4, 5, 6
  ), expected_total as (
    select e.k_tenant, e.meter_id, e.k_user, e.k_scope, e.k_period, e.k_shard, sum(e.held)::bigint as held, sum(e.spent)::bigint as spent
      from expected e group by 1, 2, 3, 4, 5, 6
  ), recent as (
    select u.* from llm_private.usage u
     where u.period_start >= (select k.last_month from clock k)
  )
  select case when u.meter_id is null then 'missing_usage_row' when u.held <> coalesce(e.held, 0) then 'held' else 'spent' end as kind,
         nullif(coalesce(u.tenant_id, e.k_tenant), llm_private.nil_uuid()) as tenant_id, m.name as meter_name,
         nullif(coalesce(u.user_id, e.k_user), llm_private.nil_uuid()) as user_id, nullif(coalesce(u.budget_scope, e.k_scope), '') as budget_scope,
         coalesce(u.period_start, e.k_period) as period_start, coalesce(u.shard, e.k_shard) as shard,
         case when u.held <> coalesce(e.held, 0) then u.held else u.spent end as usage_value,
         case when u.held <> coalesce(e.held, 0) then coalesce(e.held, 0) else coalesce(e.spent, 0) end as ledger_value,
         m.unit::text as unit
    from recent u
    full join (select * from expected_total where k_period >= (select k.last_month from clock k)) e
      on e.k_tenant = u.tenant_id and e.meter_id = u.meter_id and e.k_user = u.user_id and e.k_scope = u.budget_scope
     and e.k_period = u.period_start and e.k_shard = u.shard
    join llm_private.meters m on m.id = coalesce(u.meter_id, e.meter_id)
   where u.meter_id is null or u.held <> coalesce(e.held, 0) or u.spent <> coalesce(e.spent, 0);;

-- Meters of every shape the view groups by, each with a cap no call reaches.
select tests.act_as_role('llm_operator');
select llm.define_meter('rc_minute_calls', 'tenant', 'minute', 'calls');
select llm.define_meter('rc_hourly', 'tenant', 'hour', 'micros');
select llm.define_meter('rc_daily_tokens', 'user', 'day', 'tokens');
select llm.define_meter('rc_sharded_daily', 'tenant', 'day', 'micros', p_shards => 4);
select llm.define_meter('rc_weekly_calls', 'tenant', 'week', 'calls');
select llm.define_meter('rc_quarter', 'tenant', 'quarter', 'micros');
select llm.define_meter('rc_global_monthly', 'global', 'month', 'micros', p_shards => 4);
select llm.define_meter('rc_scope_calls', 'budget_scope', 'budget_scope', 'calls');
-- No user_monthly limit: B's calls count on no user meter, only on tenant meters sharded by user (tenant_monthly: 8 shards).
select llm.end_limit(5);
-- The hourly and daily ones for tenant A only: B's calls count on weeks, months and quarters only.
select llm.set_limit(m, 1000000000000, tests.tenant_a()) from unnest(array['rc_minute_calls', 'rc_hourly', 'rc_daily_tokens', 'rc_sharded_daily']) m;
select llm.set_limit(m, 1000000000000) from unnest(array['rc_weekly_calls', 'rc_quarter', 'rc_global_monthly', 'rc_scope_calls']) m;
select tests.as_admin();

-- Calls around the end of March 2026 (Monday March 30 to Thursday April 2: one ISO week across a month's and a quarter's end).
select tests.freeze_clock('2026-03-30 10:15:00+00');
select 1 from tests.call(tests.tenant_a(), tests.user_a1(), 'rc-1');
select 1 from tests.settle(tests.request_pk('rc-1'), 1, 'ok', 1000, 0, 500);
select tests.freeze_clock('2026-03-30 11:45:00+00');
select 1 from tests.call(tests.tenant_a(), tests.user_a2(), 'rc-2');
select 1 from tests.settle(tests.request_pk('rc-2'), 1, 'ok', 800, 100, 300);
select tests.freeze_clock('2026-03-31 23:30:00+00');
select 1 from tests.call(tests.tenant_a(), tests.user_a1(), 'rc-3');
select 1 from tests.settle(tests.request_pk('rc-3'), 1, 'timeout', null, null, null, null);
select tests.freeze_clock('2026-04-01 00:30:00+00');
select 1 from tests.call(tests.tenant_b(), tests.user_b1(), 'rc-4');
select tests.freeze_clock('2026-04-02 09:00:00+00');
select 1 from tests.call(tests.tenant_a(), tests.user_a2(), 'rc-5');
select 1 from tests.settle(tests.request_pk('rc-5'), 1, 'ok', 1200, 0, 700);
select tests.freeze_clock('2026-04-02 09:30:00+00');
select 1 from tests.call(tests.tenant_b(), tests.user_b1(), 'rc-6', 'investigation', 'mock:tiny', 10, '{"budget_scope": "rc-scope"}', 10);
select 1 from tests.settle(tests.request_pk('rc-6'), 1, 'ok', 10, 0, 10);
select 1 from tests.call(tests.tenant_b(), tests.user_b1(), 'rc-7', 'investigation', 'mock:tiny', 10, '{"budget_scope": "rc-scope"}', 10);
select tests.freeze_clock('2026-04-02 12:00:00+00');

select ok((select count(*) from llm_private.attempts where state = 'held') = 2
          and (select count(*) from llm_private.attempts where usage_unknown) = 1
          and (select count(distinct m) from llm_private.attempts, unnest(meter_ids) m) = 11,
  'the ledger: settled calls, one of unknown usage, two holds, on the eleven meters with a limit');
select is((select count(*) from llm.reconciliation_drift), 0::bigint, 'the usage rows agree with the ledger: no drift');
select is((select count(*) from drift_reference), 0::bigint, 'nor does the reference find any');

-- Each change below is made by hand, triggers off (what a superuser could do), and undone after its checks.
select tests.as_admin();
set local session_replication_role = replica;

-- A minute later, the same hour: only the meter per minute moves.
update llm_private.attempts set reserved_at = reserved_at + interval '1 minute' where request_pk = tests.request_pk('rc-1');
select set_eq($$select distinct meter_name, period_start from llm.reconciliation_drift$$,
  $$values ('rc_minute_calls', '2026-03-30 10:15+00'::timestamptz), ('rc_minute_calls', '2026-03-30 10:16+00')$$,
  'a call moved by a minute: the minutes it left and joined on the meter per minute, and no other');
select set_eq($$select * from llm.reconciliation_drift$$, $$select * from drift_reference$$, 'the same rows and values as the reference');
update llm_private.attempts set reserved_at = reserved_at - interval '1 minute' where request_pk = tests.request_pk('rc-1');

-- An hour later, the same day: only the hourly meters move (and the one per minute).
update llm_private.attempts set reserved_at = reserved_at + interval '1 hour' where request_pk = tests.request_pk('rc-1');
select set_eq($$select distinct meter_name, period_start from llm.reconciliation_drift$$,
  $$values ('rc_hourly', '2026-03-30 10:00+00'::timestamptz), ('rc_hourly', '2026-03-30 11:00+00'),
          ('rc_minute_calls', '2026-03-30 10:15+00'), ('rc_minute_calls', '2026-03-30 11:15+00')$$,
  'a call moved by an hour: the hours it left and joined on the hourly meter, and no daily, weekly, monthly or quarterly one');
select set_eq($$select * from llm.reconciliation_drift$$, $$select * from drift_reference$$, 'the same rows and values as the reference');
update llm_private.attempts set reserved_at = reserved_at - interval '1 hour' where request_pk = tests.request_pk('rc-1');

-- An hour later across midnight, the month's and the quarter's end, within the week.
update llm_private.attempts set reserved_at = reserved_at + interval '1 hour' where request_pk = tests.request_pk('rc-3');
select set_eq($$select distinct meter_name from llm.reconciliation_drift$$,
  $$values ('rc_minute_calls'), ('rc_hourly'), ('rc_daily_tokens'), ('rc_sharded_daily'), ('tenant_monthly'), ('rc_quarter'), ('rc_global_monthly')$$,
  'a call moved across midnight on March 31: every hourly, daily, monthly and quarterly meter moves; the weekly one does not');
select set_eq($$select distinct period_start from llm.reconciliation_drift where meter_name = 'rc_quarter'$$,
  $$values ('2026-04-01 00:00+00'::timestamptz)$$,
  'the quarter it joined (the one it left started before last month, outside what the view reconciles)');
select set_eq($$select * from llm.reconciliation_drift$$, $$select * from drift_reference$$, 'the same rows and values as the reference');
update llm_private.attempts set reserved_at = reserved_at - interval '1 hour' where request_pk = tests.request_pk('rc-3');

-- B's hold an hour back, across the month's end, within the week; B has no hourly or daily meter.
update llm_private.attempts set reserved_at = reserved_at - interval '1 hour' where request_pk = tests.request_pk('rc-4');
select set_eq($$select distinct meter_name from llm.reconciliation_drift$$,
  $$values ('tenant_monthly'), ('rc_quarter'), ('rc_global_monthly')$$,
  'a call of a tenant without hourly or daily meters moved across the month''s end: its monthly and quarterly meters move, its weekly one does not');
select set_eq($$select * from llm.reconciliation_drift$$, $$select * from drift_reference$$, 'the same rows and values as the reference');
update llm_private.attempts set reserved_at = reserved_at + interval '1 hour' where request_pk = tests.request_pk('rc-4');

-- Into the next week, the same month and day of the week's end: the weekly meter moves.
update llm_private.attempts set reserved_at = reserved_at + interval '7 days' where request_pk = tests.request_pk('rc-5');
select ok(exists (select 1 from llm.reconciliation_drift where meter_name = 'rc_weekly_calls' and period_start = '2026-04-06 00:00+00'),
  'a call moved a week on: the weekly meter''s next week has no usage row');
select set_eq($$select * from llm.reconciliation_drift$$, $$select * from drift_reference$$, 'the same rows and values as the reference');
update llm_private.attempts set reserved_at = reserved_at - interval '7 days' where request_pk = tests.request_pk('rc-5');

-- Another user of the same tenant: the user meters move, and a tenant meter sharded by user where the shard differs.
update llm_private.attempts set user_id = tests.user_a1() where request_pk = tests.request_pk('rc-5');
-- Each row says the unit of its two values (the dashboard showed a micro-USD drift as a bare number, like a count of calls).
select set_eq($$select distinct meter_name, unit from llm.reconciliation_drift$$,
  $$values ('rc_daily_tokens', 'tokens'), ('rc_sharded_daily', 'micros'), ('tenant_monthly', 'micros')$$,
  'each drift row names its meter''s unit (tokens, micro-USD)');
select ok(exists (select 1 from llm.reconciliation_drift where meter_name = 'rc_daily_tokens' and user_id = tests.user_a1())
          and exists (select 1 from llm.reconciliation_drift where meter_name = 'rc_daily_tokens' and user_id = tests.user_a2())
          and not exists (select 1 from llm.reconciliation_drift where meter_name in ('rc_hourly', 'rc_quarter', 'rc_weekly_calls')),
  'a call given to another user: both users'' meters move, the tenant''s unsharded ones do not');
select set_eq($$select * from llm.reconciliation_drift$$, $$select * from drift_reference$$,
  'the same rows and values as the reference, sharded meters included');
update llm_private.attempts set user_id = tests.user_a2() where request_pk = tests.request_pk('rc-5');

-- Another budget scope for a request, and a hold let go of by hand: the scope's meters, and the holds.
update llm_private.requests set budget_scope = 'rc-other' where id = tests.request_pk('rc-6');
update llm_private.attempts set state = 'released', ended_at = llm_private.now() where request_pk = tests.request_pk('rc-7');
select ok(exists (select 1 from llm.reconciliation_drift where meter_name = 'rc_scope_calls' and budget_scope = 'rc-scope')
          and exists (select 1 from llm.reconciliation_drift where kind = 'held'),
  'a request moved to another budget scope, and a hold released without its usage: both show');
select set_eq($$select * from llm.reconciliation_drift$$, $$select * from drift_reference$$, 'the same rows and values as the reference');

set local session_replication_role = origin;
select tests.freeze_clock('2026-04-02 12:00:00+00');
-- The attempts are summed once per group (tenant, user where needed, meters, budget scope and its start, hour, day or month)
-- before their meters are expanded. Grouped by the request instead of its scope, a ledger of 10^7 calls naming a scope had a
-- group per call and wrote 1.6 GB of temporary files per check (review of c8dcdec).
create function pg_temp.plan_of(p_query text) returns text language plpgsql as $$
declare
  r text;
  t text := '';
begin
  for r in execute 'explain (verbose, costs off) ' || p_query loop t := t || r || E'\n'; end loop;
  return t;
end $$;
select ok(pg_temp.plan_of($$select * from llm.reconciliation_drift$$)
          ~ 'Group Key: a(_\d+)?\.tenant_id, \(?CASE WHEN \(\(?a(_\d+)?\.meter_ids && n(_\d+)?\.user_ids\)\)? THEN a(_\d+)?\.user_id ELSE NULL::uuid END\)?, a(_\d+)?\.meter_ids, q(_\d+)?\.budget_scope, b(_\d+)?\.started_at, ',
  'the view groups the attempts by what their keys depend on (a budget scope and its start, not the request), before it expands their meters');
select * from finish();
rollback;
