-- Shutoff windows: by hand, scheduled in advance, or tripped by money spent (never by a worst case); every window ends by time.
begin;
select plan(69);
select tests.seed();

-- By hand, at user, tenant and global scope.
select tests.act_as_role('llm_operator');
select ok(llm.trip_shutoff('user', tests.tenant_a(), tests.user_a1(), '2026-03-15 10:45:00+00', 'runaway agent') > 0, 'stop user A1 until 10:45');
select tests.as_admin();
select is((select decision || '/' || reason from tests.call(tests.tenant_a(), tests.user_a1(), 'm-1')), 'block/shutoff', 'A1 is refused');
select is((select decision from tests.call(tests.tenant_a(), tests.user_a2(), 'm-2')), 'allow', 'A2 is not');
select tests.freeze_clock('2026-03-15 10:45:00+00');
select is((select decision from tests.call(tests.tenant_a(), tests.user_a1(), 'm-3')), 'allow', 'at 10:45 the window has ended by itself');
select tests.act_as_role('llm_operator');
select ok(llm.trip_shutoff('global', null, null, '2026-03-15 10:50:00+00', 'provider incident') > 0, 'stop everyone until 10:50');
select tests.as_admin();
select is((select decision || '/' || reason from tests.call(tests.tenant_b(), tests.user_b1(), 'm-4')), 'block/shutoff', 'every tenant is refused');
select is((select count(*)::int from llm.shutoff_windows where active), 1, 'the view shows one active window');
select tests.act_as_role('llm_operator');
-- (DBA review of 2026-11-27) A cancel says why: a DBA proving why calls went ahead saw who and when, never why.
select throws_ok($$select llm.cancel_shutoff((select id from llm.shutoff_windows where active), null)$$, '22023', null,
  'a cancel without a reason is refused (22023)');
select throws_ok($$select llm.cancel_shutoff((select id from llm.shutoff_windows where active), '  ')$$, '22023', null,
  'and one with a blank reason');
select throws_ok($$select llm.cancel_shutoff((select id from llm.shutoff_windows where active), E'\t\n')$$, '22023', null,
  'nor with tabs and newlines');
select throws_ok($$select llm.cancel_shutoff((select id from llm.shutoff_windows where active), U&'\00A0\200B')$$, '22023', null,
  'nor with a no-break and a zero-width space');
select throws_ok($$select llm.cancel_shutoff((select id from llm.shutoff_windows where active), repeat('x', 201))$$, '22023', null,
  'and one longer than 200 characters');
select throws_ok($$update llm_private.shutoff_windows set cancelled_at = now() where cancelled_at is null and scope = 'global'$$, '22023', null,
  'a cancel by plain UPDATE needs one too');
select ok(llm.cancel_shutoff((select id from llm.shutoff_windows where active), 'provider recovered'), 'an operator cancels it, saying why');
select results_eq($$select cancel_reason, cancelled_by, cancelled_at, active from llm.shutoff_windows where reason = 'provider incident'$$,
  $$values ('provider recovered', 'llm_operator', '2026-03-15 10:45:00+00'::timestamptz, false)$$,
  'the view shows why, who and when');
select ok(not llm.cancel_shutoff((select max(id) from llm.shutoff_windows), 'again'), 'once');
select throws_ok($$update llm_private.shutoff_windows set cancel_reason = 'rewritten' where reason = 'provider incident'$$, 'LG002', null,
  'the reason of a cancel is never rewritten');
select is((select cancel_reason from llm.shutoff_windows where reason = 'runaway agent'), null, 'a window not cancelled has no cancel reason');
select throws_ok($$update llm_private.shutoff_windows set cancel_reason = 'sneaky' where reason = 'runaway agent'$$, 'LG002', null,
  'nor is one written without a cancel');
select tests.as_admin();
insert into llm_private.shutoff_windows (scope, kind, starts_at, ends_at, reason, cancelled_at, cancelled_by, cancel_reason)
values ('global', 'scheduled', '2026-04-01 00:00:00+00', '2026-04-01 01:00:00+00', 'born', '2026-03-01', 'someone', 'born cancelled');
select results_eq($$select cancelled_at, cancelled_by, cancel_reason from llm.shutoff_windows where reason = 'born'$$,
  $$values (null::timestamptz, null::text, null::text)$$, 'a window is never born cancelled: the guard clears all three');
delete from llm_private.shutoff_windows where reason = 'born';
select is((select count(*)::int from llm_private.shutoff_windows where (cancelled_at is null) <> (cancel_reason is null)), 0,
  'every cancelled window has a reason, and no other has one');
