-- Limits are data: the defaults as rows, new kinds of limits added with SQL only, temporary increases,
-- soft limits, alerts once per threshold and period, escrow shards that stay strict, budget pressure.
begin;
select plan(105);
select tests.seed();

-- The 0.1 defaults are rows.
select results_eq($$select meter_name, cap, kind, action from llm.limits where tenant_id is null and in_effect order by limit_id$$,
  $$values ('request_cap_route', 20000::bigint, 'hard', 'fallback'), ('request_cap_explanation', 100000::bigint, 'hard', 'cap'),
           ('request_cap_investigation', 300000::bigint, 'hard', 'cap'), ('request_cap_budget_optimization', 300000::bigint, 'hard', 'cap'),
           ('user_monthly', 25000000::bigint, 'hard', 'block'), ('tenant_monthly', 500000000::bigint, 'hard', 'block'),
           ('investigation_budget', 300000::bigint, 'hard', 'cap'), ('investigation_calls', 10::bigint, 'hard', 'block'),
           ('investigation_deadline', 60000::bigint, 'hard', 'block')$$,
  'the defaults of 0.1 (per-request caps per endpoint, 25 USD per user month, tenant month, investigations) are limit rows');
select is((select count(*)::int from llm.limits where meter_name in ('user_hourly', 'tenant_hourly', 'global_hourly')), 0,
  'hourly meters exist without a default limit (off until an operator sets one)');

-- A per-model daily cap and a per-user token cap, with SQL only.
select tests.act_as_role('llm_operator');
select ok(llm.define_meter('large_daily', 'tenant', 'day', 'micros', null, 'mock', 'large') > 0, 'a per-model daily meter is one call');
select ok(llm.set_limit('large_daily', 50000, tests.tenant_a()) > 0, 'and tenant A''s cap on it another');
select ok(llm.define_meter('user_daily_tokens', 'user', 'day', 'tokens') > 0, 'a per-user token meter');
select ok(llm.set_limit('user_daily_tokens', 2500, tests.tenant_a(), tests.user_a1()) > 0, 'and user A1''s cap of 2 500 tokens');
select tests.as_admin();
select is((select decision from tests.call(tests.tenant_a(), tests.user_a2(), 'm-1')), 'allow', 'a first large call fits the daily cap of A');
select results_eq($$select decision, reason, limit_cap, limit_used from tests.call(tests.tenant_a(), tests.user_a2(), 'm-2')$$,
  $$values ('block', 'large_daily', 50000::bigint, 40000::bigint)$$, 'a second large call does not: block / large_daily');
select is((select decision from tests.call(tests.tenant_a(), tests.user_a2(), 'm-3', 'investigation', 'mock:small')), 'allow',
  'the small model is not counted on the large model''s meter');
select is((select decision from tests.call(tests.tenant_b(), tests.user_b1(), 'm-4')), 'allow', 'nor is tenant B (the limit is A''s)');
select is((select decision from tests.call(tests.tenant_a(), tests.user_a1(), 't-1', 'investigation', 'mock:small')), 'allow',
  'A1: 1 000 in + 1 000 out = 2 000 tokens held of 2 500');
select is((select state from tests.settle(tests.request_pk('t-1'), 1, 'ok', 1000, 0, 500)), 'settled', 'settled at 1 500 tokens');
select results_eq($$select decision, reason, limit_used from tests.call(tests.tenant_a(), tests.user_a1(), 't-2', 'investigation', 'mock:small')$$,
  $$values ('block', 'user_daily_tokens', 1500::bigint)$$, 'the next 2 000 do not fit: block / user_daily_tokens (used = tokens spent)');

-- A temporary increase that ends by itself.
select tests.act_as_role('llm_operator');
select ok(llm.set_limit('user_monthly', 50000, tests.tenant_b(), tests.user_b1()) > 0, 'B1 is capped at 0.05 USD a month');
select ok(llm.set_limit('user_monthly', 200000, tests.tenant_b(), tests.user_b1(), 'hard', 'block', null, '2026-03-15 11:00:00+00') > 0,
  'with an increase to 0.20 USD until 11:00');
