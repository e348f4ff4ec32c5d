-- A limit is refused when it is defined if the engine cannot apply it to the subject it names, with a stable SQLSTATE and
-- a hint (review 91). Accepted, a tenant's limit on a global meter (or a user's on a tenant counter) set the shared
-- counter's cap for everyone whenever that subject reserved: the counter passed everyone's cap, or the subject was refused
-- for what others had spent. Other limits were accepted and silently never applied.
begin;
select plan(30);
select tests.seed();

-- What an operator could get wrong, and what it is told.
select tests.act_as_role('llm_operator');
select is(tests.err_of($$select llm.define_meter('Tenant Weekly', 'tenant', 'week', 'tokens')$$), '22023 +hint', 'a meter name that is no name: 22023');
select is(tests.err_of($$select llm.define_meter('tenant_monthly', 'tenant', 'month', 'micros')$$), '23505 +hint', 'a meter that exists: 23505 with a hint');
select is(tests.err_of($$select llm.define_meter('ghost_daily', 'tenant', 'day', 'micros', '00000000-0000-4000-8000-00000000dead')$$),
  '23503 +hint', 'a meter of a tenant that does not exist: 23503 with a hint');
select is(tests.err_of($$select llm.define_meter('chat_daily', 'tenant', 'day', 'micros', p_endpoint => 'chat')$$),
  '22023 +hint', 'an endpoint that does not exist: 22023 naming them');
select llm.define_meter('a_only_daily', 'tenant', 'day', 'micros', tests.tenant_a());
select llm.define_meter('old_daily', 'tenant', 'day', 'micros');
select llm.disable_meter('old_daily');
select is(tests.err_of($$select llm.set_limit('global_hourly', 1000000, tests.tenant_a())$$), '22023 +hint',
  'a tenant''s limit on a global meter: 22023 (its counter is everyone''s)');
select throws_ok($$select llm.set_limit('global_hourly', 1000000, tests.tenant_a())$$, '22023',
  'meter global_hourly is global: its limit is everyone''s', '(naming the meter)');
select is(tests.err_of($$select llm.set_limit('tenant_monthly', 1000000, tests.tenant_a(), tests.user_a1())$$), '22023 +hint',
  'a user''s limit on a tenant meter: 22023 (its counter is the tenant''s users'')');
select is(tests.err_of($$select llm.set_limit('investigation_calls', 3, tests.tenant_a(), tests.user_a1())$$), '22023 +hint',
  'a user''s limit on a budget-scope counter: 22023 (a scope is the tenant''s)');
select lives_ok($$select llm.set_limit('investigation_deadline', 90000, tests.tenant_a(), tests.user_a1())$$,
  'a user''s deadline on a budget scope stands (it is read per call, not counted)');
select is(tests.err_of($$select llm.set_limit('a_only_daily', 1000, tests.tenant_b())$$), '22023 +hint',
  'a limit for tenant B on a meter that counts tenant A only: 22023');
select is(tests.err_of($$select llm.set_limit('user_monthly', 1000, tests.tenant_a(), tests.user_b1())$$), '22023 +hint',
  'a limit for B''s user under tenant A: 22023 (it would never apply)');
select lives_ok($$select llm.set_limit('user_monthly', 1000, tests.tenant_a(), 'a9000000-0000-0000-0000-000000000009')$$,
  'a user not enrolled yet may be given a limit');
select is(tests.err_of($$select llm.set_limit('old_daily', 1000, tests.tenant_a())$$), '22023 +hint', 'a limit on a disabled meter: 22023');
select is(tests.err_of($$select llm.set_limit('investigation_budget', 1000, tests.tenant_a(), p_trips_shutoff => true)$$), '22023 +hint',
  'a shutoff trip on a budget-scope meter: 22023 (a scope has no window of its own)');
select is(tests.err_of($$select llm.set_limit('user_monthly', 1000, tests.tenant_a(), null, 'hard', 'cap')$$), '22023 +hint',
  'action cap on a user month: 22023 (only per-request and budget-scope micro-USD limits shape)');
