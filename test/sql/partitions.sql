-- The ledger is partitioned by month: ids carry their UTC month, rows route to their month's partition, maintenance creates
-- months ahead and drops whole months past retention; rows are never deleted one by one.
begin;
select plan(29);
select tests.seed();
select tests.freeze_clock('2027-05-10 12:00:00+00');

select tests.act_as_role('llm_owner');
select cmp_ok(llm_maint.ensure_partitions(), '>', 0, 'ensure_partitions, run by the owner, creates the months ahead (from settings.partitions_ahead_months)');
select is(llm_maint.ensure_partitions(), 0, 'and is idempotent');
select tests.act_as_role('llm_viewer');
select results_eq($$select table_name, newest_month_start, months_ahead, months_ahead_wanted from llm.partition_coverage order by 1$$,
  $$select t, '2027-08-01 00:00+00'::timestamptz, 3, 3 from unnest(array['adjustments', 'alerts', 'attempts', 'request_inputs', 'requests', 'usage']) t$$,
  'llm.partition_coverage (llm_viewer reads it): every partitioned ledger table, its newest month (August 2027), 3 months past May, as wanted');
select tests.as_admin();
select ok(to_regclass('llm_private.attempts_m202708') is not null and to_regclass('llm_private.usage_m202708') is not null,
  'attempts and usage have a partition for August 2027 (3 months ahead)');
select ok((select relforcerowsecurity and relacl is null from pg_class where oid = 'llm_private.requests_m202705'::regclass),
  'a new partition forces RLS and carries no grant');

select is((select decision from tests.call(tests.tenant_a(), tests.user_a1(), 'p-1')), 'allow', 'a call in May 2027');
select is((select tableoid::regclass::text from llm_private.requests where request_id = 'p-1'), 'llm_private.requests_m202705',
  'its request routes to May''s partition');
select is((select llm_private.month_start((id >> 40)::int) from llm_private.requests where request_id = 'p-1'), '2027-05-01 00:00+00'::timestamptz,
  'its id carries its month');
select is((select count(distinct tableoid::regclass::text) from llm_private.attempts where request_pk = tests.request_pk('p-1')), 1::bigint,
  'its attempt lives in the same month''s partition');
select is((select u.tableoid::regclass::text from llm_private.usage u join llm_private.meters m on m.id = u.meter_id
            where m.name = 'user_monthly' and u.user_id = tests.user_a1()), 'llm_private.usage_m202705', 'its usage row too');

select tests.settle(tests.request_pk('p-1'), 1);
select throws_ok($$delete from llm_private.attempts$$, 'LG006', null, 'no row of the ledger is deleted, not even by a superuser');
select throws_ok($$delete from llm_private.requests$$, 'LG006', null, 'requests neither');
select throws_ok($$truncate llm_private.usage_m202705$$, 'LG006', null,
  'nor is a month truncated by its partition''s name, by a superuser: the month''s counters stay (a partition made by ensure_partitions)');
select throws_ok($$truncate llm_private.attempts_m202705, llm_private.requests_m202705, llm_private.request_inputs_m202705 cascade$$, 'LG006', null,
  'the month''s calls and requests neither');
select throws_ok($$truncate llm_private.attempts_default$$, 'LG006', null, 'nor a DEFAULT partition, made before migration 000049');
select throws_ok($$truncate llm_private.adjustments$$, 'LG006', null, 'the credits and debits are not truncated (migration 000052)');
select throws_ok($$truncate llm_private.adjustments_m202705, llm_private.alerts_m202705$$, 'LG006', null,
  'nor a month of them, or of the alerts, by its partition''s name');

-- Retention: 13 months; in July 2028 everything before July 2027 goes, by whole partitions.
select tests.freeze_clock('2028-07-02 00:00:00+00');
select tests.act_as_role('llm_owner');
select cmp_ok(llm_maint.drop_expired_partitions(), '>', 0, 'drop_expired_partitions drops whole months past retention');
select tests.as_admin();
select ok(to_regclass('llm_private.requests_m202705') is null and to_regclass('llm_private.usage_m202705') is null,
  'May 2027 is gone: requests, attempts, usage alike');
select ok(to_regclass('llm_private.requests_m202707') is not null, 'July 2027 stays (13 months)');

-- llm.partition_coverage: how far ahead the months are created, from the catalog (what the metrics and alerts read).
-- (the retention above left July and August 2027)
select tests.freeze_clock('2027-07-31 23:59:59+00');
select tests.act_as_role('llm_viewer');
select is((select array_agg(distinct months_ahead) from llm.partition_coverage), array[1], 'at the end of July the months ahead are fewer (no maintenance since May)');
select tests.as_admin();
select tests.freeze_clock('2027-08-01 00:00:00+00');
select tests.act_as_role('llm_viewer');
select is((select array_agg(distinct months_ahead) from llm.partition_coverage), array[0], 'on August 1st (UTC) August is the last one');
select tests.as_admin();
select tests.freeze_clock('2027-09-15 00:00:00+00');
select tests.act_as_role('llm_viewer');
select results_eq($$select distinct newest_month_start, months_ahead, month_partitions from llm.partition_coverage$$,
  $$values ('2027-08-01 00:00+00'::timestamptz, -1, 2)$$,
  'in September, with July and August left (retention dropped the rest): -1, this month''s rows go to DEFAULT');
select tests.as_admin();
-- September's first call goes to DEFAULT; the maintenance then skips September for the tables holding its rows and creates
-- October to December: their newest month is December, but the coverage from September is still none.
select is((select decision from tests.call(tests.tenant_a(), tests.user_a1(), 'p-sep')), 'allow', 'a call in September, no partition for it');
select is((select tableoid::regclass::text from llm_private.requests where request_id = 'p-sep'), 'llm_private.requests_default',
  'its request is in DEFAULT');
select tests.act_as_role('llm_owner');
select llm_maint.ensure_partitions();
select tests.act_as_role('llm_viewer');
select results_eq($$select table_name, newest_month_start, months_ahead from llm.partition_coverage
                     where table_name in ('requests', 'usage', 'adjustments') order by 1$$,
  $$values ('adjustments', '2027-12-01 00:00+00'::timestamptz, 3), ('requests', '2027-12-01 00:00+00'::timestamptz, -1),
           ('usage', '2027-12-01 00:00+00'::timestamptz, -1)$$,
  'after the maintenance skipped September (its rows are in DEFAULT) and made October to December: -1 where September is missing');
select tests.as_admin();
drop table llm_private.adjustments_m202710;
select tests.act_as_role('llm_viewer');
select results_eq($$select months_ahead, month_partitions from llm.partition_coverage where table_name = 'adjustments'$$, $$values (0, 5)$$,
  'a month missing in between ends the coverage: October dropped, November and December count for nothing');
select tests.as_admin();
select tests.act_as_role('llm_app');
select throws_ok($$select * from llm.partition_coverage$$, '42501', null, 'the application does not read it');
select tests.as_admin();
select tests.act_as_role('llm_operator');
select llm.set_setting('partitions_ahead_months', '5');
select is((select array_agg(distinct months_ahead_wanted) from llm.partition_coverage), array[5],
  'months_ahead_wanted is settings.partitions_ahead_months, as the operator sets it');
select tests.as_admin();

select * from finish();
rollback;
