-- Review r110 of the admitted call's figures (merge h108, d05c7d4): an admitted call records the tightest limit's used
-- figure, a global meter's included, and for a global meter that figure is what every tenant has held and spent on it,
-- which the usage policy and llm.my_usage keep from the application. (A refusal by a global limit recorded it before.)
-- The application reads its own attempts, but not their limit_used (migration 000066); auditors read it in llm.calls.
begin;
select plan(7);
select tests.seed();
/* A global meter of one shard, 100 000 a day: tenant B spends 40 000 on it, then A1 makes a call. */
select tests.act_as_role('llm_operator');
select ok(llm.set_limit('afr_global_day', 100000) > 0, 'an operator caps a global day')
  from (select llm.define_meter('afr_global_day', 'global', 'day', 'micros')) d;
select tests.as_admin();
select 1 from tests.call(tests.tenant_b(), tests.user_b1(), 'afr-b');
select 1 from tests.settle(tests.request_pk('afr-b'), 1, 'ok', 1000, 0, 1000);
select is((select decision from tests.call(tests.tenant_a(), tests.user_a1(), 'afr-a')), 'allow', 'A1''s call is allowed');
select is((select c.limit_used from llm.calls c join llm_private.meters m on m.name = 'afr_global_day'
                                 join llm_private.limits l on l.meter_id = m.id and l.id = c.limit_id
            where c.request_pk = tests.request_pk('afr-a')), 40000::bigint,
  'the auditor reads why it fitted: the global day had 40 000 used (tenant B''s)');
select ok(not has_column_privilege('llm_app', 'llm_private.attempts', 'limit_used', 'SELECT'),
  'the application may not read limit_used');
select ok(has_column_privilege('llm_app', 'llm_private.attempts', 'limit_id', 'SELECT')
          and has_column_privilege('llm_app', 'llm_private.attempts', 'charged_micros', 'SELECT'),
  'it reads its attempts'' other columns');
select tests.act_as_app(tests.tenant_a(), tests.user_a1());
select throws_ok($$select limit_used from llm_private.attempts where request_pk = tests.request_pk('afr-a')$$, '42501', null,
  'as the application, the global meter''s figure (every tenant''s spend) is not readable through its own admitted call');
select is((select state from llm.request_results where request_id = 'afr-a'), 'running',
  'llm.request_results still reads its requests');
select tests.as_admin();
select * from finish();
rollback;
