-- A hold of 0 is still on the footprint: a meter on which a call holds nothing (an input estimate of 0, a max output of
-- 0 for an embedding call, a worst case of 0 micro-USD) is charged what the call reports at settle, as every other meter
-- of the call is, and its usage row agrees with the ledger after a settle, a release, the expiry sweep and late settles.
-- (The reserve left such a meter out of meter_ids, and the settle, which moves usage on meter_ids only, never charged
-- it: 800 input tokens reported against an estimate of 0 counted nowhere, nor did an embedding call's micro-USD, and the
-- reconciliation, which reads meter_ids too, saw no drift.) A hard cap leaves room for the least charge above 0: a hold
-- of 0 is refused by a hard cap of 0 or by one already full, and fits where one unit is left (on a sharded meter,
-- borrowing it), and the hold takes that unit (test/sql/zero_hold_overshoot.sql). Only what a call can never be charged stays
-- out: the calls of an embedding call.
begin;
select plan(55);
select tests.seed();

select tests.act_as_role('llm_operator');
select ok(llm.define_meter('tenant_daily_input', 'tenant', 'day', 'input_tokens') > 0, 'a tenant''s daily input tokens');
select ok(llm.define_meter('tenant_daily_output', 'tenant', 'day', 'output_tokens') > 0, 'its daily output tokens');
select ok(llm.define_meter('tenant_daily_tokens', 'tenant', 'day', 'tokens') > 0, 'its daily tokens');
select ok(llm.define_meter('user_daily_calls', 'user', 'day', 'calls') > 0, 'a user''s daily calls');
select lives_ok($$select llm.set_limit('tenant_daily_input', 100000, tests.tenant_a()), llm.set_limit('tenant_daily_output', 100000, tests.tenant_a()),
                         llm.set_limit('tenant_daily_tokens', 100000, tests.tenant_a()),
                         llm.set_limit('user_daily_calls', 100, tests.tenant_a(), tests.user_a1()),
                         llm.set_endpoint_cache(tests.tenant_a(), 'route', false, 0.90, 'mock:embed')$$,
  'tenant A: 100 000 input, output and tokens a day; user A1: 100 calls a day; route''s semantic cache embeds with mock:embed');
select tests.as_admin();

/* A request whose prompt has a floor of 0 input tokens ('Hi'): the worker's estimate of 0 stands. */
create function pg_temp.hi(p_request_id text, p_tenant uuid default tests.tenant_a(), p_user uuid default tests.user_a1()) returns bigint
  language sql as $$ select tests.enqueue(p_tenant, p_user, p_request_id, 'route', 'mock:small', 100, 'Hi') $$;
create function pg_temp.usage(p_meter text, p_tenant uuid default tests.tenant_a()) returns table (held bigint, spent bigint)
  language sql as $$ select held, spent from llm.limit_usage where meter_name = p_meter and tenant_id = p_tenant and current $$;

-- A chat call estimated at 0 input tokens: the input meter is on its footprint, with a hold of 0.
select results_eq($$select decision, max_output_tokens, held_micros from tests.reserve(pg_temp.hi('z-1'), 1, 0)$$,
  $$values ('allow', 100, 200::bigint)$$, 'a chat call estimated at 0 input tokens: allowed, 100 output tokens (200 micro-USD) held');
select is((select meters from llm.calls where request_id = 'z-1'),
  array['user_monthly', 'tenant_monthly', 'tenant_daily_input', 'tenant_daily_output', 'tenant_daily_tokens', 'user_daily_calls'],
  'its footprint has the input meter, on which it holds 0');
select results_eq($$select * from pg_temp.usage('tenant_daily_input')$$, $$values (1::bigint, 0::bigint)$$,
  'the input meter''s row: 1 held, the least charge its room was checked for (test/sql/zero_hold_overshoot.sql)');