select tests.act_as_role('llm_operator');
select throws_ok($$select llm.trip_shutoff('global', null, null, 'infinity', 'forever')$$, '23514', null, 'no window may last forever');
select tests.as_admin();
select is((select decision from tests.call(tests.tenant_b(), tests.user_b1(), 'm-5')), 'allow', 'cancelled: calls go ahead');

-- Scheduled in advance: from 11:00 to 12:00 for tenant B.
select tests.act_as_role('llm_operator');
select ok(llm.schedule_shutoff('tenant', tests.tenant_b(), null, '2026-03-15 11:00:00+00', '2026-03-15 12:00:00+00', 'maintenance') > 0,
  'a maintenance window for tenant B, 11:00 to 12:00');
select tests.as_admin();
select is((select upcoming from llm.shutoff_windows where reason = 'maintenance'), true, 'upcoming before it starts');
select is((select decision from tests.call(tests.tenant_b(), tests.user_b1(), 's-1')), 'allow', 'at 10:45: allowed');
select tests.freeze_clock('2026-03-15 11:30:00+00');
select is((select decision || '/' || reason from tests.call(tests.tenant_b(), tests.user_b1(), 's-2')), 'block/shutoff', 'at 11:30: refused');
select tests.freeze_clock('2026-03-15 12:00:00+00');
select is((select decision from tests.call(tests.tenant_b(), tests.user_b1(), 's-3')), 'allow', 'at 12:00: allowed, by time alone');

-- Tripped by money spent, at settle; a worst case that does not fit is refused without opening a window.
select tests.act_as_role('llm_operator');
select ok(llm.set_limit('tenant_hourly', 100000, tests.tenant_a(), null, 'hard', 'block', null, null, '{80,95,100}', true) > 0,
  'tenant A: 0.10 USD an hour, tripping a shutoff when spent crosses it');
select tests.as_admin();
select results_eq($$select decision, reason from tests.call(tests.tenant_a(), tests.user_a1(), 't-big', 'investigation', 'mock:large', 1000, '{}', 24000)$$,
  $$values ('block', 'tenant_hourly')$$, 'a call whose worst case (270 000) exceeds the hour''s headroom is refused');
select is((select count(*)::int from llm.shutoff_windows where kind = 'tripped'), 0, 'but opens no window: nothing was spent');
select is((select decision from tests.call(tests.tenant_a(), tests.user_a1(), 't-1')), 'allow', 'a call of 40 000');
select is((select decision from tests.call(tests.tenant_a(), tests.user_a2(), 't-2')), 'allow', 'another');
select is((select overrun_micros from tests.settle(tests.request_pk('t-1'), 1, 'ok', 1000, 0, 3000)), 60000::bigint,
  'the first bills 100 000 (an overrun of 60 000): spent crosses 0.10 USD');
select results_eq($$select scope, kind, ends_at from llm.shutoff_windows where kind = 'tripped'$$,
  $$values ('tenant', 'tripped', '2026-03-15 13:00:00+00'::timestamptz)$$, 'a tripped window for tenant A until the hour ends');
select is((select decision || '/' || reason from tests.call(tests.tenant_a(), tests.user_a2(), 't-3', 'investigation', 'mock:tiny', 10, '{}', 10)),
  'block/shutoff', 'even the cheapest call is refused now');

-- The minute sweep over sharded meters (tenant_hourly has 8 shards) finds the same crossing: nothing new, and no error.
select tests.act_as_role('llm_operator');
select lives_ok($$select llm.evaluate_limits()$$, 'evaluate_limits runs while the window is open');
select is((select count(*)::int from llm.shutoff_windows where kind = 'tripped'), 1, 'and opens no second window');
-- An operator cancels the tripped window: it stays cancelled for the rest of the period, sweep or settle.
select ok(llm.cancel_shutoff((select id from llm.shutoff_windows where kind = 'tripped'), 'budget raised by finance'), 'the operator cancels it');
select lives_ok($$select llm.evaluate_limits()$$, 'evaluate_limits runs after the cancel (spend is still over the cap)');
select is((select count(*)::int from llm.shutoff_windows where kind = 'tripped' and cancelled_at is null), 0, 'and does not reopen it');
select tests.as_admin();
select is((select state from tests.settle(tests.request_pk('t-2'), 1, 'ok', 1000, 0, 1000)), 'settled', 'a later settle over the cap');
select is((select count(*)::int from llm.shutoff_windows where kind = 'tripped' and cancelled_at is null), 0, 'does not reopen it either');
select is((select decision || '/' || reason from tests.call(tests.tenant_a(), tests.user_a2(), 't-5', 'investigation', 'mock:tiny', 10, '{}', 10)),
  'block/tenant_hourly', 'no window stops calls now; the hourly limit itself still refuses what does not fit');
