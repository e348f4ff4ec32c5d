-- Budget scopes (investigations): $0.30 over all calls and retries of the scope, at most 10 calls, 60 s from the first call.
-- The contract's calls cost 0.27 USD: on mock:large (10 USD in, 30 USD out per million tokens) 3 000 input tokens and
-- 8 000 output = 30 000 + 240 000 = 270 000 micros. The first call of each scope settles at 3 000 in + 3 000 out = 120 000,
-- so 180 000 is left when the second 0.27 USD call asks, and the endpoint's action decides: cap, fallback or block.
begin;
select plan(36);
select tests.seed();

-- action cap (the default of investigation_budget): the second is capped to what is left, the third is blocked.
select results_eq($$select decision, reason, held_micros from tests.call(tests.tenant_a(), tests.user_a1(), 'inv-1', 'investigation', 'mock:large',
                     8000, '{"budget_scope": "case-7"}', 3000)$$,
  $$values ('allow', 'ok', 270000::bigint)$$, 'first call of the scope: 0.27 USD held');
select is((select cost_micros from tests.settle(tests.request_pk('inv-1'), 1, 'ok', 3000, 0, 3000)), 120000::bigint, 'it costs 0.12 USD');
select results_eq($$select decision, reason, max_output_tokens, held_micros, limit_cap, limit_used
                     from tests.call(tests.tenant_a(), tests.user_a2(), 'inv-2', 'investigation', 'mock:large', 8000, '{"budget_scope": "case-7"}', 3000)$$,
  $$values ('cap', 'investigation_budget', 5000, 180000::bigint, 300000::bigint, 120000::bigint)$$,
  'the second 0.27 USD call (another user, same scope) is capped to the 0.18 USD left: 5 000 output tokens');
select results_eq($$select decision, reason, limit_cap, limit_used from tests.call(tests.tenant_a(), tests.user_a1(), 'inv-3', 'investigation', 'mock:large', 8000,
                     '{"budget_scope": "case-7"}', 3000)$$,
  $$values ('block', 'investigation_budget', 300000::bigint, 300000::bigint)$$,
  'the third 0.27 USD call fits no model of the chain, even capped: block');
select results_eq($$select held, spent from llm.limit_usage where meter_name = 'investigation_budget' and budget_scope = 'case-7'$$,
  $$values (180000::bigint, 120000::bigint)$$, 'the scope''s usage row counts both users'' calls');
select is((select held_micros + spent_micros from llm.budget_scopes where budget_scope = 'case-7'), 300000::bigint,
  'the scope holds 120 000 + 180 000: never more than 0.30 USD (it was 0.81 USD in 0.1)');

-- action fallback (tenant B): the second goes down the chain to a model whose worst case fits.
select tests.act_as_role('llm_operator');
select ok(llm.set_limit('investigation_budget', 300000, tests.tenant_b(), null, 'hard', 'fallback') > 0,
  'tenant B''s investigations fall back instead of capping');
select tests.as_admin();
select is((select decision from tests.call(tests.tenant_b(), tests.user_b1(), 'invb-1', 'investigation', 'mock:large', 8000,
  '{"budget_scope": "case-b"}', 3000)), 'allow', 'B: first call 0.27 USD');
select is((select cost_micros from tests.settle(tests.request_pk('invb-1'), 1, 'ok', 3000, 0, 3000)), 120000::bigint, 'B: it costs 0.12 USD');
select results_eq($$select decision, reason, model, max_output_tokens, held_micros from tests.call(tests.tenant_b(), tests.user_b1(), 'invb-2', 'investigation',
                     'mock:large', 8000, '{"budget_scope": "case-b"}', 3000)$$,
  $$values ('fallback', 'investigation_budget', 'small', 4096, 11192::bigint)$$,
  'B: the second 0.27 USD call falls back to mock:small, which fits (its own 4 096 output-token limit: 3 000 + 8 192 of the 180 000 left)');
select is((select held_micros + spent_micros from llm.budget_scopes where budget_scope = 'case-b'), 131192::bigint, 'B: the scope holds 120 000 + 11 192');

-- action block, on a second endpoint: a budget scope limit for budget_optimization is a meter and a limit, in SQL.
select tests.act_as_role('llm_operator');
select ok(llm.define_meter('optimization_budget', 'budget_scope', 'budget_scope', 'micros', null, null, null, 'budget_optimization') > 0,
  'a budget-scope meter of the budget_optimization endpoint');
select ok(llm.set_limit('optimization_budget', 300000, null, null, 'hard', 'block') > 0, 'capped at 0.30 USD per scope, action block');
select tests.as_admin();
select is((select decision from tests.call(tests.tenant_a(), tests.user_a1(), 'opt-1', 'budget_optimization', 'mock:large', 8000,
  '{"budget_scope": "plan-1"}', 3000)), 'allow', 'a first 0.27 USD budget optimization call of scope plan-1');
