-- Retention drops whole months, never what is still in use (tenth review): a budget scope's usage and alerts (its period is
-- its life, not the month of its first call), a quarter's (it began up to two months back), a month whose attempts still hold
-- money. It never drops a month of the idempotency window, and partition bounds do not depend on the session's settings.
-- A budget scope not reserved in any month retention keeps is forgotten, row, usage and alerts (review at scale, helper 68:
-- every scope ever named stayed, its usage and alerts in the DEFAULT partitions); one reserved since is kept whole.
begin;
select plan(45);
select tests.seed();
select tests.freeze_clock('2027-01-15 10:00:00+00');
select tests.act_as_role('llm_owner');
select llm_maint.ensure_partitions();
select tests.act_as_role('llm_operator');
select llm.define_meter('scope_budget', 'budget_scope', 'budget_scope', 'micros', p_endpoint => 'explanation');
select llm.set_limit('scope_budget', 100000);
select llm.define_meter('tenant_quarter', 'tenant', 'quarter', 'micros');
select llm.set_limit('tenant_quarter', 1000000, tests.tenant_b());
select llm.set_setting('idempotency_months', '1');
select llm.set_setting('ledger_retention_months', '2');
select tests.as_admin();

-- January 2027: a budget scope spends 90 000 of its 100 000 (its 80 % alert fires), tenant B spends 25 000 of its quarter,
-- and one hold of tenant A is left open.
select tests.settle(tests.request_pk('e-1'), 1, 'ok', 1000, 0, 500)
  from tests.call(tests.tenant_a(), tests.user_a1(), 'e-1', 'explanation', 'mock:large', 1000, '{"budget_scope": "acct-1"}');
select tests.settle(tests.request_pk('e-2'), 1, 'ok', 1000, 0, 500)
  from tests.call(tests.tenant_a(), tests.user_a1(), 'e-2', 'explanation', 'mock:large', 1000, '{"budget_scope": "acct-1"}');
select tests.settle(tests.request_pk('e-3'), 1, 'ok', 1000, 0, 1000)
  from tests.call(tests.tenant_a(), tests.user_a2(), 'e-3', 'explanation', 'mock:large', 1000, '{"budget_scope": "acct-1"}');
select tests.settle(tests.request_pk('q-1'), 1, 'ok', 1000, 0, 500) from tests.call(tests.tenant_b(), tests.user_b1(), 'q-1');
-- A second scope, reserved in January only: 80 000 of its 100 000 (its 80 % alert fires).
select tests.settle(tests.request_pk('o-1'), 1, 'ok', 1000, 0, 1000)
  from tests.call(tests.tenant_a(), tests.user_a1(), 'o-1', 'explanation', 'mock:large', 1000, '{"budget_scope": "acct-old"}');
select tests.settle(tests.request_pk('o-2'), 1, 'ok', 1000, 0, 1000)
  from tests.call(tests.tenant_a(), tests.user_a1(), 'o-2', 'explanation', 'mock:large', 1000, '{"budget_scope": "acct-old"}');
select results_eq($$select scope_key, last_reserve_month from llm_private.budget_scopes order by 1$$,
  $$values ('acct-1', '2027-01-01 00:00+00'::timestamptz), ('acct-old', '2027-01-01 00:00+00')$$,
  'a scope notes the UTC month of its latest reserve');
select tests.act_as_role('llm_owner');
select throws_ok($$select llm_maint.forget_unused_budget_scopes('2030-01-01 00:00+00')$$, '55000', null,
  'forgetting runs only inside drop_expired_partitions, which holds the ledger tables (no reserve can name a scope meanwhile)');
select tests.as_admin();
create temp table scope_row as select ctid as row_ctid from llm_private.budget_scopes where scope_key = 'acct-1';
select tests.release(tests.request_pk('e-5'), 1)
  from tests.call(tests.tenant_a(), tests.user_a1(), 'e-5', 'explanation', 'mock:large', 1000, '{"budget_scope": "acct-1"}');
select is((select ctid from llm_private.budget_scopes where scope_key = 'acct-1'), (select row_ctid from scope_row),
  'another reserve of the scope in the same month writes nothing to its row');
