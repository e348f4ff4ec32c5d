-- Drift is repaired from the ledger: llm.repair_usage_drift moves each drifting counter back by the ledger's difference and
-- records the move; an INSERT of the operator's own choosing moves nothing; llm.adjust_usage is not a repair.
begin;
select plan(21);
select tests.seed();
select is((select decision from tests.call(tests.tenant_a(), tests.user_a1(), 'r-1')), 'allow', 'a call');
select tests.settle(tests.request_pk('r-1'), 1);
select is((select decision from tests.call(tests.tenant_a(), tests.user_a1(), 'r-2')), 'allow', 'a second call, still held');
select is(tests.drift_rows(), 0::bigint, 'no drift');

-- Drift made by hand, as only a superuser can (the guards do not fire under session_replication_role = replica): a user's
-- monthly counter 5 000 over its spend and 100 over its holds, and the tenant's monthly counter gone.
set local session_replication_role = replica;
update llm_private.usage u set spent = u.spent + 5000, held = u.held + 100
  from llm_private.meters m where m.id = u.meter_id and m.name = 'user_monthly' and u.user_id = tests.user_a1();
delete from llm_private.usage u using llm_private.meters m where m.id = u.meter_id and m.name = 'tenant_monthly' and u.tenant_id = tests.tenant_a();
set local session_replication_role = origin;
select results_eq($$select kind, meter_name from llm.reconciliation_drift order by meter_name$$,
  $$values ('missing_usage_row', 'tenant_monthly'), ('held', 'user_monthly')$$,
  'the drift shows the missing row and the held counter (its spent after held is repaired)');
create temp table held_before on commit drop as
  select u.held, u.spent from llm_private.usage u join llm_private.meters m on m.id = u.meter_id
   where m.name = 'user_monthly' and u.user_id = tests.user_a1();
grant select on held_before to public;

select tests.act_as_role('llm_operator');
-- A repair row of the operator's own choosing: refused, nothing moves.
select throws_ok($$insert into llm_private.usage_repairs (tenant_id, meter_id, user_id, budget_scope, period_start, shard, kind, moved_by,
                     reason, repaired_at, repaired_by)
                   select u.tenant_id, u.meter_id, u.user_id, u.budget_scope, u.period_start, u.shard, 'spent', -u.spent, 'forged', now(), 'x'
                     from llm_private.usage u join llm_private.meters m on m.id = u.meter_id
                    where m.name = 'user_monthly' and u.user_id = tests.user_a1()$$,
  'LG005', null, 'a repair the view does not show (a counter set to 0) is refused');
select throws_ok($$insert into llm_private.usage_repairs (tenant_id, meter_id, user_id, budget_scope, period_start, shard, kind, moved_by,
                     reason, repaired_at, repaired_by)
                   select v.tenant_id, m.id, v.user_id, '', v.period_start, v.shard, v.kind, v.ledger_value - v.usage_value, 'twice', now(), 'x'
                     from llm.reconciliation_drift v join llm_private.meters m on m.name = v.meter_name, generate_series(1, 2)
                    where v.meter_name = 'user_monthly'$$,
  'LG005', null, 'a true drift named twice in one statement is refused (it would move the counter twice)');
select throws_ok($$select * from llm.repair_usage_drift('  ')$$, '22023', null, 'a repair says why');

select results_eq($$select kind, meter_name, moved_by
                     from llm.repair_usage_drift('INC-6: counters written by hand')
                    order by kind, meter_name$$,
  $$values ('held', 'tenant_monthly', (select held_micros from llm_private.attempts where request_pk = tests.request_pk('r-2'))),
           ('held', 'user_monthly', -100::bigint), ('missing_usage_row', 'tenant_monthly', 0::bigint),
           ('spent', 'tenant_monthly', (select sum(charged_micros)::bigint from llm_private.attempts where tenant_id = tests.tenant_a())),
           ('spent', 'user_monthly', -5000::bigint)$$,
  'the repair, pass by pass: the missing row created and the user''s held counter back by 100; then the new row''s held and the user''s spent; then the new row''s spent');
select is(tests.drift_rows(), 0::bigint, 'no drift after it');
select results_eq($$select u.held - b.held, u.spent - b.spent from llm_private.usage u join llm_private.meters m on m.id = u.meter_id, held_before b
                     where m.name = 'user_monthly' and u.user_id = tests.user_a1()$$,
  $$values (-100::bigint, -5000::bigint)$$, 'the user''s counter moved by exactly what was written by hand');
select results_eq($$select reason, repaired_by, repaired_at from llm.usage_repairs order by id limit 1$$,
  $$values ('INC-6: counters written by hand', 'llm_operator (login postgres)', '2026-03-15 10:30:00+00'::timestamptz)$$,
  'each move is in llm.usage_repairs: why, who (the role and its login), when (the database clock)');
select is((select count(*) from llm.repair_usage_drift('nothing to do')), 0::bigint, 'a repair with no drift moves nothing');
update llm_private.usage_repairs set reason = 'other';
select is((select count(*) from llm_private.usage_repairs where reason = 'other'), 0::bigint,
  'the operator changes no repair (it holds UPDATE only to lock the table, one repair at a time; no policy lets it update a row)');
select throws_ok($$insert into llm_private.usage_repairs (id, tenant_id, meter_id, user_id, budget_scope, period_start, shard, kind, moved_by,
                     reason, repaired_at, repaired_by) overriding system value
                   values (9223372036854775000, tests.tenant_a(), 5, tests.user_a1(), '', '2026-03-01', 0, 'spent', 1, 'x', now(), 'x')$$,
  '42501', null, 'an id of the writer''s choosing is refused (it hid later repairs from the function''s answer)');
select throws_ok($$insert into llm_private.usage_repairs (id, tenant_id, meter_id, user_id, budget_scope, period_start, shard, kind, moved_by,
                     reason, repaired_at, repaired_by) overriding system value
                   values (currval('llm_private.usage_repairs_id_seq'), tests.tenant_b(), 5, tests.user_b1(), '', '2026-03-01', 0, 'spent', 1, 'x', now(), 'x')$$,
  '42501', null, 'nor the id this session drew last, a second time');
select tests.as_admin();
select throws_ok($$delete from llm_private.usage_repairs$$, 'LG006', null, 'nor can anyone delete one');

-- The call still held is settled after the repair: the counters follow it, no drift.
select tests.settle(tests.request_pk('r-2'), 1);
select is(tests.drift_rows(), 0::bigint, 'a settle after the repair: still no drift');

select tests.act_as_app(tests.tenant_a(), tests.user_a1());
select throws_ok($$select * from llm.repair_usage_drift('app')$$, '42501', null, 'the application cannot repair');
select tests.act_as_money(tests.tenant_a(), tests.user_a1());
select throws_ok($$select * from llm.repair_usage_drift('money')$$, '42501', null, 'nor the money role');
select tests.act_as_role('llm_viewer');
select is((select count(*) from llm.usage_repairs), 5::bigint, 'the dashboard''s login reads the repairs');
select tests.as_admin();
-- The worker's login acts as llm_operator for the sweeps only (review 87: it could repair).
set local session_replication_role = replica;
update llm_private.usage u set spent = u.spent + 7
  from llm_private.meters m where m.id = u.meter_id and m.name = 'user_monthly' and u.user_id = tests.user_a1();
set local session_replication_role = origin;
set local session authorization llm_worker;
set local role llm_operator;
select throws_ok($$select * from llm.repair_usage_drift('from the worker''s login')$$, '42501', null,
  'nor the worker''s login acting as the operator');
reset role;
reset session authorization;

select * from finish();
rollback;