select tests.as_admin();
select is((select decision from tests.call(tests.tenant_b(), tests.user_b1(), 'x-1')), 'allow', 'during the increase: 40 000 + 40 000 (m-4)');
select is((select decision from tests.call(tests.tenant_b(), tests.user_b1(), 'x-2')), 'allow', 'and another 40 000');
select tests.freeze_clock('2026-03-15 11:05:00+00');
select results_eq($$select decision, reason, limit_cap, limit_used from tests.call(tests.tenant_b(), tests.user_b1(), 'x-3', 'investigation', 'mock:tiny')$$,
  $$values ('block', 'user_monthly', 50000::bigint, 120000::bigint)$$, 'after 11:00 the permanent cap applies again, by itself');
select tests.freeze_clock('2026-03-15 10:30:00+00');

-- A permanent change scheduled for later: the current limit stays in force until it starts.
select tests.act_as_role('llm_operator');
select ok(llm.set_limit('user_monthly', 30000, tests.tenant_a(), 'a3000000-0000-0000-0000-000000000003'::uuid) > 0, 'A3 is capped at 0.03 USD a month');
select ok(llm.set_limit('user_monthly', 90000, tests.tenant_a(), 'a3000000-0000-0000-0000-000000000003'::uuid, 'hard', 'block', '2026-03-15 11:00:00+00') > 0,
  'and will be capped at 0.09 USD from 11:00');
select throws_ok($$select llm.set_limit('user_monthly', 1, tests.tenant_a(), 'a3000000-0000-0000-0000-000000000003'::uuid, 'hard', 'block', '2026-03-15 09:00:00+00')$$,
  '22023', 'a limit starts now or later', 'a limit cannot start in the past');
select tests.as_admin();
select results_eq($$select decision, reason, limit_cap from tests.call(tests.tenant_a(), 'a3000000-0000-0000-0000-000000000003'::uuid, 'sched-1', 'investigation', 'mock:small', 1000, '{}', 30000)$$,
  $$values ('block', 'user_monthly', 30000::bigint)$$, 'before 11:00 the 0.03 USD cap refuses a 32 000 worst case (not the 25 USD default)');
select tests.freeze_clock('2026-03-15 11:05:00+00');
select results_eq($$select decision, reason, limit_cap from tests.call(tests.tenant_a(), 'a3000000-0000-0000-0000-000000000003'::uuid, 'sched-2', 'investigation', 'mock:small', 1000, '{}', 30000)$$, $$values ('allow', 'ok', 90000::bigint)$$, 'from 11:00 the 0.09 USD cap applies (the allowed call names it, its tightest limit)');
select is((select released_micros from tests.release(tests.request_pk('sched-2'), 1)), 32000::bigint, '(its hold is given back: no call was made)');
select tests.freeze_clock('2026-03-15 10:30:00+00');

-- A soft limit never refuses; it alerts, once per threshold and period.
select tests.act_as_role('llm_operator');
select ok(llm.define_meter('tenant_daily_soft', 'tenant', 'day', 'micros') > 0, 'a tenant daily meter');
select ok(llm.set_limit('tenant_daily_soft', 50000, tests.tenant_b(), null, 'soft', 'block', null, null, '{50,100}') > 0,
  'a soft limit of 0.05 USD for tenant B, alerting at 50 and 100 %');
select tests.as_admin();
select is((select count(*)::int from (select tests.enqueue(tests.tenant_b(), tests.user_b1(), 's-' || n, 'investigation', 'mock:large', 1000, 'q' || n)
            from generate_series(1, 3) n) e), 3, 'B1 enqueues three requests');
update llm_private.limits set cap = 10000000 where meter_id = (select id from llm_private.meters where name = 'user_monthly')
   and user_id = tests.user_b1();
select is((select string_agg(decision, ',') from (select (tests.reserve(tests.request_pk('s-' || n))).decision from generate_series(1, 3) n) d),
  'allow,allow,allow', 'three calls of 40 000 against a soft 50 000: all allowed');