select is(tests.err_of($$select llm.set_limit('investigation_calls', 5, tests.tenant_a(), null, 'hard', 'fallback')$$), '22023 +hint',
  'action fallback on a calls meter: 22023');
select lives_ok($$select llm.set_limit('investigation_budget', 200000, tests.tenant_a(), null, 'hard', 'fallback')$$,
  'action fallback on a budget scope''s micro-USD limit stands');
select is(tests.err_of($$select llm.set_limit('user_monthly', -5, tests.tenant_a())$$), '23514 +hint', 'a negative cap: 23514 with a hint');
select is(tests.err_of($$select llm.set_limit('user_monthly', 5000, 'c9000000-0000-0000-0000-00000000000c')$$), '23503 +hint',
  'an unknown tenant: 23503 with a hint');
select is(tests.err_of($$select llm.set_limit('user_monthly', 5000, tests.tenant_a(), null, 'strict')$$), '22023 +hint',
  'an unknown kind: 22023 with a hint (was a raw 22P02)');
select is(tests.err_of($$select llm.set_limit('user_monthly', 5000, tests.tenant_a(), null, 'hard', 'deny')$$), '22023 +hint',
  'an unknown action: 22023 with a hint');
select is(tests.err_of($$select llm.set_limit('user_monthly', 5000, tests.tenant_a(), p_valid_until => '2026-03-01')$$), '22023 +hint',
  'a limit that would end before now: 22023 with a hint (was a constraint''s name)');
select is(tests.err_of($$select llm.set_limit('user_monthly', 5000, tests.tenant_a(), p_valid_from => '2026-04-01', p_valid_until => '2026-03-20')$$),
  '22023 +hint', 'a limit that would end before it starts: 22023');
select is(tests.err_of($$insert into llm_private.limits (meter_id, tenant_id, cap) select id, tests.tenant_a(), 1000 from llm_private.meters where name = 'global_hourly'$$),
  '22023 +hint', 'the operator''s direct insert is held to the same rules');
select tests.as_admin();

-- What the refused limits did: none of it can happen now. The ones that stand are enforced on the counter they name.
select tests.act_as_role('llm_operator');
select llm.set_limit('global_hourly', 100000);
select llm.set_limit('tenant_hourly', 50000, tests.tenant_a());
select llm.set_limit('user_monthly', 10000000, tests.tenant_b());
select tests.as_admin();
select is((select string_agg(decision, ',') from (select (tests.call(tests.tenant_b(), tests.user_b1(), 'b-' || n)).decision from generate_series(1, 2) n) x),
  'allow,allow', 'tenant B holds 80 000 of everyone''s 100 000 an hour');
select results_eq($$select decision, reason, limit_cap, limit_used from tests.call(tests.tenant_a(), tests.user_a1(), 'a-1')$$,
  $$values ('block', 'global_hourly', 100000::bigint, 80000::bigint)$$, 'A''s 40 000 does not fit everyone''s cap: block / global_hourly');
select results_eq($$select decision, reason, limit_cap, limit_used from tests.call(tests.tenant_a(), tests.user_a1(), 'a-2', 'investigation', 'mock:small')$$,
  $$values ('allow', 'ok', 100000::bigint, 0::bigint)$$,
  'a 3 000 call fits both (it names the tighter: everyone''s hourly cap, whose shard of A lent B all but 20 000, 0 of it used)');
select results_eq($$select sum(held + spent)::bigint, max(cap), sum(quota)::bigint from llm_private.usage u join llm_private.meters m on m.id = u.meter_id
                     where m.name = 'global_hourly'$$,
  $$values (83000::bigint, 100000::bigint, 100000::bigint)$$, 'the global counter keeps everyone''s cap: 83 000 of 100 000');
select results_eq($$select cap, held + spent from llm.limit_usage where meter_name = 'tenant_hourly' and tenant_id = tests.tenant_a() and current$$,
  $$values (50000::bigint, 3000::bigint)$$, 'and A''s own hourly cap is on A''s own counter');
select is(tests.drift_rows(), 0::bigint, 'the ledger and usage agree');
select * from finish();
rollback;