select is((select state from tests.settle(tests.request_pk('z-1'), 1, 'ok', 800, 0, 50)), 'settled', 'the provider reports 800 input tokens, 50 output');
select results_eq($$select meter_name, held, spent from llm.limit_usage where tenant_id = tests.tenant_a() and current
                     and meter_name in ('tenant_daily_input', 'tenant_daily_output', 'tenant_daily_tokens', 'user_daily_calls') order by meter_name$$,
  $$values ('tenant_daily_input', 0::bigint, 800::bigint), ('tenant_daily_output', 0::bigint, 50::bigint),
           ('tenant_daily_tokens', 0::bigint, 850::bigint), ('user_daily_calls', 0::bigint, 1::bigint)$$,
  'charged what it reported on every meter: 800 input tokens on the input meter it held 0 on');
select is(tests.drift_rows(), 0::bigint, 'usage agrees with the ledger');

-- An embedding call of a text whose floor is 0: it holds 0 on every meter (no output, a worst case of 0 micro-USD).
select results_eq($$select decision, model, max_output_tokens, held_micros from tests.reserve(pg_temp.hi('z-2'), 1, 0, 30000, 'embedding')$$,
  $$values ('allow', 'embed', 0, 0::bigint)$$, 'an embedding call estimated at 0 input tokens: allowed, 0 held in every unit');
select is((select meters from llm.calls where request_id = 'z-2' and purpose = 'embedding'),
  array['user_monthly', 'tenant_monthly', 'tenant_daily_input', 'tenant_daily_output', 'tenant_daily_tokens'],
  'its footprint: every meter it can be charged on (micro-USD and the three token units), not the calls of an embedding call');
select is((select cost_micros from tests.settle(tests.request_pk('z-2'), 1, 'ok', 1000, 0, 3, null)), 20::bigint,
  'the provider reports 1 000 input tokens (and 3 output): 20 micro-USD');
select results_eq($$select meter_name, spent from llm.limit_usage where tenant_id = tests.tenant_a() and current
                     and meter_name in ('tenant_daily_input', 'tenant_daily_output', 'tenant_daily_tokens', 'user_daily_calls') order by meter_name$$,
  $$values ('tenant_daily_input', 1800::bigint), ('tenant_daily_output', 53::bigint), ('tenant_daily_tokens', 1853::bigint), ('user_daily_calls', 1::bigint)$$,
  'charged on each token meter it held 0 on; no call counted');
select is(tests.used('user_monthly', tests.tenant_a(), tests.user_a1()), 920::bigint,
  'and its 20 micro-USD on the user''s month (900 + 20), though its worst case was 0');
select is(tests.drift_rows(), 0::bigint, 'usage agrees with the ledger');

-- Released (nothing sent): nothing charged; settled after all (a late settle after a release): charged.
select is((select held_micros from tests.reserve(pg_temp.hi('z-3'), 1, 0)), 200::bigint, 'another call estimated at 0');
select is((select state from tests.release(tests.request_pk('z-3'), 1)), 'released', 'released: nothing was sent');
select results_eq($$select * from pg_temp.usage('tenant_daily_input')$$, $$values (0::bigint, 1800::bigint)$$, 'the input meter: unchanged');
select is(tests.drift_rows(), 0::bigint, 'usage agrees with the ledger');
select is((select late from tests.settle(tests.request_pk('z-3'), 1, 'ok', 300, 0, 0)), true, 'it had been sent after all: settled late, 300 input tokens');
select results_eq($$select * from pg_temp.usage('tenant_daily_input')$$, $$values (0::bigint, 2100::bigint)$$, 'charged on the input meter');
select is(tests.drift_rows(), 0::bigint, 'usage agrees with the ledger');

-- Expired (charged as held: 0 input tokens, its 100 output tokens), then settled late with what the provider reported.
select is((select held_micros from tests.reserve(pg_temp.hi('z-4'), 1, 0)), 200::bigint, 'a call estimated at 0 whose worker dies');
select tests.freeze_clock('2026-03-15 10:31:30+00');
select tests.act_as_role('llm_operator');
select is(llm.expire_holds(100), 1, 'the sweep charges its hold');
select tests.as_admin();
select results_eq($$select meter_name, held, spent from llm.limit_usage where tenant_id = tests.tenant_a() and current
                     and meter_name in ('tenant_daily_input', 'tenant_daily_output') order by meter_name$$,
  $$values ('tenant_daily_input', 0::bigint, 2100::bigint), ('tenant_daily_output', 0::bigint, 153::bigint)$$,
  'as held: 0 input tokens, 100 output tokens');
