-- Time the caller cannot bend: periods in UTC whatever the session's TimeZone, and the rules read the current time,
-- not the transaction's start.
begin;
select plan(12);
select tests.seed();

set local timezone = 'UTC';
select is(llm_private.period_start('hour', '2026-03-15 10:30:00+00'), '2026-03-15 10:00:00+00'::timestamptz, 'UTC session: the hour starts at 10:00 UTC');
select is(llm_private.period_start('month', '2026-03-31 20:00:00+00'), '2026-03-01 00:00:00+00'::timestamptz, 'UTC session: 31 March 20:00 is in March');
select is(llm_private.month_index('2026-03-31 20:00:00+00'), 314, 'its month index');
set local timezone = 'Asia/Kolkata';
select is(llm_private.period_start('hour', '2026-03-15 10:30:00+00'), '2026-03-15 10:00:00+00'::timestamptz,
  'Asia/Kolkata session (+05:30): the same instant lands in the same hour bucket');
select is(llm_private.period_start('month', '2026-03-31 20:00:00+00'), '2026-03-01 00:00:00+00'::timestamptz,
  'and in the same month, although it is already 1 April locally');
select is(llm_private.month_index('2026-03-31 20:00:00+00'), 314, 'and the same partition');
-- Every clock window, at an instant that is already the next day, week, month and quarter in Kolkata (Tuesday 31 March
-- 20:00 UTC is Wednesday 1 April 01:30 local): UTC decides, and each period ends where the next one starts.
select results_eq($$select w::text, llm_private.period_start(w, '2026-03-31 20:00:00+00'),
                          llm_private.period_end(w, llm_private.period_start(w, '2026-03-31 20:00:00+00'))
                     from unnest(array['hour', 'day', 'week', 'month', 'quarter']::llm_private.limit_window[]) w$$,
  $$values ('hour', '2026-03-31 20:00:00+00'::timestamptz, '2026-03-31 21:00:00+00'::timestamptz),
           ('day', '2026-03-31 00:00:00+00', '2026-04-01 00:00:00+00'),
           ('week', '2026-03-30 00:00:00+00', '2026-04-06 00:00:00+00'),
           ('month', '2026-03-01 00:00:00+00', '2026-04-01 00:00:00+00'),
           ('quarter', '2026-01-01 00:00:00+00', '2026-04-01 00:00:00+00')$$,
  'Kolkata session: hour, day, week (from Monday), month and quarter buckets are the UTC ones, with their ends');
select tests.freeze_clock('2026-03-31 20:00:00+00');
select is((select decision from tests.call(tests.tenant_a(), tests.user_a1(), 'tz-1')), 'allow', 'a call from the Kolkata session');
select is((select period_start from llm.limit_usage where meter_name = 'user_monthly' and user_id = tests.user_a1()),
  '2026-03-01 00:00:00+00'::timestamptz, 'counts on the UTC month of March');
reset timezone;

-- The current time, not the transaction's start: a window that begins after this transaction began still applies.
update llm_private.clock set frozen_at = null, offset_ms = 0;
select tests.act_as_role('llm_operator');
select ok(llm.schedule_shutoff('tenant', tests.tenant_b(), null, clock_timestamp() + interval '300 milliseconds', clock_timestamp() + interval '1 hour',
  'starts in 0.3 s') > 0, 'a window that starts 0.3 s after this transaction began');
select tests.as_admin();
select pg_sleep(0.5);
select ok(now() < (select starts_at from llm.shutoff_windows where reason = 'starts in 0.3 s'), 'the transaction started before the window');
select is((select decision || '/' || reason from tests.call(tests.tenant_b(), tests.user_b1(), 'tz-late')), 'block/shutoff',
  'yet reserve, run after the window began, refuses: it read the current time');

select * from finish();
rollback;
