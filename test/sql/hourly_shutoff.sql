-- Hourly shutoff windows: tripped by hourly spend at user, tenant or global scope; they end with the hour.
begin;
select plan(17);
select tests.seed();
-- Tenant A: users trip at 100 000 per hour; the tenant trips at 150 000 per hour.
select llm.upsert_tenant(tests.tenant_a(), 'tenant A', 500000000, 25000000, 150000, 100000);

select tests.act_as(tests.tenant_a(), tests.user_a1());
select is((select decision from tests.reserve('h-1')), 'allow', '40 000 this hour');
select is((select decision from tests.reserve('h-2')), 'allow', '80 000 this hour');
create temp table t1 as select * from tests.reserve('h-3');
select is((select decision || '/' || reason from t1), 'block/hourly_shutoff', 'the third would reach 120 000 > 100 000: user shut off');
select is((select limit_name from t1), 'user_hourly_shutoff', 'the refusal names the user''s hourly threshold');
select is((select (scope, kind, ends_at, tripped_by) from llm_private.shutoff_windows),
  ('user'::text, 'hourly_threshold'::text, '2026-03-15 11:00:00+00'::timestamptz, 'request:h-3'::text),
  'a user window runs to the end of the hour and records what tripped it');
select is((select decision || '/' || reason from tests.reserve('h-4', p_model => 'tiny', p_input => 10, p_max_output => 10)),
  'block/hourly_shutoff', 'while the window is open even a tiny call is refused');

-- The tenant trips on the sum of its users.
select tests.act_as(tests.tenant_a(), tests.user_a2());
select is((select decision from tests.reserve('h-5')), 'allow', 'user A2 is not shut off: 120 000 for the tenant this hour');
create temp table t2 as select * from tests.reserve('h-6');
select is((select decision || '/' || limit_name from t2), 'block/tenant_hourly_shutoff', 'the next one would reach 160 000 > 150 000: tenant shut off');
select tests.act_as(tests.tenant_b(), tests.user_b1());
select is((select decision from tests.reserve('h-7')), 'allow', 'another tenant is not affected');

-- The next hour, everything reopens by time alone.
reset role;
select tests.freeze_clock('2026-03-15 11:00:00+00');
select tests.act_as(tests.tenant_a(), tests.user_a1());
select is((select decision from tests.reserve('h-8')), 'allow', 'at 11:00 the windows have ended: allowed again, no job needed');
select tests.act_as_role('llm_auditor');
select is((select count(*)::int from llm.shutoff_windows where active), 0, 'the auditor sees no window active in the new hour');
select is((select count(*)::int from llm.shutoff_windows), 2, 'and both windows of the past hour in the audit view');

-- Global threshold: 100 000 across everyone, per hour.
reset role;
select llm.set_settings(100000);
select tests.act_as(tests.tenant_b(), tests.user_b1());
select is((select decision from tests.reserve('g-1')), 'allow', 'global: 40 000 (counting starts when the threshold is set)');
select is((select decision from tests.reserve('g-2')), 'allow', 'global: 80 000');
select tests.act_as(tests.tenant_a(), tests.user_a2());
select is((select decision || '/' || limit_name from tests.reserve('g-3')), 'block/global_hourly_shutoff',
  'global: a third would pass 100 000: everyone is shut off');
select tests.act_as(tests.tenant_b(), tests.user_b1());
select is((select decision || '/' || reason from tests.reserve('g-4')), 'block/hourly_shutoff', 'and tenant B is refused too');

reset role;
select is_empty('select * from llm.reconciliation_drift', 'reconciliation: ledger and rollups agree');
select * from finish();
rollback;
