-- A subject's permanent limits on a meter are one timeline (review 91): a limit set to apply at once applies at once, also
-- when a later one is already scheduled; the scheduled one still starts when it said; cancelling a scheduled one leaves the
-- limit it was to replace in effect; a temporary limit ranks first while it lasts. "Temporary" is what the limit was set
-- as (limits.temporary), not a finite end: set_limit gives the limit that a scheduled one replaces an end too, and it then
-- outranked the one set to apply at once until the scheduled start.
begin;
select plan(16);
select tests.seed();   -- the clock: 2026-03-15 10:30 UTC

select tests.act_as_role('llm_operator');
select llm.define_meter('td', 'tenant', 'day', 'micros');
select set_config('tests.l1', (llm.set_limit('td', 100000, tests.tenant_a()))::text, true);
select set_config('tests.l2', (llm.set_limit('td', 50000, tests.tenant_a(), p_valid_from => '2026-03-15 11:00+00'))::text, true);
select set_config('tests.l5', (llm.set_limit('td', 20000, tests.tenant_a()))::text, true);
select tests.as_admin();

select results_eq($$select l.limit_id, l.cap, l.in_effect from llm.limits l where l.meter_name = 'td' order by l.limit_id$$,
  $$select current_setting('tests.' || n)::int, c, e from (values ('l1', 100000::bigint, false), ('l2', 50000, false), ('l5', 20000, true)) v(n, c, e)
     order by 1$$,
  'at 10:30 the limit set to apply at once is in effect, not the one a scheduled change was to replace');
select results_eq($$select valid_from, valid_until, temporary from llm_private.limits where id = current_setting('tests.l5')::int$$,
  $$values ('2026-03-15 10:30+00'::timestamptz, '2026-03-15 11:00+00'::timestamptz, false)$$,
  'it lasts until the scheduled one starts, and is permanent');
select results_eq($$select valid_until from llm_private.limits where id = current_setting('tests.l1')::int$$,
  $$values ('2026-03-15 10:30+00'::timestamptz)$$, 'the one it replaces ended at 10:30');
select results_eq($$select decision, reason, limit_cap from tests.call(tests.tenant_a(), tests.user_a1(), 'tl-1')$$,
  $$values ('block', 'td', 20000::bigint)$$, 'a 40 000 call is refused under 20 000 at once (it was allowed under 100 000 until 11:00)');
select results_eq($$select decision from tests.call(tests.tenant_a(), tests.user_a1(), 'tl-2', 'investigation', 'mock:small')$$,
  $$values ('allow')$$, 'a 3 000 call fits');

select tests.freeze_clock('2026-03-15 11:05+00');
select results_eq($$select l.limit_id from llm.limits l where l.meter_name = 'td' and l.in_effect$$,
  $$select current_setting('tests.l2')::int$$, 'at 11:05 the scheduled 50 000 is in effect, as scheduled');
select results_eq($$select decision, limit_cap from tests.call(tests.tenant_a(), tests.user_a1(), 'tl-3')$$,
  $$values ('allow', 50000::bigint)$$, 'a 40 000 call fits 50 000 (3 000 used today; the allowed call names that cap, its tightest)');
select results_eq($$select cap from llm.limit_usage where meter_name = 'td' and tenant_id = tests.tenant_a() and current$$,
  $$values (50000::bigint)$$, 'llm.limit_usage shows the cap in effect');

-- A temporary raise ranks first while it lasts, then the permanent timeline applies again.
select tests.act_as_role('llm_operator');
select set_config('tests.t1', (llm.set_limit('td', 200000, tests.tenant_a(), p_valid_until => '2026-03-15 11:30+00'))::text, true);
select set_config('tests.l3', (llm.set_limit('td', 10000, tests.tenant_a(), p_valid_from => '2026-03-15 12:00+00'))::text, true);
select tests.as_admin();
select results_eq($$select l.limit_id from llm.limits l where l.meter_name = 'td' and l.in_effect$$,
  $$select current_setting('tests.t1')::int$$, 'a temporary raise is in effect until 11:30, before the permanent ones');
select results_eq($$select decision from tests.call(tests.tenant_a(), tests.user_a1(), 'tl-4')$$,
  $$values ('allow')$$, 'and lets a second 40 000 call in (83 000 of 200 000)');
select tests.freeze_clock('2026-03-15 11:40+00');
select results_eq($$select l.limit_id from llm.limits l where l.meter_name = 'td' and l.in_effect$$,
  $$select current_setting('tests.l2')::int$$, 'after it, the permanent 50 000 again');

-- Cancelling the change scheduled for 12:00: the 50 000 goes on past 12:00.
select tests.act_as_role('llm_operator');
select is(llm.end_limit(current_setting('tests.l3')::int), true, 'the scheduled 10 000 is cancelled');
select tests.as_admin();
select results_eq($$select valid_until from llm_private.limits where id in (current_setting('tests.l2')::int, current_setting('tests.l3')::int) order by id$$,
  $$values ('infinity'::timestamptz), ('2026-03-15 12:00+00')$$, 'the 50 000 has no end again; the cancelled one ends where it starts');
select tests.freeze_clock('2026-03-15 12:30+00');
select results_eq($$select l.limit_id from llm.limits l where l.meter_name = 'td' and l.in_effect$$,
  $$select current_setting('tests.l2')::int$$, 'at 12:30 the 50 000 is still in effect');

-- An operator's own INSERT: temporary when it ends by itself, unless it says otherwise.
select tests.act_as_role('llm_operator');
insert into llm_private.limits (meter_id, tenant_id, cap, valid_from, valid_until)
  select id, tests.tenant_b(), 5, '2026-03-15 12:30+00', '2026-03-16 00:00+00' from llm_private.meters where name = 'td';
select tests.as_admin();
select results_eq($$select temporary from llm_private.limits where tenant_id = tests.tenant_b() and cap = 5$$,
  $$values (true)$$, 'a direct insert with an end is temporary');
select is(tests.drift_rows(), 0::bigint, 'the ledger and usage agree');
select * from finish();
rollback;
