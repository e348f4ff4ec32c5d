-- The minute's sweep (llm.evaluate_limits): a sharded meter's crossing that no settle saw fires, and a subject with nothing
-- left to fire is not evaluated again each minute (review at scale: every active tenant was, 0.8 s at 10^4 tenants).
begin;
select plan(40);
select tests.seed();

-- Tenant A on a meter of 8 shards: 100 000 a month, soft (spend is never refused), an alert at 50 % and a shutoff at 100 %.
-- A settle (or a debit) sums the shards only when its own shard crosses its share of a threshold (6 250 of 12 500 here).
select tests.act_as_role('llm_operator');
select ok(llm.define_meter('tenant_month_ev', 'tenant', 'month', 'micros', p_shards => 8) > 0, 'a tenant meter of 8 shards');
select ok(llm.set_limit('tenant_month_ev', 100000, tests.tenant_a(), p_kind => 'soft', p_alert_pcts => '{50}', p_trips_shutoff => true) > 0,
  'tenant A: 100 000 a month, an alert at 50 %, a shutoff at 100 %');
-- A2's shard first (it checks at its first spend, then at 6 250), A1's shard past all its levels (47 000), then A2's again:
-- the total reaches 51 000 on a debit whose shard crosses nothing.
select llm.adjust_usage(tests.tenant_a(), tests.user_a2(), 1000, 'spent elsewhere');
select llm.adjust_usage(tests.tenant_a(), tests.user_a1(), 7000, 'spent elsewhere');
select llm.adjust_usage(tests.tenant_a(), tests.user_a1(), 40000, 'spent elsewhere');
select llm.adjust_usage(tests.tenant_a(), tests.user_a2(), 3000, 'spent elsewhere');
select tests.as_admin();

create temporary view ev_alerts as
  select a.threshold_pct, a.used, a.cap from llm_private.alerts a join llm_private.meters m on m.id = a.meter_id
   where m.name = 'tenant_month_ev';
create temporary view ev_windows as
  select w.id, w.tenant_id, w.user_id, w.cancelled_at is not null as cancelled
    from llm_private.shutoff_windows w join llm_private.limits l on l.id = w.limit_id join llm_private.meters m on m.id = l.meter_id
   where m.name = 'tenant_month_ev';
create temporary view ev_windows_all as
  select w.tenant_id, w.user_id, w.limit_id from llm_private.shutoff_windows w where w.kind = 'tripped';
grant select on ev_alerts, ev_windows, ev_windows_all to public;

select is((select sum(u.spent) from llm_private.usage u join llm_private.meters m on m.id = u.meter_id where m.name = 'tenant_month_ev'),
  51000::numeric, '51 000 spent of 100 000, on two shards');
select is((select count(*) from ev_alerts), 0::bigint, 'no alert yet: the last debit''s shard crossed none of its own levels');

select tests.act_as_role('llm_operator');
select is(llm.evaluate_limits(), 1,
  'the sweep evaluates one subject: A on this meter (A''s and its users'' other meters have nothing to fire)');
select results_eq($$select threshold_pct, used, cap from ev_alerts$$, $$values (50::smallint, 51000::bigint, 100000::bigint)$$,
  'and its 50 % alert fires, with the total');
select is(llm.evaluate_limits(), 0,
  'the next minute evaluates nobody: every threshold reached has fired (it evaluated every current subject of a sharded meter)');

-- Past the cap, on A1's shard, which has no level left to check: the trip is the sweep's.
select llm.adjust_usage(tests.tenant_a(), tests.user_a1(), 50000, 'spent elsewhere');
select is((select count(*) from ev_windows), 0::bigint, '101 000 spent: no window yet');
select is(llm.evaluate_limits(), 1, 'the sweep evaluates A again');
select results_eq($$select tenant_id, user_id, cancelled from ev_windows$$, $$values (tests.tenant_a(), null::uuid, false)$$,
  'and trips A''s shutoff, tenant-wide');
