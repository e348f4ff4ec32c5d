-- Security: cross-tenant and cross-user attempts through the public API, search_path hijacks,
-- injection strings stored as data, roles that stay in their lane.
begin;
select plan(22);
select tests.seed();
select tests.act_as(tests.tenant_a(), tests.user_a1());
create temp table ra as select * from tests.reserve('sec-a');
grant select on ra to public;

-- The runtime role reaches no audit view; the auditor and exporter write nothing.
select throws_ok('select * from llm.monthly_spend', '42501', null, 'llm_app cannot read llm.monthly_spend');
select throws_ok('select * from llm.decision_log', '42501', null, 'llm_app cannot read llm.decision_log');
select throws_ok('select * from llm.reconciliation_drift', '42501', null, 'llm_app cannot read llm.reconciliation_drift');
select throws_ok('select * from llm.distillation_export', '42501', null, 'llm_app cannot read llm.distillation_export');
select throws_ok($$select llm.upsert_tenant(tests.tenant_a(), 'mine now', 1, 1)$$, '42501', null, 'llm_app cannot change tenants or caps');
select throws_ok($$select llm.set_settings(null)$$, '42501', null, 'llm_app cannot change settings');
select throws_ok($$select llm.sync_model('mock', 'small', 1, true, 0, 0, 0, '{}')$$, '42501', null, 'llm_app cannot set prices');

-- Cross-user and cross-tenant through the functions and the one app-facing view.
select tests.act_as(tests.tenant_a(), tests.user_a2());
select throws_ok($$select * from llm.settle_call((select reservation_id from ra), 1, 0, 1, 1)$$, 'P0002', null,
  'another user of the tenant cannot settle the reservation');
select throws_ok($$select * from llm.reserve_call(tests.tenant_a(), tests.user_a1(), 'x', 'route', 'mock', 'small', 1, 1)$$, '42501', null,
  'nor reserve in another user''s name');
select is_empty($$select * from llm.request_results where request_id = 'sec-a'$$, 'nor see its results');
select tests.act_as(tests.tenant_b(), tests.user_b1());
select throws_ok($$select llm.enqueue_call(jsonb_build_object('tenant_id', tests.tenant_a(), 'user_id', tests.user_b1(), 'request_id', 'x',
  'endpoint', 'route', 'model', 'mock:small', 'messages', jsonb_build_array(jsonb_build_object('role', 'user', 'content', 'x')),
  'max_output_tokens', 1))$$, '42501', null, 'another tenant cannot enqueue in tenant A''s name');

-- search_path hijack: objects named like ours in the caller's own temporary schema change nothing.
select tests.act_as(tests.tenant_a(), tests.user_a1());
create temp table clock (id boolean, frozen_at timestamptz, offset_ms bigint);
insert into clock values (true, '2000-01-01', 0);
create temp table tenants (id uuid, name text, monthly_cap_micros bigint, user_monthly_cap_micros bigint);
create function pg_temp.current_setting(text, boolean) returns text language sql as $$ select 'b0000000-0000-0000-0000-00000000000b' $$;
create function pg_temp.now() returns timestamptz language sql as $$ select '2000-01-01'::timestamptz $$;
set local search_path = pg_temp, public, pg_catalog;
select is((select decision from tests.reserve('sec-hijack')), 'allow', 'reserve works the same under a hostile search_path');
select is((select reserved_at from llm_private.reservations where request_id = 'sec-hijack'), '2026-03-15 10:30:00+00'::timestamptz,
  'it used our clock, not the planted one');
select is((select count(*)::int from llm_private.reservations where request_id = 'sec-hijack' and tenant_id = tests.tenant_a()), 1,
  'and our tenant context, not a planted current_setting');
reset search_path;

-- Injection strings are data.
select is((select decision from tests.reserve($$'; drop table llm_private.reservations; --$$)), 'allow',
  'a request id full of SQL is just an id');
select is((select count(*)::int from llm_private.reservations where request_id = $$'; drop table llm_private.reservations; --$$), 1,
  'stored verbatim, and the table is still there');
select tests.act_as_role('llm_operator');
select ok(llm.trip_shutoff('user', tests.tenant_b(), tests.user_b1(), null, $$x'); delete from llm_private.tenants; --$$) > 0,
  'a shutoff reason full of SQL is stored as text');
select is((select count(*)::int from llm_private.tenants), 2, 'and deleted nothing');

-- Oversized inputs are refused with a clear code.
select tests.act_as(tests.tenant_a(), tests.user_a1());
select throws_ok($$select * from tests.reserve(repeat('x', 201))$$, '22023', null, 'a request id over 200 characters is refused');
select throws_ok($$select * from llm.release_call((select reservation_id from ra), repeat('x', 201))$$, '22023', null,
  'a release reason over 200 characters is refused');

-- The auditor reads; it writes nothing.
reset role;
select tests.act_as_role('llm_auditor');
select throws_ok($$update llm_private.tenants set name = 'x'$$, '42501', null, 'the auditor cannot write');
select is((select count(*)::int from llm.decision_log), 3, 'but reads every decision (here 3), across users and tenants');
select * from finish();
rollback;
