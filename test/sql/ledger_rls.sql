-- Row-level security and integrity of the ledger tables, whoever writes.
begin;
select plan(21);
select tests.seed();
select tests.act_as(tests.tenant_a(), tests.user_a1());
create temp table ra as select * from tests.reserve('rls-a');
select tests.act_as(tests.tenant_b(), tests.user_b1());
create temp table rb as select * from tests.reserve('rls-b');

-- Tenant B sees nothing of tenant A, through any table.
select is_empty('select * from llm_private.requests where tenant_id = tests.tenant_a()', 'B cannot read A''s claims');
select is_empty('select * from llm_private.reservations where tenant_id = tests.tenant_a()', 'B cannot read A''s reservations');
select is_empty('select * from llm_private.decisions where tenant_id = tests.tenant_a()', 'B cannot read A''s decisions');
select is_empty($$select * from llm_private.spend_rollups where scope <> 'global' and tenant_id = tests.tenant_a()$$, 'B cannot read A''s rollups');
select throws_ok($$select * from llm.settle_call((select reservation_id from ra), 1, 1, 1, 1, 'ok')$$, 'P0002', null,
  'B cannot settle A''s reservation: it is not found');
select is((select state from llm.release_call((select reservation_id from rb))), 'released', 'B can release its own');
select throws_ok($$select * from llm.release_call((select reservation_id from ra))$$, 'P0002', null, 'B cannot release A''s reservation');

-- Within tenant A, user A2 sees nothing of user A1.
select tests.act_as(tests.tenant_a(), tests.user_a2());
select is_empty('select * from llm_private.reservations', 'A2 cannot read A1''s reservations');
select throws_ok($$insert into llm_private.decisions (decided_at, tenant_id, user_id, request_id, endpoint, caller_attempt, decision, reason,
  requested_provider, requested_model, input_tokens_estimate, requested_max_output_tokens)
  values (now(), tests.tenant_a(), tests.user_a1(), 'forged', 'route', 1, 'allow', 'ok', 'mock', 'large', 1, 1)$$,
  '42501', null, 'A2 cannot write a decision row in A1''s name');

-- The runtime role cannot rewrite or delete the ledger.
select tests.act_as(tests.tenant_a(), tests.user_a1());
select llm.settle_call((select reservation_id from ra), 1000, 0, 1000, 1, 'ok');
select throws_ok('delete from llm_private.reservations', '42501', null, 'the runtime role cannot DELETE reservations');
select throws_ok('delete from llm_private.decisions', '42501', null, 'nor decisions');
select throws_ok('update llm_private.decisions set reason = ''ok''', '42501', null, 'nor UPDATE decisions');
select throws_ok('update llm_private.reservations set held_micros = 0', '42501', null, 'nor change what a reservation holds');
select throws_ok('update llm_private.spend_rollups set spent_micros = 0', 'LG003', null, 'nor lower the spend recorded in a rollup');
select throws_ok($$insert into llm_private.requests (tenant_id, user_id, request_id, endpoint, fingerprint, state, spent_micros, created_at, updated_at)
  values (tests.tenant_a(), tests.user_a1(), 'forged', 'route', md5('x'), 'done', 0, now(), now())$$, 'LG004', null,
  'nor insert a claim that is already done');
select throws_ok('alter table llm_private.reservations disable row level security', '42501', null, 'nor disable row level security');
select ok(not pg_has_role('llm_app', 'llm_owner', 'member') and not pg_has_role('llm_app', 'llm_operator', 'member')
  and not pg_has_role('llm_app', 'llm_worker', 'member'), 'nor become another role (a login test of SET ROLE is in test/ts)');

-- Integrity holds for every writer, even one that bypasses row level security (here the superuser).
reset role;
select throws_ok($$update llm_private.reservations set state = 'held' where request_id = 'rls-a'$$, 'LG002', null,
  'a settled reservation cannot go back to held, whoever writes');
select throws_ok($$update llm_private.reservations set held_micros = 1 where request_id = 'rls-a'$$, 'LG001', null,
  'a hold is immutable, whoever writes');
select throws_ok($$update llm_private.requests set state = 'open' where request_id = 'rls-a'$$, 'LG002', null,
  'a done request cannot be reopened');

select is_empty('select * from llm.reconciliation_drift', 'reconciliation: ledger and rollups agree');
select * from finish();
rollback;