select tests.as_admin();
select is((select decision || '/' || reason from tests.call(tests.tenant_a(), tests.user_a2(), 'ev-1')), 'block/shutoff',
  'A''s next call is refused');
select tests.act_as_role('llm_operator');
select is(llm.evaluate_limits(), 0, 'the next minute evaluates nobody: the period''s trip is taken');

-- An operator's cancel stands: the subject is still over the cap, and is not tripped (nor evaluated) again.
select ok(llm.cancel_shutoff((select id from ev_windows), 'limit raised'), 'an operator cancels the window');
select is(llm.evaluate_limits(), 0, 'the sweep leaves the cancelled period alone');
select results_eq($$select tenant_id, cancelled from ev_windows$$, $$values (tests.tenant_a(), true)$$, 'one window, still cancelled');

-- A crossing of another tenant's subject is the only one evaluated.
select llm.adjust_usage(tests.tenant_b(), tests.user_b1(), 60000, 'spent elsewhere');
select is(llm.evaluate_limits(), 0, 'tenant B has no limit on this meter: nothing to evaluate (its tenant_monthly is far below 80 %)');

-- A re-cap checks the alerts again (each shard's next_alert_at back to 0); the sweep's own check moves them on, as a
-- settle would. Left at 0, every subject of a changed default limit was evaluated each minute until its next settle.
select llm.set_limit('user_monthly', 20000000, null);
select is(llm.evaluate_limits(), 3, 'the default user cap lowered: the three users with spend this month are re-capped');
select is(llm.evaluate_limits(), 0, 'and the next minute evaluates nobody (it evaluated the three again, every minute)');
select llm.set_limit('tenant_monthly', 400000000, null);
select is(llm.evaluate_limits(), 2, 'the default tenant cap lowered (8 shards): tenants A and B are re-capped');
select is(llm.evaluate_limits(), 0, 'and the next minute evaluates nobody');
-- A cap lowered under the spend still fires, on that check: B1 spent 60 000; 70 000 makes it 86 %.
select llm.set_limit('user_monthly', 70000, tests.tenant_b(), tests.user_b1());
select is(llm.evaluate_limits(), 1, 'B1''s own cap of 70 000: B1 is re-capped');
select results_eq($$select a.threshold_pct, a.used, a.cap from llm_private.alerts a join llm_private.meters m on m.id = a.meter_id
                     where m.name = 'user_monthly' and a.user_id = tests.user_b1()$$,
  $$values (80::smallint, 60000::bigint, 70000::bigint)$$, 'and its 80 % alert fires');
select is(llm.evaluate_limits(), 0, 'once');

-- A crossing no settle saw, committed after a period's last run, is found by the first run after it ended (a day meter:
-- 51 000 of 100 000 spent between 23:58 and 23:59, the sweep at 00:02).
select ok(llm.define_meter('tenant_day_ev', 'tenant', 'day', 'micros', p_shards => 8) > 0, 'a tenant day meter of 8 shards');
select ok(llm.set_limit('tenant_day_ev', 100000, tests.tenant_a(), p_kind => 'soft', p_alert_pcts => '{50}') > 0, 'A: 100 000 a day');
select tests.as_admin();
select tests.freeze_clock('2026-03-15 23:58:00+00');
select tests.act_as_role('llm_operator');
select llm.evaluate_limits();
select llm.adjust_usage(tests.tenant_a(), tests.user_a2(), 1000, 'spent elsewhere');
select llm.adjust_usage(tests.tenant_a(), tests.user_a1(), 7000, 'spent elsewhere');
select llm.adjust_usage(tests.tenant_a(), tests.user_a1(), 40000, 'spent elsewhere');
select llm.adjust_usage(tests.tenant_a(), tests.user_a2(), 3000, 'spent elsewhere');
select tests.as_admin();
select tests.freeze_clock('2026-03-16 00:02:00+00');
select tests.act_as_role('llm_operator');
select is(llm.evaluate_limits(), 1, 'at 00:02 the sweep evaluates A''s day that ended');
select results_eq($$select a.period_start, a.threshold_pct, a.used from llm_private.alerts a join llm_private.meters m on m.id = a.meter_id
                     where m.name = 'tenant_day_ev'$$,
  $$values ('2026-03-15 00:00:00+00'::timestamptz, 50::smallint, 51000::bigint)$$, 'and fires its 50 % alert, for that day');