select is((select count(*)::int from llm.alerts where meter_name = 'tenant_daily_soft'), 0, 'holds alone fire no alert (alerts follow money spent)');
select is((select state from tests.settle(tests.request_pk('s-1'), 1, 'ok', 1000, 0, 1000)), 'settled', 'the first settles at 40 000');
select results_eq($$select threshold_pct, used, cap from llm.alerts where meter_name = 'tenant_daily_soft' order by id$$,
  $$values (50::smallint, 40000::bigint, 50000::bigint)$$, '50 % crossed: one alert');
select is((select state from tests.settle(tests.request_pk('s-2'), 1, 'ok', 1000, 0, 1000)), 'settled', 'the second at 80 000');
select is((select state from tests.settle(tests.request_pk('s-3'), 1, 'ok', 1000, 0, 1000)), 'settled', 'the third at 120 000');
select results_eq($$select threshold_pct from llm.alerts where meter_name = 'tenant_daily_soft' order by id$$,
  $$values (50::smallint), (100::smallint)$$, 'each threshold alerts once in the period');
select tests.freeze_clock('2026-03-16 09:00:00+00');
select ok(tests.enqueue(tests.tenant_b(), tests.user_b1(), 's-next', 'investigation', 'mock:large', 1000, 'next day') > 0, 'and one more');
select is((select decision from tests.reserve(tests.request_pk('s-next'))), 'allow', 'the next day');
select is((select state from tests.settle(tests.request_pk('s-next'), 1, 'ok', 1000, 0, 1000)), 'settled', 'settles 40 000');
select is((select count(*)::int from llm.alerts where meter_name = 'tenant_daily_soft' and period_start = '2026-03-16 00:00+00'), 1,
  'a new period alerts again');
select tests.freeze_clock('2026-03-15 10:30:00+00');

-- Escrow: tenant_monthly is split into 8 quotas; borrowing keeps the total strict.
select tests.act_as_role('llm_operator');
select ok(llm.end_limit((select limit_id from llm.limits where meter_name = 'large_daily')), 'the large model''s daily cap is ended');
select ok(llm.set_limit('tenant_monthly', 80000, tests.tenant_a()) > 0, 'tenant A is capped at 0.08 USD a month');
select tests.as_admin();
select is((select sum(held + spent)::bigint from llm_private.usage u join llm_private.meters m on m.id = u.meter_id
            where m.name = 'tenant_monthly' and u.tenant_id = tests.tenant_a()), 40000::bigint + 3000 + 2000,
  'A has used 45 000 of its month (m-1 and m-3 held, t-1 settled at 2 000)');
select results_eq($$select decision, reason, limit_cap, limit_used from tests.call(tests.tenant_a(), tests.user_a2(), 'e-1')$$,
  $$values ('block', 'tenant_monthly', 80000::bigint, 45000::bigint)$$, 'a worst case of 40 000 does not fit the 35 000 left: refused, strictly');
select is((select sum(quota)::bigint from llm_private.usage u join llm_private.meters m on m.id = u.meter_id
            where m.name = 'tenant_monthly' and u.tenant_id = tests.tenant_a()), 80000::bigint,
  'the 8 shards'' quotas followed the new cap (sum = 80 000)');
select is((select decision from tests.call(tests.tenant_a(), tests.user_a2(), 'e-2', 'investigation', 'mock:small')), 'allow',
  'a worst case of 3 000 fits: the user''s shard borrowed quota from the others');
select is((select sum(quota)::bigint from llm_private.usage u join llm_private.meters m on m.id = u.meter_id
            where m.name = 'tenant_monthly' and u.tenant_id = tests.tenant_a()), 80000::bigint, 'borrowing moved quota, never made any');
select is((select count(*)::int from llm_private.usage u join llm_private.meters m on m.id = u.meter_id
            where m.name = 'tenant_monthly' and u.tenant_id = tests.tenant_a() and u.held + u.spent > u.quota), 0, 'and no shard is over its quota');
