-- Closed months against what review 87 tried (test/sql/month_close.sql has the rules): a hold the minute's sweep no longer
-- watches, the worker's login, 'infinity' as a month. The blocks use different months so that one defect does not hide
-- another.
begin;
select plan(9);
select tests.seed();

-- 1. A hold the close does not see. The close counts held attempts only where expires_at is after the sweep's watermark
--    less an hour (llm_private.watched_holds_from()). A hold whose reserve committed after the watermark had passed its
--    expiry (the case llm.expire_holds' daily full pass exists for) is still held, and llm.open_holds lists it (overdue),
--    but the close ignores it: January closes, then the full pass (or the worker's settle) charges it in closed January,
--    and llm.month_closes.late_settles_after does not count it.
select tests.freeze_clock('2026-01-31 12:00:00+00');
select is((select decision from tests.call(tests.tenant_b(), tests.user_b1(), 'h87-hidden')), 'allow', 'a call in January, held');
select tests.freeze_clock('2026-02-10 00:00:00+00');
-- The minute sweep's watermark passed the hold's expiry while its reserve's transaction was still open.
update llm_private.settings set swept_until = '2026-02-09 23:50+00';
select is((select count(*) from llm.open_holds where request_id = 'h87-hidden'), 1::bigint, 'llm.open_holds lists the hold');
select tests.act_as_role('llm_operator');
select throws_ok($$select * from llm.close_month('2026-01-01 00:00+00', 'January invoiced')$$, '55000', null,
  'a month with a hold llm.open_holds lists as open cannot be closed');
select llm.expire_holds(100, true);                        -- the daily full pass charges it in full, in January
select tests.as_admin();
select ok(not exists (select 1 from llm.month_closes c where c.month_start = '2026-01-01 00:00+00')
          or (select late_settles_after from llm.month_closes where month_start = '2026-01-01 00:00+00') > 0,
  'if January was closed, the charge made in it after the close is counted on it');

-- 2. The worker's login acting as llm_operator may only run the sweeps (README "Roles"; tg_operator_changes__not_from_worker
--    guards every other operator table). month_closes has no such guard: the worker's login closes months, irreversibly.
select tests.freeze_clock('2026-03-15 10:30:00+00');
set local session authorization llm_worker;
set local role llm_operator;
select throws_ok($$select * from llm.close_month('2026-02-01 00:00+00', 'closed from the worker''s login')$$, '42501', null,
  'the worker''s login cannot close a month');
reset role;
reset session authorization;

-- 3. 'infinity' is accepted as a month, every check passing on NULL (month_index('infinity') is NULL, so the month's end is
--    NULL and "not ended", "already closed" and "a hold still open" all compare with NULL). The row cannot be deleted, and
--    from then on max(month_start) is 'infinity', so closed_through() is NULL: every month closed before or after it is
--    open again to adjustments, for good (and a month can be "closed" twice: 23505).
select tests.act_as_role('llm_operator');
select count(*) from (select 1 from llm.close_month('2026-02-01 00:00+00', 'February invoiced')
                       where not exists (select 1 from llm.month_closes where closes_through >= '2026-03-01 00:00+00')) x;
select throws_ok($$select * from llm.close_month('infinity', 'a typo, or an injection through the worker''s login')$$, '22023', null,
  '''infinity'' is not a month''s first instant: refused');
select throws_ok($$select * from llm.close_month('-infinity', 'x')$$, '22023', null, 'nor is ''-infinity''');
select throws_ok($$select llm.adjust_usage(tests.tenant_a(), tests.user_a1(), 5, 'dated in closed February', '2026-02-10 00:00+00')$$,
  'LG001', null, 'whatever was tried, February stays closed to adjustments');
select is(llm_private.closed_through(), '2026-03-01 00:00+00'::timestamptz, 'every month before March is still closed');
select * from finish();
rollback;