select is(tests.drift_rows(), 0::bigint, 'usage agrees with the ledger after the sweep');
select is((select late from tests.settle(tests.request_pk('z-4'), 1, 'ok', 600, 0, 20)), true, 'the worker was alive: 600 input, 20 output, late');
select results_eq($$select meter_name, held, spent from llm.limit_usage where tenant_id = tests.tenant_a() and current
                     and meter_name in ('tenant_daily_input', 'tenant_daily_output') order by meter_name$$,
  $$values ('tenant_daily_input', 0::bigint, 2700::bigint), ('tenant_daily_output', 0::bigint, 73::bigint)$$,
  'the late settle charges the 600 input tokens on the meter it held 0 on');
select is(tests.drift_rows(), 0::bigint, 'usage agrees with the ledger after the late settle');
select tests.freeze_clock('2026-03-15 10:30:00+00');

-- A hard cap leaves room for the least charge above 0: of 0, it refuses a hold of 0 too.
select tests.act_as_role('llm_operator');
select ok(llm.set_limit('tenant_daily_input', 0, tests.tenant_b()) > 0, 'tenant B: a hard cap of 0 input tokens a day');
select tests.as_admin();
select results_eq($$select decision, reason, limit_cap, limit_used from tests.reserve(pg_temp.hi('zb-1', tests.tenant_b(), tests.user_b1()), 1, 0)$$,
  $$values ('block', 'tenant_daily_input', 0::bigint, 0::bigint)$$, 'a call estimated at 0 input tokens is refused by the cap of 0');
select results_eq($$select limit_unit, limit_asked, limit_used + limit_asked > limit_cap from llm.decision_log where request_id = 'zb-1'$$,
  $$values ('input_tokens'::text, 1::bigint, true)$$, 'the decision log reads the room it asked for: 1 input token, past the cap of 0');

-- Full: refused; one unit left: it fits.
select tests.act_as_role('llm_operator');
select ok(llm.set_limit('tenant_daily_input', 500, tests.tenant_b()) > 0, 'tenant B''s cap raised to 500');
select tests.as_admin();
select is((select decision from tests.reserve(pg_temp.hi('zb-2', tests.tenant_b(), tests.user_b1()), 1, 500)), 'allow', 'a call estimated at 500');
select is((select state from tests.settle(tests.request_pk('zb-2'), 1, 'ok', 500, 0, 10)), 'settled', 'spends the 500');
select results_eq($$select decision, reason, limit_cap, limit_used from tests.reserve(pg_temp.hi('zb-3', tests.tenant_b(), tests.user_b1()), 1, 0)$$,
  $$values ('block', 'tenant_daily_input', 500::bigint, 500::bigint)$$, 'the cap is full: a call estimated at 0 is refused');
select tests.act_as_role('llm_operator');
select ok(llm.set_limit('tenant_daily_input', 501, tests.tenant_b()) > 0, 'raised to 501: one input token left');
select tests.as_admin();
select is((select decision from tests.reserve(pg_temp.hi('zb-4', tests.tenant_b(), tests.user_b1()), 1, 0)), 'allow', 'a call estimated at 0 fits');

-- Sharded: cap 1 over 2 shards (quotas 1 and 0). A2's shard has none, and borrows the unit; once spent, A1's call is refused.
select tests.act_as_role('llm_operator');
select ok(llm.define_meter('tenant_daily_input_2', 'tenant', 'day', 'input_tokens', p_shards => 2) > 0
      and llm.set_limit('tenant_daily_input_2', 1, tests.tenant_a()) > 0,
  'tenant A: a second input meter, of 2 escrow shards, capped at 1 (A1 counts on shard 0, A2 on shard 1)');