-- Money charged past a shard's quota (an overrun is charged in full; so is an operator's debit) is taken from the other
-- shards' free quota, so that they cannot still admit what the cap has no room for.
select tests.act_as_role('llm_operator');
select ok(llm.adjust_usage(tests.tenant_a(), null, 33000, 'late invoice from the provider') > 0, 'an operator debits 33 000 to the tenant');
select tests.as_admin();
select results_eq($$select sum(quota)::bigint, sum(held + spent)::bigint, sum(greatest(quota - held - spent, 0))::bigint
                     from llm_private.usage u join llm_private.meters m on m.id = u.meter_id
                    where m.name = 'tenant_monthly' and u.tenant_id = tests.tenant_a()$$,
  $$values (80000::bigint, 81000::bigint, 0::bigint)$$,
  'used 48 000 + 33 000 = 81 000 of 80 000 (a debit is charged whatever the cap): the debited shard took every free quota');
select results_eq($$select decision, reason, limit_used from tests.call(tests.tenant_a(), tests.user_a2(), 'e-3', 'investigation', 'mock:small')$$,
  $$values ('block', 'tenant_monthly', 81000::bigint)$$, 'so nothing more is admitted, whichever shard asks');
-- An overrun is charged in full too: tenant D, 8 fresh shards of 10 000, one call held at 3 000 and settled at 20 000.
select tests.act_as_role('llm_operator');
select lives_ok($$select llm.upsert_tenant('d4000000-0000-0000-0000-00000000000d', 'tenant D')$$, 'tenant D');
select ok(llm.set_limit('tenant_monthly', 80000, 'd4000000-0000-0000-0000-00000000000d') > 0, 'capped at 0.08 USD a month');
select tests.as_admin();
select is((select decision from tests.call('d4000000-0000-0000-0000-00000000000d', 'd4100000-0000-0000-0000-000000000001', 'ov-1',
  'investigation', 'mock:small')), 'allow', 'D''s call holds its worst case of 3 000');
select is((select overrun_micros from tests.settle(tests.request_pk('ov-1'), 1, 'ok', 10000, 0, 5000)), 17000::bigint,
  'and settles at 20 000: an overrun of 17 000, charged in full');
select results_eq($$select sum(quota)::bigint, sum(greatest(quota - held - spent, 0))::bigint, count(*) filter (where held + spent > quota)::int
                     from llm_private.usage u join llm_private.meters m on m.id = u.meter_id
                    where m.name = 'tenant_monthly' and u.tenant_id = 'd4000000-0000-0000-0000-00000000000d'$$,
  $$values (80000::bigint, 60000::bigint, 0)$$,
  'the overrun''s shard borrowed its excess: 60 000 left to admit in all (not 70 000 on the seven other shards)');

-- Budget pressure: above 50 % of B2's month, the cheaper model first.
select tests.act_as_role('llm_operator');
select ok(llm.set_limit('user_monthly', 60000, tests.tenant_b(), 'b2000000-0000-0000-0000-000000000002', 'hard', 'block', null, null,
  '{80,95,100}', false, 50::smallint, 'mock:tiny') > 0, 'a limit can name a cheaper model above a share of its cap');
select tests.as_admin();
select is((select decision from tests.call(tests.tenant_b(), 'b2000000-0000-0000-0000-000000000002', 'p-1')), 'allow',
  'below 50 %: the requested model');
select results_eq($$select decision, reason, model, limit_used from tests.call(tests.tenant_b(), 'b2000000-0000-0000-0000-000000000002', 'p-2')$$,
  $$values ('fallback', 'budget_pressure', 'tiny', 40000::bigint)$$, 'above 50 %: fallback / budget_pressure to the named model');

-- Budget pressure is a preference, never a refusal: no chain and no pressure model -> stay; a named model outside the chain -> that model.
select tests.act_as_role('llm_operator');
select lives_ok($$select llm.define_model('mock', 'mini', 4096, true, 500000, 250000, 1000000)$$, 'a cheap model in no chain (worst case 1 500)');
select ok(llm.set_limit('user_monthly', 10000, tests.tenant_b(), 'b3000000-0000-0000-0000-000000000003', 'hard', 'block', null, null,
  '{80,95,100}', false, 20::smallint) > 0, 'B3: pressure above 20 % of 0.01 USD, no pressure model');
select ok(llm.set_limit('user_monthly', 400000, tests.tenant_b(), 'b4000000-0000-0000-0000-000000000004', 'hard', 'block', null, null,
  '{80,95,100}', false, 5::smallint, 'mock:mini') > 0, 'B4: pressure above 5 % of 0.40 USD, to mock:mini');
