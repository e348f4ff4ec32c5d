-- Closed months: once an operator closes a month (llm.close_month), an adjustment dated in it or before it is refused, so
-- that an invoiced month keeps the figures it was invoiced with; only a late settle still changes it, and
-- llm.month_closes counts those. A month is closed once it has ended and no hold reserved before its end is open.
begin;
select plan(31);
select tests.seed();                                       -- the clock: 2026-03-15 10:30 UTC
select is((select decision from tests.call(tests.tenant_a(), tests.user_a1(), 'mc-1')), 'allow', 'a call in March');
select tests.settle(tests.request_pk('mc-1'), 1);
select is((select decision from tests.call(tests.tenant_a(), tests.user_a1(), 'mc-2')), 'allow', 'a second call in March, still held');

select tests.act_as_role('llm_operator');
-- Adjustments before any close: the past is open, the future is not.
select lives_ok($$select llm.adjust_usage(tests.tenant_a(), tests.user_a1(), 700, 'February debit', '2026-02-20 12:00+00')$$,
  'before any close, an adjustment may be dated in an earlier month');
select throws_ok($$select llm.adjust_usage(tests.tenant_a(), tests.user_a1(), 800, 'next week', '2026-03-22 00:00+00')$$,
  '22023', null, 'an adjustment dated in the future is refused (it made a month''s spend before the month began)');

-- What a close refuses.
select throws_ok($$select * from llm.close_month('2026-03-01 00:00+00', 'March')$$, '55000', null, 'a month not ended cannot be closed');
select throws_ok($$select * from llm.close_month('2026-02-15 00:00+00', 'February')$$, '22023', null,
  'a month is named by its first instant in UTC');
select throws_ok($$select * from llm.close_month('2026-02-01 00:00+01', 'February')$$, '22023', null,
  'a month''s first instant in another time zone is not the UTC month''s');
select throws_ok($$select * from llm.close_month('2026-02-01 00:00+00', '')$$, '23514', null, 'a close says why');

-- A close written by hand is held to the same rules, and its time and author are the database's, not the writer's.
insert into llm_private.month_closes (month_start, closed_at, closed_by, reason)
values ('2026-02-01 00:00+00', '2000-01-01 00:00+00', 'someone else', 'February invoiced');
select results_eq($$select month_start, closes_through, closed_at, closed_by, reason, late_settles_after from llm.month_closes$$,
  $$values ('2026-02-01 00:00+00'::timestamptz, '2026-03-01 00:00+00'::timestamptz, '2026-03-15 10:30+00'::timestamptz,
            format('llm_operator (login %s)', current_setting('session_authorization')), 'February invoiced', 0::bigint)$$,
  'the close records the product clock and the role with its login, whatever the writer gave');
select throws_ok($$select * from llm.close_month('2026-02-01 00:00+00', 'again')$$, '55000', null, 'a closed month cannot be closed again');
select throws_ok($$select * from llm.close_month('2026-01-01 00:00+00', 'January')$$, '55000', null,
  'closing February closed January too');

-- Adjustments once February is closed.
select throws_ok($$select llm.adjust_usage(tests.tenant_a(), tests.user_a1(), -700, 'refund of the February debit', '2026-02-20 12:00+00')$$,
  'LG001', null, 'an adjustment dated in the closed month is refused');
select throws_ok($$select llm.adjust_usage(tests.tenant_a(), null, 100, 'January', '2026-01-10 00:00+00')$$,
  'LG001', null, 'and one dated in any month before it');
select lives_ok($$select llm.adjust_usage(tests.tenant_a(), tests.user_a1(), -700, 'refund of the February debit (closed month)', '2026-03-01 00:00+00')$$,
  'the correction is posted in the open month, from its first instant');
select lives_ok($$select llm.adjust_usage(tests.tenant_a(), tests.user_a1(), 50, 'March debit')$$, 'an adjustment dated now is taken');
select results_eq($$select month_start, spent_micros from llm.monthly_spend where tenant_id = tests.tenant_a() and user_id = tests.user_a1()
                     order by month_start$$,
  $$select month_start, spent_micros from (values ('2026-02-01 00:00+00'::timestamptz, 700::bigint)) v(month_start, spent_micros)
    union all select '2026-03-01 00:00+00', (select sum(charged_micros) from llm.calls where request_id = 'mc-1')::bigint - 700 + 50$$,
  'February is what it was when closed; the correction is in March');

-- The close is append-only.
update llm_private.month_closes set reason = 'x';
select is((select reason from llm.month_closes), 'February invoiced', 'the operator''s UPDATE changes no close (no policy lets it)');
select throws_ok($$delete from llm_private.month_closes$$, '42501', null, 'the operator may not delete a close');
select tests.as_admin();
set local role llm_owner;
select throws_ok($$update llm_private.month_closes set reason = 'x'$$, 'LG006', null, 'the owner may not change one');
select throws_ok($$delete from llm_private.month_closes$$, 'LG006', null, 'nor delete one');
select throws_ok($$truncate llm_private.month_closes$$, 'LG006', null, 'nor truncate them');
reset role;

-- Who sees and who closes.
select tests.act_as_role('llm_viewer');
select is((select count(*) from llm.month_closes), 1::bigint, 'the viewer reads the closes');
select throws_ok($$select * from llm.close_month('2026-02-01 00:00+00', 'x')$$, '42501', null, 'the viewer cannot close a month');
select tests.act_as_app(tests.tenant_a(), tests.user_a1());
select throws_ok($$select * from llm_private.month_closes$$, '42501', null, 'the application cannot read them');
select throws_ok($$insert into llm_private.month_closes (month_start, closed_at, closed_by, reason) values ('2026-02-01', now(), 'x', 'y')$$,
  '42501', null, 'nor close a month');

-- March ends with mc-2's hold open: no close until the sweep has charged it.
select tests.as_admin();
select tests.freeze_clock('2026-04-02 00:00:00+00');
select tests.act_as_role('llm_operator');
select throws_ok($$select * from llm.close_month('2026-03-01 00:00+00', 'March')$$, '55000', null,
  'a month with a hold reserved in it still open cannot be closed');
select is(llm.expire_holds(100), 1, 'the sweep charges the hold in full');
select is((select month_start from llm.close_month('2026-03-01 00:00+00', 'March invoiced')), '2026-03-01 00:00+00'::timestamptz,
  'then March closes');
select is((select closes_through from llm.month_closes where month_start = '2026-03-01 00:00+00'), '2026-04-01 00:00+00'::timestamptz,
  'through the end of March');

-- A late settle still changes March (it replaces the hold's full charge with the real cost), and the close counts it.
select tests.as_admin();
select tests.freeze_clock('2026-04-02 00:05:00+00');
select is((select late from tests.settle(tests.request_pk('mc-2'), 1)), true, 'the worker''s settle arrives late');
select tests.act_as_role('llm_auditor');
select results_eq($$select month_start, late_settles_after from llm.month_closes order by month_start$$,
  $$values ('2026-02-01 00:00+00'::timestamptz, 0::bigint), ('2026-03-01 00:00+00', 1::bigint)$$,
  'a late settle after March''s close is counted on it');
select * from finish();
rollback;