-- A tripped window must be earned: by hand, without the spend, it is refused whoever inserts it.
select throws_ok($$insert into llm_private.shutoff_windows (scope, tenant_id, kind, starts_at, ends_at, reason, limit_id)
  values ('tenant', tests.tenant_b(), 'tripped', '2026-03-15 12:30:00+00', '2026-03-15 13:00:00+00', 'forged',
          (select id from llm_private.limits where tenant_id = tests.tenant_a() and trips_shutoff limit 1))$$,
  'LG005', 'a tripped window is opened only by spend crossing a limit', 'a forged trip for a tenant that spent nothing is refused');

select tests.freeze_clock('2026-03-15 13:00:00+00');
select is((select decision from tests.call(tests.tenant_a(), tests.user_a2(), 't-4', 'investigation', 'mock:tiny', 10, '{}', 10)), 'allow',
  'the next hour: the window has ended');

-- (fourth review of 2026-11-27) A trip's end was least(period end, now + interval '92 days'), added in the session's
-- TimeZone: under Europe/Berlin in August (clocks go back in October) the window was 92 days and an hour, the table's
-- check refused it, the settle that crossed the cap failed with 23514, and so did every expiry sweep after it.
select tests.as_admin();
insert into llm_private.meters (name, scope, "window", unit) values ('tenant_lifetime', 'tenant', 'none', 'micros');
insert into llm_private.limits (meter_id, cap, kind, action, valid_from, valid_until, trips_shutoff)
  select id, 30000, 'soft', 'block', '-infinity', 'infinity', true from llm_private.meters where name = 'tenant_lifetime';
select tests.freeze_clock('2026-08-15 12:00+00');
set local timezone = 'Europe/Berlin';
select 1 from tests.call(tests.tenant_b(), tests.user_b1(), 'tz-trip-1', 'investigation', 'mock:large', 1000, '{}', 1000);
select is((select state from tests.settle(tests.request_pk('tz-trip-1'), 1, 'ok', 1000, 0, 500)), 'settled',
  'under Europe/Berlin in August, a settle below the lifetime cap');
select 1 from tests.call(tests.tenant_b(), tests.user_b1(), 'tz-trip-2', 'investigation', 'mock:large', 1000, '{}', 1000);
select lives_ok($$select tests.settle(tests.request_pk('tz-trip-2'), 1, 'ok', 1000, 0, 500)$$,
  'the settle that crosses it trips the shutoff instead of failing on the 92-day check');
select is((select ends_at - starts_at from llm_private.shutoff_windows where kind = 'tripped' and tenant_id = tests.tenant_b()
            and reason like 'tenant_lifetime:%'), interval '92 days', 'its window is 92 days of 24 hours');
select tests.freeze_clock('2026-08-15 12:10+00');
select lives_ok($$select llm.expire_holds()$$, 'and the expiry sweep runs (it charged that hold in full, and tripped, and failed the same way)');
set local timezone = 'UTC';

