-- Manual shutoffs: tripped and cleared by the operator only, at global, tenant or user scope.
begin;
select plan(13);
select tests.seed();

select tests.act_as(tests.tenant_a(), tests.user_a1());
select throws_ok($$select llm.trip_shutoff('tenant', tests.tenant_a(), null, null, 'me')$$, '42501', null,
  'the runtime role cannot trip a shutoff');
select throws_ok($$insert into llm_private.shutoff_windows (scope, tenant_id, kind, starts_at, reason, tripped_by)
  values ('tenant', tests.tenant_a(), 'manual', now(), 'x', 'x')$$, '42501', null,
  'nor insert a manual window directly (policy allows only hourly_threshold windows)');

select tests.act_as_role('llm_operator');
create temp table w as select llm.trip_shutoff('tenant', tests.tenant_a(), null, null, 'incident 42') as id;
select ok((select id from w) is not null, 'the operator trips a tenant shutoff with no end');

select tests.act_as(tests.tenant_a(), tests.user_a1());
select is((select decision || '/' || reason from tests.reserve('m-1')), 'block/manual_shutoff', 'tenant A is refused: manual_shutoff');
select throws_ok($$update llm_private.shutoff_windows set cleared_at = now()$$, '42501', null, 'the runtime role cannot clear it');
select tests.act_as(tests.tenant_b(), tests.user_b1());
select is((select decision from tests.reserve('m-2')), 'allow', 'tenant B is not affected');

reset role;
select tests.freeze_clock('2027-01-01 00:00:00+00');
select tests.act_as(tests.tenant_a(), tests.user_a1());
select is((select decision || '/' || reason from tests.reserve('m-3')), 'block/manual_shutoff', 'a window with no end lasts until cleared');

select tests.act_as_role('llm_operator');
select ok(llm.clear_shutoff((select id from w)), 'the operator clears it');
select ok(not llm.clear_shutoff((select id from w)), 'clearing twice is a no-op');
select tests.act_as(tests.tenant_a(), tests.user_a1());
select is((select decision from tests.reserve('m-4')), 'allow', 'after clearing, tenant A is allowed');

-- A user window with an end, and a global one.
select tests.act_as_role('llm_operator');
select llm.trip_shutoff('user', tests.tenant_a(), tests.user_a2(), '2027-01-01 01:00:00+00', 'abuse review');
select tests.act_as(tests.tenant_a(), tests.user_a2());
select is((select decision || '/' || reason from tests.reserve('m-5')), 'block/manual_shutoff', 'a user window blocks that user');
reset role;
select tests.freeze_clock('2027-01-01 01:00:00+00');
select tests.act_as(tests.tenant_a(), tests.user_a2());
select is((select decision from tests.reserve('m-6')), 'allow', 'and ends at its end time by itself');

reset role;
select is_empty('select * from llm.reconciliation_drift', 'reconciliation: ledger and rollups agree');
select * from finish();
rollback;