select tests.act_as_money(tests.tenant_a(), tests.user_a1());
select throws_ok($$update llm_private.budget_scopes set last_reserve_month = '2099-01-01 00:00+00' where scope_key = 'acct-old'$$,
  'LG005', null, 'the money role cannot move a scope''s month by hand (to keep it from being forgotten, or to have it forgotten)');
select throws_ok($$update llm_private.budget_scopes set started_at = '2099-01-01 00:00+00' where scope_key = 'acct-old'$$,
  '42501', null, 'nor its start');
select tests.as_admin();
select is((select decision from tests.call(tests.tenant_a(), tests.user_a2(), 'r-hold')), 'allow', 'a hold of January is left open');
select results_eq($$select u.tableoid::regclass::text, u.spent from llm_private.usage u join llm_private.meters m on m.id = u.meter_id
                     where m.name in ('scope_budget', 'tenant_quarter') and u.budget_scope <> 'acct-old' order by m.name$$,
  $$values ('llm_private.usage_m202701', 90000::bigint), ('llm_private.usage_m202701', 25000::bigint)$$,
  'the scope''s usage lives in its first call''s month, the quarter''s in its first month');
select is((select count(*) from llm_private.alerts where budget_scope = 'acct-1' and threshold_pct = 80), 1::bigint, 'the scope''s 80 % alert fired');

-- February: the first scope is reserved again (refused by its cap, but reserved); the second is not.
select tests.freeze_clock('2027-02-10 12:00:00+00');
select is((select reason from tests.call(tests.tenant_a(), tests.user_a1(), 'e-6', 'explanation', 'mock:large', 1000, '{"budget_scope": "acct-1"}')),
  'scope_budget', 'February: a call of the first scope, refused by its cap');
select results_eq($$select scope_key, last_reserve_month from llm_private.budget_scopes order by 1$$,
  $$values ('acct-1', '2027-02-01 00:00+00'::timestamptz), ('acct-old', '2027-01-01 00:00+00')$$,
  'the scope''s first reserve of February notes February');

-- March 2027, retention 2 months: January goes.
select tests.freeze_clock('2027-03-02 00:00:00+00');
select tests.act_as_role('llm_owner');
select cmp_ok(llm_maint.drop_expired_partitions(), '>', 0, 'drop_expired_partitions drops January');
select tests.as_admin();
select ok(to_regclass('llm_private.usage_m202701') is null and to_regclass('llm_private.alerts_m202701') is null,
  'January''s usage and alerts partitions are gone');
select results_eq($$select u.tableoid::regclass::text, u.spent from llm_private.usage u join llm_private.meters m on m.id = u.meter_id
                     where m.name in ('scope_budget', 'tenant_quarter') and u.budget_scope <> 'acct-old' order by m.name$$,
  $$values ('llm_private.usage_default', 90000::bigint), ('llm_private.usage_default', 25000::bigint)$$,
  'the scope''s and the quarter''s usage, still in use, moved to the default partition as they were');
select is((select count(*) from llm_private.alerts where budget_scope = 'acct-1' and threshold_pct = 80), 1::bigint,
  'and so did the scope''s alert');
select is((select count(*) from llm_private.usage u join llm_private.meters m on m.id = u.meter_id
            where m.name = 'user_monthly' and u.period_start = '2027-01-01 00:00+00' and u.held = 0), 0::bigint,
  'January''s monthly rows without a hold went with their month');
select results_eq($$select scope_key, last_reserve_month from llm_private.budget_scopes order by 1$$,
  $$values ('acct-1', '2027-02-01 00:00+00'::timestamptz)$$,
  'the scope reserved in January only is forgotten (though January''s requests are kept for a hold); the one reserved in February is kept');
select is((select count(*) from llm_private.usage where budget_scope = 'acct-old') + (select count(*) from llm_private.alerts where budget_scope = 'acct-old'),
  0::bigint, 'its usage and its alert went with January instead of moving to the DEFAULT partitions');
select results_eq($$select decision, reason, limit_used from tests.call(tests.tenant_a(), tests.user_a1(), 'e-4', 'explanation', 'mock:large', 1000,
                     '{"budget_scope": "acct-1"}')$$,
  $$values ('block', 'scope_budget', 90000::bigint)$$,
  'the scope''s cap still counts January''s 90 000: a call of 40 000 is refused (its usage started again from 0 before)');