select is((select cost_micros from tests.settle(tests.request_pk('opt-1'), 1, 'ok', 3000, 0, 3000)), 120000::bigint, 'it costs 0.12 USD');
select results_eq($$select decision, reason, limit_cap, limit_used from tests.call(tests.tenant_a(), tests.user_a2(), 'opt-2', 'budget_optimization',
                     'mock:large', 8000, '{"budget_scope": "plan-1"}', 3000)$$,
  $$values ('block', 'optimization_budget', 300000::bigint, 120000::bigint)$$,
  'the second does not fit the 0.18 USD left: block / optimization_budget (action block: neither capped nor moved)');
select is((select string_agg(meter_name, ',' order by meter_name) from llm.limit_usage where budget_scope = 'plan-1'), 'optimization_budget',
  'the scope counts on its endpoint''s meter only (investigation_budget is the investigation endpoint''s)');

-- Retries count: the attempts of one request share the scope's budget, and a live hold of a failed attempt is not given back early.
select is((select decision from tests.call(tests.tenant_a(), tests.user_a1(), 'inv-r', 'investigation', 'mock:small', 1000,
  '{"budget_scope": "case-r"}', 1000)), 'allow', 'a call in a new scope');
select is((select state from tests.settle(tests.request_pk('inv-r'), 1, 'timeout', null, null, null)), 'settled',
  'times out with unknown usage: charged its full hold (3 000)');
select is((select decision from tests.reserve(tests.request_pk('inv-r'), 2, 1000)), 'allow', 'the retry reserves again');
select is((select spent_micros + held_micros from llm.budget_scopes where budget_scope = 'case-r'), 6000::bigint,
  'the scope counts both attempts: 3 000 charged + 3 000 held');

-- At most 10 calls per scope: the 11th is refused.
select is((select string_agg(decision, ',') from (select (tests.call(tests.tenant_a(), tests.user_a2(), 'c-' || n, 'investigation', 'mock:tiny', 10,
  '{"budget_scope": "case-calls"}', 10)).decision from generate_series(1, 10) n) d),
  'allow,allow,allow,allow,allow,allow,allow,allow,allow,allow', 'ten calls of one scope are allowed');
select results_eq($$select decision, reason, limit_cap, limit_used from tests.call(tests.tenant_a(), tests.user_a2(), 'c-11', 'investigation', 'mock:tiny', 10,
                     '{"budget_scope": "case-calls"}', 10)$$,
  $$values ('block', 'investigation_calls', 10::bigint, 10::bigint)$$, 'the 11th is refused: investigation_calls');
select is((select calls from llm.budget_scopes where budget_scope = 'case-calls'), 10::bigint, 'the view counts 10 calls');
select is((select state from tests.release(tests.request_pk('c-10'), 1)), 'released', 'a call released (no request sent)');
select is((select decision from tests.call(tests.tenant_a(), tests.user_a2(), 'c-12', 'investigation', 'mock:tiny', 10,
  '{"budget_scope": "case-calls"}', 10)), 'allow', 'frees its place: a released call was never made');

-- 60 s from the scope's first call.
select is((select decision from tests.call(tests.tenant_b(), tests.user_b1(), 'd-1', 'investigation', 'mock:tiny', 10,
  '{"budget_scope": "case-deadline"}', 10)), 'allow', 'the first call starts the scope''s clock');
select tests.freeze_clock('2026-03-15 10:30:59+00');
select is((select decision from tests.call(tests.tenant_b(), tests.user_b1(), 'd-2', 'investigation', 'mock:tiny', 10,
  '{"budget_scope": "case-deadline"}', 10)), 'allow', '59 s later: allowed');
select tests.freeze_clock('2026-03-15 10:31:01+00');
select results_eq($$select decision, reason, limit_cap, limit_used from tests.call(tests.tenant_b(), tests.user_b1(), 'd-3', 'investigation', 'mock:tiny', 10,
                     '{"budget_scope": "case-deadline"}', 10)$$,
  $$values ('block', 'investigation_deadline', 60000::bigint, 61000::bigint)$$, '61 s later: refused, naming the deadline');
select is((select state from llm.budget_scopes where budget_scope = 'case-deadline'), 'deadline_passed', 'the view says so');
select is((select deadline_at from llm.budget_scopes where budget_scope = 'case-deadline'), '2026-03-15 10:31:00+00'::timestamptz,
  'and when it passed');
select is((select decision from tests.call(tests.tenant_b(), tests.user_b1(), 'd-4', 'investigation', 'mock:tiny', 10, '{}', 10)), 'allow',
  'an investigation without a scope is not bound by it');
-- An operator extends B's investigations to 120 s: the view shows the deadline reserve enforces now, and reserve agrees.
select tests.act_as_role('llm_operator');
select ok(llm.set_limit('investigation_deadline', 120000, tests.tenant_b()) > 0, 'B''s investigations get 120 s');
select tests.as_admin();
select results_eq($$select state, deadline_at from llm.budget_scopes where budget_scope = 'case-deadline'$$,
  $$values ('open', '2026-03-15 10:32:00+00'::timestamptz)$$, 'the view: open again, until 120 s after the first call');
select is((select decision from tests.call(tests.tenant_b(), tests.user_b1(), 'd-5', 'investigation', 'mock:tiny', 10,
  '{"budget_scope": "case-deadline"}', 10)), 'allow', 'and reserve agrees');
select is(tests.drift_rows(), 0::bigint, 'usage equals the ledger');

select * from finish();
rollback;