select tests.as_admin();
select tests.freeze_clock('2026-03-16 00:15:00+00');
select tests.act_as_role('llm_operator');
select is(llm.evaluate_limits(), 0, 'nothing more, then or once the day is 10 minutes gone');
select is((select array_to_string(proconfig, ',') from pg_catalog.pg_proc where oid = 'llm.evaluate_limits()'::regprocedure),
  'search_path=pg_catalog,jit=off', 'its query is never JIT-compiled (~0.9 s a run for a ~0.1 s query)');

-- A trip compared with an older cap (a reserve raised it after the sweep's snapshot) is skipped, not an error: the window
-- guard raised LG005, and the whole sweep stopped with it (review of 2026-11-27). A wrong limit still raises.
select tests.as_admin();
select tests.freeze_clock('2026-03-16 10:00:00+00');
select tests.act_as_role('llm_operator');
select set_config('tests.l_a2', llm.set_limit('user_monthly', 100000, tests.tenant_a(), tests.user_a2(), 'soft', p_trips_shutoff => true)::text, true);
select llm.evaluate_limits();
select lives_ok(format($q$insert into llm_private.shutoff_windows (scope, tenant_id, user_id, kind, starts_at, ends_at, reason, limit_id)
                          values ('user', %L, %L, 'tripped', llm_private.now(), llm_private.now() + interval '1 hour', 'stale', %s)$q$,
                       tests.tenant_a(), tests.user_a2(), current_setting('tests.l_a2')),
  'a trip of A2 under its own limit, spent 8 000 of 100 000: skipped, not an error');
select is((select count(*) from ev_windows_all where user_id = tests.user_a2()), 0::bigint, 'and no window');
select throws_ok(format($q$insert into llm_private.shutoff_windows (scope, tenant_id, user_id, kind, starts_at, ends_at, reason, limit_id)
                           values ('user', %L, %L, 'tripped', llm_private.now(), llm_private.now() + interval '1 hour', 'forged', %s)$q$,
                        tests.tenant_b(), tests.user_b1(), current_setting('tests.l_a2')),
  'LG005', null, 'one naming a limit its subject was never held under still raises');

-- A debit under a limit renamed with the same cap (usage_prepare keeps the rows' id when the cap is the same): its trip
-- named the new limit, which the rows did not name, and the guard refused the debit (LG005); passing the rows' limit
-- instead alerted at the ended limit's percentages and tripped only at the next sweep (reviews of 2026-11-27). The debit
-- names the limit in effect on the rows first, as a re-cap does.
select set_config('tests.l_a2a', llm.set_limit('user_monthly', 100000, tests.tenant_a(), tests.user_a2(), 'soft', p_alert_pcts => '{50}')::text, true);
select llm.evaluate_limits();
select set_config('tests.l_a2b', llm.set_limit('user_monthly', 100000, tests.tenant_a(), tests.user_a2(), 'soft', p_alert_pcts => '{90}',
  p_trips_shutoff => true)::text, true);
select lives_ok($$select llm.adjust_usage(tests.tenant_a(), tests.user_a2(), 52000, 'late invoice')$$,
  'a debit to 60 000 of 100 000, the limit renamed with the same cap (alerts at 90 %, trips): recorded (it failed with LG005)');
select is((select count(*) from llm_private.alerts a join llm_private.meters m on m.id = a.meter_id
            where m.name = 'user_monthly' and a.user_id = tests.user_a2()), 0::bigint,
  'no alert at the ended limit''s 50 %');
select lives_ok($$select llm.adjust_usage(tests.tenant_a(), tests.user_a2(), 50000, 'late invoice')$$, 'a debit to 110 000');
select results_eq($$select user_id, limit_id from ev_windows_all where user_id = tests.user_a2()$$,
  $$values (tests.user_a2(), current_setting('tests.l_a2b')::int)$$, 'trips A2 at once, under the limit in effect (before any sweep)');
select results_eq($$select a.threshold_pct, a.limit_id from llm_private.alerts a join llm_private.meters m on m.id = a.meter_id
                     where m.name = 'user_monthly' and a.user_id = tests.user_a2()$$,
  $$values (90::smallint, current_setting('tests.l_a2b')::int)$$, 'and alerts at its 90 %');

-- A period just ended, its rows naming a temporary limit that ended with it: not re-capped (usage_recaps leaves an ended
-- period as it is) nor evaluated in each of the 10 minutes after, when it has nothing to fire.
select llm.set_limit('user_monthly', 200000, tests.tenant_a(), tests.user_a1());
select llm.set_limit('user_monthly', 100000, tests.tenant_a(), tests.user_a1(), p_valid_until => '2026-04-01 00:00:00+00');
select llm.evaluate_limits();
select llm.adjust_usage(tests.tenant_a(), tests.user_a1(), 1000, 'spent elsewhere');
select tests.as_admin();
select tests.freeze_clock('2026-04-01 00:02:00+00');
select tests.act_as_role('llm_operator');
select is(llm.evaluate_limits(), 0, 'at 00:02 the ended month''s subjects with nothing to fire are left alone (A1 was evaluated each minute)');

-- (review of the minute window, helper 74) Each meter's rows of the periods not ended 10 minutes ago, read by the meter's
-- index range: a global meter per minute with 8 shards writes 11 520 rows a day, and every run read every usage row of the
-- 2400 hours (0.45 s a run after 30 days of one such meter). Two days of its minutes here: a run reads a few of them.
select tests.as_admin();
select llm.define_meter('eval_tpm', 'global', 'minute', 'tokens', p_shards => 8) from (select tests.act_as_role('llm_operator')) r;
select llm.set_limit('eval_tpm', 100000000);
select tests.as_admin();
set local session_replication_role = replica;
insert into llm_private.usage (tenant_id, meter_id, user_id, budget_scope, period_start, shard, limit_id, cap, quota, spent, next_alert_at)
select llm_private.nil_uuid(), m.id, llm_private.nil_uuid(), '', g, s, l.limit_id, 100000000, 12500000, 1000, 80000000
  from llm_private.meters m join llm.limits l on l.meter_name = m.name,
       generate_series('2026-03-30 00:00+00'::timestamptz, '2026-03-31 23:59+00', '1 minute') g, generate_series(0, 7) s
 where m.name = 'eval_tpm';
set local session_replication_role = origin;
create temp table usage_reads as
  select coalesce(sum(seq_tup_read), 0) + coalesce(sum(idx_tup_fetch), 0) as n from pg_stat_xact_user_tables
   where schemaname = 'llm_private' and relname like 'usage%';
select tests.act_as_role('llm_operator');
select is(llm.evaluate_limits(), 0, 'a run with two days of a sharded meter per minute behind it: nothing to fire');
select tests.as_admin();
select cmp_ok((select coalesce(sum(seq_tup_read), 0) + coalesce(sum(idx_tup_fetch), 0) from pg_stat_xact_user_tables
                where schemaname = 'llm_private' and relname like 'usage%') - (select n from usage_reads), '<', 1000::numeric,
  'and it read a few of its 23 040 rows (the periods not ended 10 minutes ago), not all of them');

select * from finish();
rollback;
