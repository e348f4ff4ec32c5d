-- Cancelling a scheduled permanent limit gives the limit it was to replace its end back, and only that one: a limit that never
-- applied (cancelled before, or replaced before it started: valid_from = valid_until) stays out of effect. It came back
-- (helper 92): a raise to 1 000 000 scheduled for 11:00 and cancelled, then a 50 000 for the same 11:00 set and cancelled, and
-- the cancelled 1 000 000 applied from 11:00.
begin;
select plan(6);
select tests.seed();   -- the clock: 2026-03-15 10:30 UTC

select tests.act_as_role('llm_operator');
select llm.define_meter('tc', 'tenant', 'day', 'micros');
select set_config('tests.l1', (llm.set_limit('tc', 100000, tests.tenant_a()))::text, true);
select set_config('tests.l2', (llm.set_limit('tc', 1000000, tests.tenant_a(), p_valid_from => '2026-03-15 11:00+00'))::text, true);
select is(llm.end_limit(current_setting('tests.l2')::int), true, 'the raise to 1 000 000 is cancelled');
select set_config('tests.l3', (llm.set_limit('tc', 50000, tests.tenant_a(), p_valid_from => '2026-03-15 11:00+00'))::text, true);
select is(llm.end_limit(current_setting('tests.l3')::int), true, 'and a 50 000 for the same 11:00');
select tests.as_admin();
select results_eq($$select id, valid_from, valid_until from llm_private.limits where meter_id = (select id from llm_private.meters where name = 'tc') order by id$$,
  $$select current_setting('tests.' || n)::int, f::timestamptz, u::timestamptz from (values
      ('l1', '2026-03-15 10:30+00', 'infinity'), ('l2', '2026-03-15 11:00+00', '2026-03-15 11:00+00'),
      ('l3', '2026-03-15 11:00+00', '2026-03-15 11:00+00')) v(n, f, u) order by 1$$,
  'the 100 000 has no end again; both cancelled ones end where they start');
select tests.freeze_clock('2026-03-15 11:05+00');
select results_eq($$select l.limit_id from llm.limits l where l.meter_name = 'tc' and l.in_effect$$,
  $$select current_setting('tests.l1')::int$$, 'at 11:05 the 100 000 is in effect, not the cancelled 1 000 000');
select results_eq($$select decision, reason, limit_cap from tests.call(tests.tenant_a(), tests.user_a1(), 'tc-1', 'investigation', 'mock:small')$$,
  $$values ('allow', 'ok', 100000::bigint)$$, 'a small call fits (under the 100 000 in effect, which it names)');
select results_eq($$select cap from llm.limit_usage where meter_name = 'tc' and tenant_id = tests.tenant_a() and current$$,
  $$values (100000::bigint)$$, 'llm.limit_usage shows the 100 000');
select * from finish();
rollback;