select tests.as_admin();
select is((select decision from tests.reserve(pg_temp.hi('z-5', tests.tenant_a(), tests.user_a2()), 1, 0)), 'allow',
  'A2''s call estimated at 0: its shard borrows the unit it needs room for');
select is((select state from tests.settle(tests.request_pk('z-5'), 1, 'ok', 1, 0, 10)), 'settled', 'and spends 1 input token');
select results_eq($$select decision, reason, limit_cap, limit_used from tests.reserve(pg_temp.hi('z-6'), 1, 0)$$,
  $$values ('block', 'tenant_daily_input_2', 1::bigint, 1::bigint)$$, 'the sharded cap is full: A1''s call estimated at 0 is refused');
-- (review r103) An embedding call has no output: its output meter, on its footprint, asks for no room. Asking for 1 output
-- token, a full output cap refused the embedding call, and with it the semantic cache's free answer to a question asked
-- again in other words (the worker then reserves the chat call without a vector, which the cap refuses).
select tests.act_as_role('llm_operator');
select ok(llm.define_meter('tenant_daily_output_b', 'tenant', 'day', 'output_tokens', tests.tenant_b()) > 0
      and llm.set_limit('tenant_daily_output_b', 100, tests.tenant_b()) > 0
      and llm.set_limit('tenant_daily_input', 100000, tests.tenant_b()) > 0
      and llm.set_endpoint_cache(tests.tenant_b(), 'route', false, 0.90, 'mock:embed') is not null,
  'tenant B: at most 100 output tokens a day (its input cap raised to 100 000); its route''s semantic cache embeds with mock:embed');
select tests.as_admin();
create function pg_temp.ask_b(p_request_id text, p_text text) returns bigint language sql as $$
  select tests.enqueue(tests.tenant_b(), tests.user_b1(), p_request_id, 'route', 'mock:small', 100, p_text, '{"source_watermark": "w1"}')
$$;
create function pg_temp.vec() returns real[] language sql immutable as $$ select array_fill(0.5::real, array[8]) $$;
select is((select decision from tests.reserve(pg_temp.ask_b('ze-1', 'What is our refund policy?'), 1, 10, 30000, 'embedding')),
  'allow', 'B''s question: its embedding call');
select is((select state from tests.settle(tests.request_pk('ze-1'), 1, 'ok', 10, 0, 0, null)), 'settled', 'settled');
select is((select decision from tests.reserve(tests.request_pk('ze-1'), 1, 10, 30000, 'chat', pg_temp.vec())), 'allow',
  'the chat call with its vector: nothing cached yet');
select is((select state from tests.settle(tests.request_pk('ze-1'), 2, 'ok', 10, 0, 100, 'Within 30 days.', true, false, null, null, pg_temp.vec())),
  'settled', 'answered with 100 output tokens: B''s output cap is full, and the answer is cached with its vector');
select results_eq($$select decision, reason from tests.reserve(pg_temp.ask_b('ze-2', 'What is the refund policy?'), 1, 10, 30000, 'embedding')$$,
  $$values ('allow', 'ok')$$, 'the same question in other words: its embedding call is allowed at the full output cap');
select ok((select 'tenant_daily_output_b' = any (meters) from llm.calls where request_id = 'ze-2' and purpose = 'embedding'),
  'with the output meter on its footprint (0 held)');
select is((select state from tests.settle(tests.request_pk('ze-2'), 1, 'ok', 10, 0, 0, null)), 'settled', 'settled');
select results_eq($$select decision, reason, cached_output from tests.reserve(tests.request_pk('ze-2'), 1, 10, 30000, 'chat', pg_temp.vec())$$,
  $$values ('cached', 'semantic_hit', 'Within 30 days.')$$, 'the chat reserve answers from the semantic cache, free');
select results_eq($$select decision, reason from tests.reserve(pg_temp.ask_b('ze-3', 'Who approves refunds?'), 1, 10)$$,
  $$values ('block', 'tenant_daily_output_b')$$, 'a chat call the cache cannot answer still meets the full output cap');
select is(tests.drift_rows(), 0::bigint, 'usage agrees with the ledger at the end');

select * from finish();
rollback;
