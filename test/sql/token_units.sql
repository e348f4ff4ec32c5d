-- Input and output tokens are units of their own: a cap on a tenant's input tokens or on a user's output tokens is a
-- meter and a limit (rows), held at reserve (the input estimate; the max output the call may use), charged at settle
-- (the input the provider reports, cached input included; the output it reports), charged as held when the outcome is
-- unknown, refused with the figures compared, and reconciled with the ledger like every other unit.
begin;
select plan(24);
select tests.seed();

select tests.act_as_role('llm_operator');
select is(tests.err_of($$select llm.define_meter('x_daily', 'tenant', 'day', 'prompt_tokens')$$), '22023 +hint',
  'an unknown unit is refused (22023) with a hint');
select matches(tests.hint_of($$select llm.define_meter('x_daily', 'tenant', 'day', 'prompt_tokens')$$),
  'input_tokens, output_tokens', 'the hint names the units, input_tokens and output_tokens among them');
select ok(llm.define_meter('tenant_daily_input', 'tenant', 'day', 'input_tokens') > 0, 'a tenant''s daily input tokens are a meter');
select ok(llm.define_meter('user_daily_output', 'user', 'day', 'output_tokens') > 0, 'a user''s daily output tokens another');
select ok(llm.set_limit('tenant_daily_input', 5000, tests.tenant_a()) > 0, 'tenant A: 5 000 input tokens a day');
select ok(llm.set_limit('user_daily_output', 1500, tests.tenant_a(), tests.user_a1()) > 0, 'user A1: 1 500 output tokens a day');
select is(tests.err_of($$select llm.define_meter('request_output', 'request', 'request', 'output_tokens')$$), '22023 +hint',
  'a request-window meter still counts micros only');
select tests.as_admin();

-- Held at reserve: the input estimate on the input meter, the max output on the output meter.
select is((select decision from tests.call(tests.tenant_a(), tests.user_a1(), 'tu-1', 'investigation', 'mock:small', 1000, '{}', 1200)),
  'allow', 'A1: 1 200 input tokens estimated, 1 000 output at most: allowed');
select results_eq($$select meter_name, held, spent from llm.limit_usage where meter_name in ('tenant_daily_input', 'user_daily_output') and current
                    order by meter_name$$,
  $$values ('tenant_daily_input', 1200::bigint, 0::bigint), ('user_daily_output', 1000::bigint, 0::bigint)$$,
  'held: the input estimate on the input meter, the max output on the output meter');

-- Charged at settle: what the provider reports (input + cached input on the input meter; output on the output meter).
select is((select state from tests.settle(tests.request_pk('tu-1'), 1, 'ok', 800, 100, 400)), 'settled', 'settled: 800 input, 100 cached, 400 output');
select results_eq($$select meter_name, held, spent from llm.limit_usage where meter_name in ('tenant_daily_input', 'user_daily_output') and current
                    order by meter_name$$,
  $$values ('tenant_daily_input', 0::bigint, 900::bigint), ('user_daily_output', 0::bigint, 400::bigint)$$,
  'spent: 900 input tokens (cached included), 400 output tokens; nothing held');

-- A second call fits (400 + 1 000 of 1 500 output); a third does not, and gives back what it held on the input meter.
select is((select decision from tests.call(tests.tenant_a(), tests.user_a1(), 'tu-2', 'investigation', 'mock:small', 1000, '{}', 1000)),
  'allow', 'a second call: 400 spent + 1 000 held of 1 500 output tokens');
select results_eq($$select decision, reason, limit_cap, limit_used from tests.call(tests.tenant_a(), tests.user_a1(), 'tu-3', 'investigation', 'mock:small', 500, '{}', 1000)$$,
  $$values ('block', 'user_daily_output', 1500::bigint, 1400::bigint)$$,
  'a third asking 500 more does not fit: block / user_daily_output, 1 400 used of 1 500');
select results_eq($$select limit_unit, limit_asked, limit_used + limit_asked > limit_cap from llm.decision_log where request_id = 'tu-3'$$,
  $$values ('output_tokens'::text, 500::bigint, true)$$, 'the decision log reads it in output tokens: 1 400 + 500 > 1 500');
select is((select held from llm.limit_usage where meter_name = 'tenant_daily_input' and current), 1000::bigint,
  'the refused call holds nothing on the input meter (it fitted there, and was given back)');
select is((select decision from tests.call(tests.tenant_a(), tests.user_a2(), 'tu-4', 'investigation', 'mock:small', 1000, '{}', 1000)),
  'allow', 'the output cap is A1''s own: A2 calls');

-- The input meter is the tenant's: 900 spent + 1 000 + 1 000 held; 2 500 more do not fit in 5 000.
select results_eq($$select decision, reason, limit_cap, limit_used from tests.call(tests.tenant_a(), tests.user_a2(), 'tu-5', 'investigation', 'mock:small', 10, '{}', 2500)$$,
  $$values ('block', 'tenant_daily_input', 5000::bigint, 2900::bigint)$$, 'the tenant''s input cap refuses 2 500 estimated input tokens past 5 000');
select is((select decision from tests.call(tests.tenant_b(), tests.user_b1(), 'tu-6', 'investigation', 'mock:small', 1000, '{}', 2500)),
  'allow', 'tenant B has no such cap');

-- Unknown outcome: charged as held, in each token unit.
select is((select usage_unknown from tests.settle(tests.request_pk('tu-2'), 1, 'timeout', null, null, null)), true,
  'a timeout after sending: usage unknown');
select results_eq($$select meter_name, held, spent from llm.limit_usage where meter_name in ('tenant_daily_input', 'user_daily_output') and current
                    and user_id is not distinct from (case when meter_name = 'user_daily_output' then tests.user_a1() end) order by meter_name$$,
  $$values ('tenant_daily_input', 1000::bigint, 1900::bigint), ('user_daily_output', 0::bigint, 1400::bigint)$$,
  'charged its hold: 1 000 input tokens (the estimate), 1 000 output tokens (the max output)');
select is(llm_private.charged_amount('output_tokens', 'settled', 0::bigint, true, 1000, 1000, 10, 0, 1700, 'chat'), 1700::bigint,
  'unknown usage reported above the hold counts what was reported (output)');
select is(llm_private.charged_amount('input_tokens', 'settled', 0::bigint, true, 1000, 1000, 10, 5, 1700, 'chat'), 1000::bigint,
  'and the hold when it is more (input)');

-- The reconciliation sums the ledger in these units too.
select is((select state from tests.settle(tests.request_pk('tu-4'), 1, 'ok', 900, 0, 700)), 'settled', 'A2''s call settles');
select is(tests.drift_rows(), 0::bigint, 'usage and ledger agree in input and output tokens (llm.reconciliation_drift is empty)');

select * from finish();
rollback;