-- (adopter's review, 2026-11-27) Why a call was refused: the decision log names the window in force, also one cancelled since.
select results_eq($$select d.request_id, w.reason, w.kind from llm.decision_log d join llm.shutoff_windows w on w.id = d.shutoff_window_id
                     where d.request_id in ('m-1', 'm-4', 's-2') order by d.request_id$$,
  $$values ('m-1', 'runaway agent', 'manual'), ('m-4', 'provider incident', 'manual'), ('s-2', 'maintenance', 'scheduled')$$,
  'each shutoff refusal names its window: by hand, the global one cancelled since, the scheduled one');
select is((select shutoff_window_id from llm.decision_log where request_id = 't-3' and reason = 'shutoff'), (select min(id) from llm.shutoff_windows where kind = 'tripped'),
  'and the first window tripped by spend');
select is((select count(*) from llm.decision_log where shutoff_window_id is not null), (select count(*) from llm.decision_log where reason = 'shutoff'),
  'every shutoff refusal has one, and nothing else does');

-- (adopter's review, 2026-11-27) A DBA's personal login, an INHERIT member of llm_operator, does the operator's work under
-- its own name: the policies written TO llm_operator and the grants to it apply to its members, and every record of who
-- (windows, their cancel, limits, adjustments) is the acting role, so it names the person. After SET ROLE llm_operator it
-- names the role. (The role is created in this transaction and rolled back with it.)
reset role;
create role llm_test_dba_alice login in role llm_operator;
set local session authorization llm_test_dba_alice;
select ok(llm.trip_shutoff('tenant', tests.tenant_b(), null, llm_private.now() + interval '1 hour', 'incident 42') > 0,
  'a personal login trips a shutoff');
select ok(llm.cancel_shutoff((select max(id) from llm.shutoff_windows where reason = 'incident 42'), 'incident 42 resolved'),
  'and cancels it');
select ok(llm.set_limit('user_monthly', 30000000, tests.tenant_b(), tests.user_b1()) > 0, 'sets a limit');
select ok(llm.adjust_usage(tests.tenant_b(), tests.user_b1(), 1000, 'ticket 43') > 0, 'and adjusts usage');
set local role llm_operator;
select ok(llm.trip_shutoff('tenant', tests.tenant_b(), null, llm_private.now() + interval '1 hour', 'incident 44') > 0,
  'the same login after SET ROLE llm_operator');
reset session authorization;
select results_eq($$select reason, created_by, cancelled_by from llm.shutoff_windows where reason in ('incident 42', 'incident 44') order by reason$$,
  $$values ('incident 42', 'llm_test_dba_alice', 'llm_test_dba_alice'), ('incident 44', 'llm_operator', null)$$,
  'the windows name who tripped and cancelled them: the person, or the role it set');
select results_eq($$select (select created_by from llm.limits where meter_name = 'user_monthly' and user_id = tests.user_b1()),
                          (select created_by from llm.adjustments where reason = 'ticket 43')$$,
  $$values ('llm_test_dba_alice', 'llm_test_dba_alice')$$, 'so do the limit and the adjustment');

-- (review of e5ed108) A trip is for the period that crossed its cap: llm_private.trip_shutoff looks at its clock, the
-- window's guard at its own, a little later (clock_timestamp). A settle crossing a minute meter's cap in the minute's last
-- instant, its guard already in the next minute, summed that minute's usage (none) and failed with LG005: the settle and
-- its answer lost (an hourly meter the same, at the hour). A trigger before the guard moves the frozen clock on by a
-- second, as the real clock moves between the two reads.
select tests.as_admin();
select tests.act_as_role('llm_operator');
select ok(llm.define_meter('a_rpm_trip', 'tenant', 'minute', 'calls', p_tenant_id => tests.tenant_a()) > 0, 'a minute meter of calls');
select ok(llm.set_limit('a_rpm_trip', 1, tests.tenant_a(), p_kind => 'soft', p_trips_shutoff => true) > 0,
  'one call a minute, soft, tripping a shutoff');
select tests.as_admin();
create function tests.clock_moves_on() returns trigger language plpgsql security definer set search_path = pg_catalog as $$
begin
  update llm_private.clock set frozen_at = frozen_at + interval '1 second';
  return new;
end $$;
create trigger _050_clock_moves_on before insert on llm_private.shutoff_windows
  for each row execute function tests.clock_moves_on();
select tests.freeze_clock('2026-09-01 09:00:59.5+00');
select 1 from tests.call(tests.tenant_a(), tests.user_a1(), 'rpm-trip-1', 'investigation', 'mock:tiny', 10, '{}', 10);
select lives_ok($$select tests.settle(tests.request_pk('rpm-trip-1'), 1, 'ok', 10, 0, 10)$$,
  'a settle crossing the minute''s cap as the minute ends (the guard''s clock in the next one) is settled');
select is((select count(*)::int from llm_private.shutoff_windows w join llm_private.limits l on l.id = w.limit_id
            join llm_private.meters m on m.id = l.meter_id where m.name = 'a_rpm_trip'), 0,
  'and trips nothing: the minute that crossed its cap has ended');
drop trigger _050_clock_moves_on on llm_private.shutoff_windows;
select is((select decision from tests.call(tests.tenant_a(), tests.user_a1(), 'rpm-trip-2', 'investigation', 'mock:tiny', 10, '{}', 10)),
  'allow', 'the next minute is open');
select is((select state from tests.settle(tests.request_pk('rpm-trip-2'), 1, 'ok', 10, 0, 10)), 'settled', 'its settle crosses the cap');
select results_eq($$select w.starts_at, w.ends_at, w.trip_period from llm_private.shutoff_windows w join llm_private.limits l on l.id = w.limit_id
                     join llm_private.meters m on m.id = l.meter_id where m.name = 'a_rpm_trip'$$,
  $$values ('2026-09-01 09:01:00.5+00'::timestamptz, '2026-09-01 09:02:00+00'::timestamptz, '2026-09-01 09:01:00+00'::timestamptz)$$,
  'and trips a window until the minute ends');
select is((select reason from tests.call(tests.tenant_a(), tests.user_a1(), 'rpm-trip-3', 'investigation', 'mock:tiny', 10, '{}', 10)),
  'shutoff', 'which stops the tenant''s calls for the rest of the minute');
select tests.freeze_clock('2026-09-01 09:02:00+00');
select is((select decision from tests.call(tests.tenant_a(), tests.user_a1(), 'rpm-trip-4', 'investigation', 'mock:tiny', 10, '{}', 10)),
  'allow', 'and no longer');
select * from finish();
rollback;