select tests.as_admin();
select is((select decision from tests.call(tests.tenant_b(), 'b3000000-0000-0000-0000-000000000003', 'pa-1', 'investigation', 'mock:small')),
  'allow', 'B3: 3 000 of 10 000 on mock:small (which has no fallback chain)');
select results_eq($$select decision, reason, model from tests.call(tests.tenant_b(), 'b3000000-0000-0000-0000-000000000003', 'pa-2', 'investigation', 'mock:small')$$,
  $$values ('allow', 'ok', 'small')$$, 'above 20 % with no chain and no pressure model, a call that fits stays on the requested model');
select is((select decision from tests.call(tests.tenant_b(), 'b4000000-0000-0000-0000-000000000004', 'pb-1')), 'allow', 'B4: 40 000 of 400 000');
select results_eq($$select decision, reason, model, held_micros from tests.call(tests.tenant_b(), 'b4000000-0000-0000-0000-000000000004', 'pb-2')$$,
  $$values ('fallback', 'budget_pressure', 'mini', 1500::bigint)$$,
  'above 5 %: the named pressure model, though it is not in mock:large''s chain (small, tiny)');
insert into llm_private.provider_breakers (provider, model, state, consecutive_failures, open_until)
values ('mock', 'mini', 'open', 3, '2026-03-15 11:30:00+00');
select results_eq($$select decision, reason, model, held_micros from tests.call(tests.tenant_b(), 'b4000000-0000-0000-0000-000000000004', 'pb-3')$$,
  $$values ('allow', 'ok', 'large', 40000::bigint)$$,
  'with the pressure model''s breaker open, the call goes on with the requested model (pressure never refuses)');