select is(tests.used('tenant_quarter', tests.tenant_b()), 25000::bigint, 'the quarter still counts January''s 25 000');
select is((select last_reserve_month from llm_private.budget_scopes where scope_key = 'acct-1'), '2027-03-01 00:00+00'::timestamptz,
  'the scope''s first reserve in March (refused by its cap) notes March');

-- The forgotten scope named again while January's attempts are still kept (for the hold): the reconciliation counts them
-- under the scope they were reserved in, not under the new one (it read them with the new start: 40 000 of drift, an alert).
select results_eq($$select decision, reason from tests.call(tests.tenant_a(), tests.user_a1(), 'o-2b', 'explanation', 'mock:large', 1000,
                     '{"budget_scope": "acct-old"}')$$,
  $$values ('allow', 'ok')$$, 'the forgotten scope named again while January is kept: a new scope, its cap from 0');
select tests.settle(tests.request_pk('o-2b'), 1);
select is((select count(*) from llm.reconciliation_drift where budget_scope = 'acct-old'), 0::bigint,
  'the reconciliation does not count the old scope''s January calls against the new one');
select results_eq($$select calls, spent_micros from llm.budget_scopes where budget_scope = 'acct-old'$$, $$values (1::bigint, 25000::bigint)$$,
  'nor does llm.budget_scopes: one call (no calls meter: counted from the ledger), 25 000 spent');
-- The month with the open hold stays, whole, until the hold ends.
select ok(to_regclass('llm_private.requests_m202701') is not null and to_regclass('llm_private.request_inputs_m202701') is not null
          and to_regclass('llm_private.attempts_m202701') is not null,
  'January''s requests, inputs and attempts are kept: an attempt still holds money');
select is((select held from llm_private.usage u join llm_private.meters m on m.id = u.meter_id
            where m.name = 'user_monthly' and u.user_id = tests.user_a2() and u.period_start = '2027-01-01 00:00+00'), 40000::bigint,
  'its usage row, holding 40 000, moved to the default partition');
select tests.act_as_role('llm_operator');
select is(llm.expire_holds(), 1, 'the sweep charges the old hold, on its usage row (gone with its month, the sweep failed with P0004 for every tenant)');
select tests.as_admin();
select results_eq($$select held, spent from llm_private.usage u join llm_private.meters m on m.id = u.meter_id
                     where m.name = 'user_monthly' and u.user_id = tests.user_a2() and u.period_start = '2027-01-01 00:00+00'$$,
  $$values (0::bigint, 80000::bigint)$$, 'on its January row (with the 40 000 a2 spent in the scope)');
delete from graphile_worker._private_jobs;   -- the request's job is gone (its worker would have ended it), so the sweep ends the request
select tests.act_as_role('llm_operator');
select llm.fail_lost_requests(true);   -- the daily pass: a claim months old is past the minute's two days
select tests.act_as_role('llm_owner');
select is(llm_maint.drop_expired_partitions(), 3, 'the next run drops the month''s requests, inputs and attempts');
select tests.as_admin();
select ok(to_regclass('llm_private.requests_m202701') is null and to_regclass('llm_private.attempts_m202701') is null, 'January is gone');
select results_eq($$select u.spent, (select count(*) from llm_private.alerts a where a.budget_scope = 'acct-1') from llm_private.usage u
                     join llm_private.meters m on m.id = u.meter_id where m.name = 'scope_budget' and u.budget_scope = 'acct-1'$$,
  $$values (90000::bigint, 1::bigint)$$, 'the kept scope keeps its 90 000 and its alert');
select results_eq($$select decision, reason from tests.call(tests.tenant_a(), tests.user_a1(), 'o-3', 'explanation', 'mock:large', 1000,
                     '{"budget_scope": "acct-old"}')$$,
  $$values ('allow', 'ok')$$,
  'a request naming the forgotten scope again starts a new one: its cap counts from 0 (January''s 80 000 would refuse 40 000)');
select results_eq($$select u.held, u.spent from llm_private.usage u join llm_private.meters m on m.id = u.meter_id
                     where m.name = 'scope_budget' and u.budget_scope = 'acct-old'$$,
  $$values (40000::bigint, 25000::bigint)$$, 'on the new usage row, holding its 40 000 (with the 25 000 of o-2b, none of January)');
