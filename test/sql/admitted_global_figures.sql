-- Review r110 of the admitted call's figures (merge h108, d05c7d4): an admitted call records the tightest limit's used
-- figure, a global meter's included. The application (llm_app) reads its own attempts (app_select_own), and so reads what
-- every tenant has held and spent on that meter, which llm.my_usage and usage's policy keep from it (tenant_id <> nil).
-- (A refusal by a global limit showed it before; now every admitted call whose tightest limit is global does.)
begin;
select plan(3);
select tests.seed();
/* 2. A global meter of one shard, 100 000 a day: tenant B spends 40 000 on it, then A1 makes a call. */
select tests.act_as_role('llm_operator');
select ok(llm.set_limit('afr_global_day', 100000) > 0, 'an operator caps a global day')
  from (select llm.define_meter('afr_global_day', 'global', 'day', 'micros')) d;
select tests.as_admin();
select 1 from tests.call(tests.tenant_b(), tests.user_b1(), 'afr-b');
select 1 from tests.settle(tests.request_pk('afr-b'), 1, 'ok', 1000, 0, 1000);
select is((select decision from tests.call(tests.tenant_a(), tests.user_a1(), 'afr-a')), 'allow', 'A1''s call is allowed');
select tests.act_as_app(tests.tenant_a(), tests.user_a1());
select is((select count(*)::int from llm_private.attempts a
             join llm_private.limits l on l.id = a.limit_id join llm_private.meters m on m.id = l.meter_id
            where a.request_pk = tests.request_pk('afr-a') and m.scope = 'global' and a.limit_used is not null), 0,
  'the application reads no global meter''s used figure (every tenant''s spend) through its own admitted call');
select tests.as_admin();

select * from finish();
rollback;