delete from llm_private.provider_breakers where model = 'mini';
-- And the call is then decided exactly as without pressure: tenant E, whose routes are capped at 250 micro-USD by
-- fallback, and whose user E1 is under pressure towards mock:mini (breaker open again, not in mock:large's chain).
select tests.act_as_role('llm_operator');
select lives_ok($$select llm.upsert_tenant('e5000000-0000-0000-0000-00000000000e', 'tenant E')$$, 'tenant E');
select ok(llm.set_limit('request_cap_route', 250, 'e5000000-0000-0000-0000-00000000000e', null, 'hard', 'fallback') > 0,
  'E''s routes: at most 250 micro-USD each, by fallback (capped on the last model of the chain)');
select ok(llm.set_limit('user_monthly', 1000000, 'e5000000-0000-0000-0000-00000000000e', 'e5100000-0000-0000-0000-000000000001', 'hard', 'block',
  null, null, '{80,95,100}', false, 1::smallint, 'mock:mini') > 0, 'E1: pressure above 1 % of 1 USD, to mock:mini');
select tests.as_admin();
insert into llm_private.users (tenant_id, id) values ('e5000000-0000-0000-0000-00000000000e', 'e5100000-0000-0000-0000-000000000001');   -- an adjustment names an enrolled user
select tests.act_as_role('llm_operator');
select ok(llm.adjust_usage('e5000000-0000-0000-0000-00000000000e', 'e5100000-0000-0000-0000-000000000001', 20000, 'spent elsewhere') > 0,
  'E1 has spent 2 %');
select tests.as_admin();
insert into llm_private.provider_breakers (provider, model, state, consecutive_failures, open_until)
values ('mock', 'mini', 'open', 3, '2026-03-15 11:30:00+00');
select results_eq($$select decision, reason, model, held_micros from tests.call('e5000000-0000-0000-0000-00000000000e',
                     'e5100000-0000-0000-0000-000000000001', 'pe-1', 'route', 'mock:large')$$,
  $$values ('cap', 'request_cap_route', 'tiny', 250::bigint)$$,
  'mock:mini unusable: along mock:large''s own chain to mock:tiny, capped there as its last model (as without pressure)');
delete from llm_private.provider_breakers where model = 'mini';

-- The hint of an error a statement raises (created as the administrator; run as the operator below).
create function pg_temp.hint_of(p_sql text) returns text language plpgsql as $f$
declare h text;
begin
  execute p_sql;
  return null;
exception when others then
  get stacked diagnostics h = pg_exception_hint;
  return h;
end $f$;
-- What the engine cannot apply is refused when defined: per-request meters count micros, per-request limits are hard.
select tests.act_as_role('llm_operator');
select throws_ok($$select llm.define_meter('request_tokens', 'request', 'request', 'tokens')$$, '22023', null,
  'a per-request token meter is refused (max_output_tokens bounds tokens per request)');
select throws_ok($$select llm.define_meter('request_calls', 'request', 'request', 'calls')$$, '22023', null,
  'a per-request call meter is refused (max_attempts_per_request bounds calls per request)');
-- (adopter's review, 2026-11-27) A meter the table refuses is refused with what to pass instead: a raw 22P02 (window
-- 'minute') or a constraint's name (meters_check4, for p_model => 'vllm:mock-chat') said nothing.
select throws_ok($$select llm.define_meter('per_second', 'tenant', 'second', 'calls')$$, '22023', 'unknown meter window ''second''',
  'an unknown window: 22023 naming it (the hint lists the windows)');
select throws_ok($$select llm.define_meter('per_x', 'team', 'hour', 'calls')$$, '22023', 'unknown meter scope ''team''', 'an unknown scope');
select throws_ok($$select llm.define_meter('per_x', 'tenant', 'hour', 'dollars')$$, '22023', 'unknown meter unit ''dollars''', 'an unknown unit');
select throws_ok($$select llm.define_meter('per_x', 'tenant', 'budget_scope', 'micros')$$, '22023',
  'scope tenant does not go with window budget_scope', 'a scope with a window it cannot have');
select throws_ok($$select llm.define_meter('per_x', 'user', 'hour', 'micros', p_shards => 4)$$, '22023',
  'p_shards = 4: a meter of scope user', 'shards on a user meter');
select throws_ok($$select llm.define_meter('per_x', 'tenant', 'day', 'elapsed_ms')$$, '22023',
  'an elapsed_ms meter is a deadline of a budget scope', 'a deadline on a clock window');
select is(pg_temp.hint_of($$select llm.define_meter('vllm_chat_hourly', 'tenant', 'hour', 'micros', p_model => 'vllm:mock-chat')$$),
  'For the model reference ''vllm:mock-chat'': p_provider => ''vllm'', p_model => ''mock-chat''.',
  'a provider:model reference as p_model: 22023 whose hint splits it');
select is(pg_temp.hint_of($$select llm.define_meter('llama_hourly', 'tenant', 'hour', 'micros', p_model => 'ollama:llama3.1:8b')$$),
  'For the model reference ''ollama:llama3.1:8b'': p_provider => ''ollama'', p_model => ''llama3.1:8b''.',
  'at its first colon (a model name may hold one)');
select ok(llm.define_meter('llama_hourly', 'tenant', 'hour', 'micros', p_provider => 'ollama', p_model => 'llama3.1:8b') > 0,
  'and what the hint says is accepted');
select throws_ok($$insert into llm_private.meters (name, scope, "window", unit) values ('request_tokens', 'request', 'request', 'tokens')$$,
  '23514', null, 'and so is an operator''s direct insert (a CHECK)');
select throws_ok($$select llm.set_limit('request_cap_explanation', 50000, tests.tenant_b(), null, 'soft')$$, '22023', null,
  'a soft per-request limit is refused (nothing would alert on it)');
select throws_ok($$insert into llm_private.limits (meter_id, cap, kind) select id, 1, 'soft' from llm_private.meters where name = 'request_cap_route'$$,
  '22023', null, 'also by direct insert');
select tests.as_admin();

-- The shipped default rows decide (tenant C has no limit of its own): 0.30 USD per investigation and budget optimization
-- (action cap), 25 USD per user month, 500 USD per tenant month (action block).
select tests.act_as_role('llm_operator');
select lives_ok($$select llm.upsert_tenant('c1000000-0000-0000-0000-00000000000c', 'tenant C')$$, 'tenant C, under the defaults only');
select tests.as_admin();
select results_eq($$select decision, reason, max_output_tokens, held_micros, limit_cap
                      from tests.call('c1000000-0000-0000-0000-00000000000c', 'c1000000-0000-0000-0000-000000000003', 'rc-1', 'investigation', 'mock:large', 8192, '{}', 10000)$$,
  $$values ('cap', 'request_cap_investigation', 6666, 299980::bigint, 300000::bigint)$$,
  'an investigation call of 10 000 in + 8 192 out (0.3458 USD) is capped to 6 666 output tokens by request_cap_investigation');
select results_eq($$select decision, reason, max_output_tokens, held_micros, limit_cap
                      from tests.call('c1000000-0000-0000-0000-00000000000c', 'c1000000-0000-0000-0000-000000000003', 'rc-2', 'budget_optimization', 'mock:large', 8192, '{}', 10000)$$,
  $$values ('cap', 'request_cap_budget_optimization', 6666, 299980::bigint, 300000::bigint)$$,
  'and a budget optimization call by request_cap_budget_optimization');
select tests.act_as_role('llm_operator');
select tests.as_admin();
insert into llm_private.users (tenant_id, id) values ('c1000000-0000-0000-0000-00000000000c', 'c1000000-0000-0000-0000-000000000001');   -- an adjustment names an enrolled user
select tests.act_as_role('llm_operator');
select ok(llm.adjust_usage('c1000000-0000-0000-0000-00000000000c', 'c1000000-0000-0000-0000-000000000001', 24990000, 'spent elsewhere') > 0,
  'C1 has spent 24.99 USD this month');
select tests.as_admin();
select results_eq($$select a.threshold_pct::int, a.used from llm_private.alerts a join llm_private.meters m on m.id = a.meter_id
                     where m.name = 'user_monthly' and a.user_id = 'c1000000-0000-0000-0000-000000000001' order by 1$$,
  $$values (80, 24990000::bigint), (95, 24990000::bigint)$$, 'a debit is money spent: it fires the 80 % and 95 % alerts it crossed');
select results_eq($$select decision, reason, limit_cap, limit_used from tests.call('c1000000-0000-0000-0000-00000000000c', 'c1000000-0000-0000-0000-000000000001', 'um-1')$$,
  $$values ('block', 'user_monthly', 25000000::bigint, 24990000::bigint)$$, 'the default 25 USD user month refuses a 0.04 USD worst case');
select is((select decision from tests.call('c1000000-0000-0000-0000-00000000000c', 'c1000000-0000-0000-0000-000000000001', 'um-2', 'investigation', 'mock:tiny')),
  'allow', 'and admits a 0.0003 USD one');
select tests.act_as_role('llm_operator');
select ok(llm.set_limit('user_monthly', 1000000000, 'c1000000-0000-0000-0000-00000000000c', 'c1000000-0000-0000-0000-000000000002') > 0,
  'C2 may spend 1 000 USD a month');
select ok(llm.set_limit('request_cap_explanation', 200000000, 'c1000000-0000-0000-0000-00000000000c') > 0, 'and C''s explanations 200 USD each');
select tests.as_admin();
select is((select string_agg(decision, ',') from (select (tests.call('c1000000-0000-0000-0000-00000000000c', 'c1000000-0000-0000-0000-000000000002',
            'tm-' || n, 'explanation', 'mock:large', 1000, '{}', 10000000)).decision from generate_series(1, 4) n) d),
  'allow,allow,allow,allow', 'four calls of 10 M input tokens, 100.03 USD worst case each (borrowing across the 8 shards)');
select results_eq($$select decision, reason, limit_cap, limit_used from tests.call('c1000000-0000-0000-0000-00000000000c', 'c1000000-0000-0000-0000-000000000002',
                      'tm-5', 'explanation', 'mock:large', 1000, '{}', 10000000)$$,
  $$values ('block', 'tenant_monthly', 500000000::bigint, (24990000 + 299980 * 2 + 300 + 4 * 100030000)::bigint)$$,
  'the fifth does not fit the default 500 USD tenant month: block / tenant_monthly');
-- (review of 2026-11-26) A raised cap went all onto shard 0: the other shards could reach the new headroom only by borrowing
-- from shard 0, refused while it was locked (7 of 40 concurrent reserves at 0.06 % of the cap). It is spread over every shard.
create temp table q_before on commit drop as
  select u.shard, u.quota, u.held + u.spent as used from llm_private.usage u join llm_private.meters m on m.id = u.meter_id
   where m.name = 'tenant_monthly' and u.tenant_id = tests.tenant_a() and u.period_start = '2026-03-01';
select set_config('tests.raised', ((select sum(quota) from q_before) + 80000)::text, true);
select tests.act_as_role('llm_operator');
select llm.set_limit('tenant_monthly', current_setting('tests.raised')::bigint, tests.tenant_a());
select tests.as_admin();
select is((select decision from tests.call(tests.tenant_a(), tests.user_a2(), 'raise-1', 'investigation', 'mock:small')), 'allow',
  'tenant A''s month raised by 80 000; a reserve follows the new cap');
-- (tenth review) A shard whose use had passed its quota (here shard 0, by 1 000: an overrun) gets back to its use first; the
-- rest is spread evenly. Spread evenly over all, that shortfall became free quota on the other shards that the cap did not have.
select results_eq($$select sum(u.quota - b.quota)::bigint, array_agg(distinct u.quota - b.quota - greatest(b.used - b.quota, 0)),
                           sum(greatest(b.used - b.quota, 0))::bigint, bool_and(u.quota >= b.used)
                      from llm_private.usage u join llm_private.meters m on m.id = u.meter_id join q_before b on b.shard = u.shard
                     where m.name = 'tenant_monthly' and u.tenant_id = tests.tenant_a() and u.period_start = '2026-03-01'$$,
  $$values (80000::bigint, array[9875::bigint], 1000::bigint, true)$$,
  'the 80 000 of the raise: first the 1 000 shard 0 used past its quota, then 9 875 to each of the 8 shards');

select is(tests.drift_rows(), 0::bigint, 'and through all of it, usage equals the ledger');

-- (adopter's review, 2026-11-27) A window of a UTC minute: a provider's requests per minute as a row. Tenant A may start
-- 2 chat calls a minute (in April: March's monthly caps are spent above); a held call counts.
select tests.act_as_role('llm_operator');
select ok(llm.define_meter('tenant_rpm', 'tenant', 'minute', 'calls') > 0, 'a meter of calls per minute');
select ok(llm.set_limit('tenant_rpm', 2, tests.tenant_a()) > 0, 'tenant A: 2 a minute');
select llm.end_limit(l.limit_id) from llm.limits l where l.meter_name = 'user_daily_tokens';   -- (set above; it would refuse first)
select tests.as_admin();
select tests.freeze_clock('2026-04-20 08:00:10+00');
select 1 from tests.call(tests.tenant_a(), tests.user_a1(), 'rpm-1');
select 1 from tests.settle(tests.request_pk('rpm-1'), 1, 'ok', 1000, 0, 500);
select tests.freeze_clock('2026-04-20 08:00:40+00');
select 1 from tests.call(tests.tenant_a(), tests.user_a2(), 'rpm-2');
select results_eq($$select decision, reason from tests.call(tests.tenant_a(), tests.user_a1(), 'rpm-3')$$,
  $$values ('block', 'tenant_rpm')$$, 'the third call in the minute is refused (the second still held counts)');
select is((select decision from tests.call(tests.tenant_b(), tests.user_b1(), 'rpm-b')), 'allow', 'tenant B has no such limit');
select tests.freeze_clock('2026-04-20 08:01:00+00');
select is((select decision from tests.call(tests.tenant_a(), tests.user_a1(), 'rpm-4')), 'allow', 'the next minute starts from 0');
select results_eq($$select u.period_start, u.held + u.spent from llm_private.usage u join llm_private.meters m on m.id = u.meter_id
                     where m.name = 'tenant_rpm' order by 1$$,
  $$values ('2026-04-20 08:00+00'::timestamptz, 2::bigint), ('2026-04-20 08:01+00', 1)$$, 'one usage row per minute');
select is(tests.drift_rows(), 0::bigint, 'usage equals the ledger, minute by minute');

select * from finish();
rollback;
