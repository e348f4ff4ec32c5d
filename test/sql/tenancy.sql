-- Tenancy: tenant + user row-level security through the two settings of the request context.
begin;
select plan(12);

insert into llm_private.tenants (id, name) values
  ('a0000000-0000-0000-0000-00000000000a', 'tenant A'),
  ('b0000000-0000-0000-0000-00000000000b', 'tenant B');
insert into llm_private.users (tenant_id, id) values
  ('a0000000-0000-0000-0000-00000000000a', 'a1000000-0000-0000-0000-000000000001'),
  ('a0000000-0000-0000-0000-00000000000a', 'a2000000-0000-0000-0000-000000000002'),
  ('b0000000-0000-0000-0000-00000000000b', 'b1000000-0000-0000-0000-000000000001');

set local role llm_app;

-- No context at all.
select is_empty('select * from llm_private.tenants', 'without context no tenant is visible');
select is_empty('select * from llm_private.users', 'without context no user is visible');
select throws_ok(
  $$insert into llm_private.users (tenant_id, id) values ('a0000000-0000-0000-0000-00000000000a', 'a3000000-0000-0000-0000-000000000003')$$,
  '42501', null, 'without context nothing can be written');

-- Malformed context reads as none: zero rows, no error.
select set_config('app.current_tenant_id', 'not-a-uuid''; drop table x; --', true);
select set_config('app.current_user_id', '', true);
select is_empty('select * from llm_private.tenants', 'a malformed tenant id sees zero rows, without an error');

-- Tenant A, user 1.
select set_config('app.current_tenant_id', 'a0000000-0000-0000-0000-00000000000a', true);
select set_config('app.current_user_id', 'a1000000-0000-0000-0000-000000000001', true);
select results_eq('select name from llm_private.tenants', array['tenant A'], 'tenant A sees only itself');
select results_eq('select id from llm_private.users', array['a1000000-0000-0000-0000-000000000001'::uuid],
  'user A1 sees only its own user row, not A2 nor B1');
select is_empty($$select * from llm_private.tenants where id = 'b0000000-0000-0000-0000-00000000000b'$$,
  'tenant A cannot read tenant B even by id');
select throws_ok(
  $$insert into llm_private.users (tenant_id, id) values ('b0000000-0000-0000-0000-00000000000b', 'a1000000-0000-0000-0000-000000000001')$$,
  '42501', null, 'tenant A cannot write a row into tenant B');
select throws_ok(
  $$insert into llm_private.users (tenant_id, id) values ('a0000000-0000-0000-0000-00000000000a', 'a9000000-0000-0000-0000-000000000009')$$,
  '42501', null, 'user A1 cannot enroll another user');
select throws_ok(
  $$update llm_private.tenants set user_monthly_cap_micros = 999999999$$,
  '42501', null, 'the runtime role cannot raise its own caps');
select throws_ok(
  $$insert into llm_private.users (tenant_id, id, monthly_cap_micros) values ('a0000000-0000-0000-0000-00000000000a', 'a1000000-0000-0000-0000-000000000001', 1)$$,
  '42501', null, 'the runtime role cannot choose a cap when it enrolls');

-- Tenant B.
select set_config('app.current_tenant_id', 'b0000000-0000-0000-0000-00000000000b', true);
select set_config('app.current_user_id', 'b1000000-0000-0000-0000-000000000001', true);
select results_eq('select name from llm_private.tenants', array['tenant B'], 'tenant B sees only itself');

select * from finish();
rollback;
