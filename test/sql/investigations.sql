-- Budget scopes (investigations): $0.30 over all calls and retries of the scope, at most 10 calls, 60 s from the first call.
-- A call of 9 000 input tokens and 1 000 output on mock:large has a worst case of 90 000 + 30 000 = 120 000... the contract's
-- example uses 0.27 USD calls: 24 000 input + 1 000 output = 240 000 + 30 000 = 270 000 micros.
begin;
select plan(24);
select tests.seed();

-- Three calls of 0.27 USD in one investigation: the first fits, the second is capped to what is left of 0.30 USD.
select results_eq($$select decision, reason, held_micros from tests.call(tests.tenant_a(), tests.user_a1(), 'inv-1', 'investigation', 'mock:large',
                     1000, '{"budget_scope": "case-7"}', 24000)$$,
  $$values ('allow', 'ok', 270000::bigint)$$, 'first call of the scope: 0.27 USD held');
select results_eq($$select decision, reason, max_output_tokens, held_micros, limit_cap, limit_used
                     from tests.call(tests.tenant_a(), tests.user_a2(), 'inv-2', 'investigation', 'mock:large', 1000, '{"budget_scope": "case-7"}', 2000)$$,
  $$values ('cap', 'investigation_budget', 333, 29990::bigint, 300000::bigint, 270000::bigint)$$,
  'the second (another user, same scope) gets what is left of 0.30 USD: capped (action cap)');
select results_eq($$select decision, reason from tests.call(tests.tenant_a(), tests.user_a1(), 'inv-3', 'investigation', 'mock:large', 1000,
                     '{"budget_scope": "case-7"}', 24000)$$,
  $$values ('block', 'investigation_budget')$$, 'the third does not fit at all: block');
select is((select held from llm.limit_usage where meter_name = 'investigation_budget' and budget_scope = 'case-7'), 299990::bigint,
  'the scope''s usage row holds both calls, whoever made them');
select is((select held_micros + spent_micros from llm.budget_scopes where budget_scope = 'case-7'), 299990::bigint,
  'the scope holds 270 000 + 29 990: never more than 0.30 USD');

-- The endpoint's action decides: with fallback, the chain is tried.
select tests.act_as_role('llm_operator');
select ok(llm.set_limit('investigation_budget', 300000, tests.tenant_b(), null, 'hard', 'fallback') > 0,
  'tenant B''s investigations fall back instead of capping');
select tests.as_admin();
select is((select decision from tests.call(tests.tenant_b(), tests.user_b1(), 'invb-1', 'investigation', 'mock:large', 1000,
  '{"budget_scope": "case-b"}', 24000)), 'allow', 'B: first call 0.27 USD');
select results_eq($$select decision, reason, model from tests.call(tests.tenant_b(), tests.user_b1(), 'invb-2', 'investigation', 'mock:large', 1000,
                     '{"budget_scope": "case-b"}', 2000)$$,
  $$values ('fallback', 'investigation_budget', 'small')$$, 'B: the second falls back to a model that fits');

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
select is(tests.drift_rows(), 0::bigint, 'usage equals the ledger');

select * from finish();
rollback;
