-- Retention drops whole months, never what is still in use (tenth review): a budget scope's usage and alerts (its period is
-- its life, not the month of its first call), a quarter's (it began up to two months back), a month whose attempts still hold
-- money. It never drops a month of the idempotency window, and partition bounds do not depend on the session's settings.
begin;
select plan(19);
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
select is((select decision from tests.call(tests.tenant_a(), tests.user_a2(), 'r-hold')), 'allow', 'a hold of January is left open');
select results_eq($$select u.tableoid::regclass::text, u.spent from llm_private.usage u join llm_private.meters m on m.id = u.meter_id
                     where m.name in ('scope_budget', 'tenant_quarter') order by m.name$$,
  $$values ('llm_private.usage_m202701', 90000::bigint), ('llm_private.usage_m202701', 25000::bigint)$$,
  'the scope''s usage lives in its first call''s month, the quarter''s in its first month');
select is((select count(*) from llm_private.alerts where budget_scope = 'acct-1' and threshold_pct = 80), 1::bigint, 'the scope''s 80 % alert fired');

-- March 2027, retention 2 months: January goes.
select tests.freeze_clock('2027-03-02 00:00:00+00');
select tests.act_as_role('llm_owner');
select cmp_ok(llm_maint.drop_expired_partitions(), '>', 0, 'drop_expired_partitions drops January');
select tests.as_admin();
select ok(to_regclass('llm_private.usage_m202701') is null and to_regclass('llm_private.alerts_m202701') is null,
  'January''s usage and alerts partitions are gone');
select results_eq($$select u.tableoid::regclass::text, u.spent from llm_private.usage u join llm_private.meters m on m.id = u.meter_id
                     where m.name in ('scope_budget', 'tenant_quarter') order by m.name$$,
  $$values ('llm_private.usage_default', 90000::bigint), ('llm_private.usage_default', 25000::bigint)$$,
  'the scope''s and the quarter''s usage, still in use, moved to the default partition as they were');
select is((select count(*) from llm_private.alerts where budget_scope = 'acct-1' and threshold_pct = 80), 1::bigint,
  'and so did the scope''s alert');
select is((select count(*) from llm_private.usage u join llm_private.meters m on m.id = u.meter_id
            where m.name = 'user_monthly' and u.period_start = '2027-01-01 00:00+00' and u.held = 0), 0::bigint,
  'January''s monthly rows without a hold went with their month');
select results_eq($$select decision, reason, limit_used from tests.call(tests.tenant_a(), tests.user_a1(), 'e-4', 'explanation', 'mock:large', 1000,
                     '{"budget_scope": "acct-1"}')$$,
  $$values ('block', 'scope_budget', 90000::bigint)$$,
  'the scope''s cap still counts January''s 90 000: a call of 40 000 is refused (its usage started again from 0 before)');
select is(tests.used('tenant_quarter', tests.tenant_b()), 25000::bigint, 'the quarter still counts January''s 25 000');

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