select results_eq($$select started_at, last_reserve_month from llm_private.budget_scopes where scope_key = 'acct-old'$$,
  $$values ('2027-03-02 00:00+00'::timestamptz, '2027-03-01 00:00+00'::timestamptz)$$, 'its clock starts again now');

-- June 2027: neither scope was reserved in May or June. The first, whose rows earlier runs moved to DEFAULT, is forgotten
-- with them; the second still holds o-3's 40 000 (no sweep ran) and is kept with its month.
select tests.freeze_clock('2027-06-02 00:00:00+00');
select tests.act_as_role('llm_owner');
select cmp_ok(llm_maint.drop_expired_partitions(), '>', 0, 'June: the run drops February and March''s usage');
select tests.as_admin();
select results_eq($$select scope_key from llm_private.budget_scopes order by 1$$, $$values ('acct-old')$$,
  'the scope last reserved in March is forgotten; the one holding money is kept');
select is((select count(*) from llm_private.usage where budget_scope = 'acct-1') + (select count(*) from llm_private.alerts where budget_scope = 'acct-1'),
  0::bigint, 'the forgotten scope''s usage and alert are deleted from the DEFAULT partitions');
select results_eq($$select u.tableoid::regclass::text, u.held from llm_private.usage u join llm_private.meters m on m.id = u.meter_id
                     where m.name = 'scope_budget' and u.budget_scope = 'acct-old'$$,
  $$values ('llm_private.usage_default', 40000::bigint)$$, 'the kept scope''s hold moved to DEFAULT as it was');

-- September 2027: o-3's hold expired and was charged in full (the sweep) in June; the scope, not reserved since March, is
-- forgotten, and named again. A late settle of o-3 (review of c99c829) found the new scope by its key and moved its
-- correction (40 000 charged -> 25 000) onto the new scope's row: -15 000 there, money counted nowhere. It is refused: the
-- new row is not the scope o-3 was reserved in, whose usage is gone.
select tests.act_as_role('llm_operator');
select is(llm.expire_holds(), 1, 'June: the sweep charges o-3''s expired hold');
select tests.as_admin();
select tests.freeze_clock('2027-09-02 00:00:00+00');
select tests.act_as_role('llm_owner');
select llm_maint.drop_expired_partitions();
select tests.as_admin();
select is((select count(*) from llm_private.budget_scopes where scope_key = 'acct-old'), 0::bigint,
  'September: the scope, holding nothing and not reserved since March, is forgotten');
select is((select decision from tests.call(tests.tenant_a(), tests.user_a1(), 'o-4', 'explanation', 'mock:large', 1000, '{"budget_scope": "acct-old"}')),
  'allow', 'and named again');
select throws_ok($$select tests.settle(tests.request_pk('o-3'), 1, 'ok', 1000, 0, 500)$$, 'P0004', null,
  'a late settle of an attempt of the forgotten scope is refused: its usage row is gone');
select results_eq($$select u.held, u.spent from llm_private.usage u join llm_private.meters m on m.id = u.meter_id
                     where m.name = 'scope_budget' and u.budget_scope = 'acct-old'$$,
  $$values (40000::bigint, 0::bigint)$$, 'the new scope''s row holds o-4 alone, untouched');


-- The idempotency window is never dropped.
select tests.act_as_role('llm_operator');
select throws_ok($$select llm.set_setting('idempotency_months', '3')$$, '23514', null,
  'an idempotency window longer than the retention is refused (a retried request would be claimed and charged again)');
select tests.as_admin();

-- Bounds in UTC, whatever the owner's session says.
select tests.act_as_role('llm_owner');
set local timezone = 'Asia/Kolkata';
set local datestyle = 'SQL, DMY';
select ok(llm_private.create_month_partition('usage', llm_private.month_index('2031-06-15 00:00+00')), 'a partition created under DMY in Kolkata');
set local timezone = 'UTC';
set local datestyle = 'ISO, YMD';
select tests.as_admin();
select is((select pg_get_expr(relpartbound, oid) from pg_class where oid = 'llm_private.usage_m203106'::regclass),
  $$FOR VALUES FROM ('2031-06-01 00:00:00+00') TO ('2031-07-01 00:00:00+00')$$,
  'its bounds are UTC months (they were read back as Israel time: 03:30 UTC)');

select * from finish();
rollback;
