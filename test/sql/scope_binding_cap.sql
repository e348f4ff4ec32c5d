-- llm.budget_scopes shows, of a scope's several caps of a unit, the one the next call meets first: the least room left,
-- among the meters that count every call of the scope's endpoint. It picked the smallest cap, and the first endpoint's
-- meter before a meter of every endpoint (review r102), so a scope whose every call reserve refused showed open:
--  - calls: 8 an hour (inv_hourly_calls) under 10 over its life (investigation_calls): 8 calls at 10:30, 2 at 11:05, and
--    the 11th is refused by its life's 10, while the view read this hour's 2 of 8, open;
--  - micro-USD: 40 000 a day for every scope (any_scope_daily, no endpoint) under the investigation's 300 000 over its life:
--    a call of 40 000 reaches the day's cap, the next is refused, while the view read the life's 40 000 of 300 000, open.
-- A meter of one model (its cap reached) is not the scope's state: a call of another model still passes it.
begin;
select plan(11);
select tests.seed();
select tests.freeze_clock('2026-03-15 10:00:00+00');
select tests.act_as_role('llm_operator');
select llm.set_limit('investigation_deadline', 7200000, tests.tenant_a());
select llm.define_meter('inv_hourly_calls', 'budget_scope', 'hour', 'calls', p_endpoint => 'investigation');
select llm.set_limit('inv_hourly_calls', 8, p_alert_pcts => '{}');
select llm.define_meter('any_scope_daily', 'budget_scope', 'day', 'micros');
select llm.set_limit('any_scope_daily', 40000, p_alert_pcts => '{}');
select llm.define_meter('large_scope_calls', 'budget_scope', 'budget_scope', 'calls', p_provider => 'mock', p_model => 'large');
select llm.set_limit('large_scope_calls', 1, p_alert_pcts => '{}');
select tests.as_admin();

-- Calls: 8 at 10:30 (mock:tiny, 300 micros each), 2 at 11:05; the 11th is refused over the scope's life.
select tests.freeze_clock('2026-03-15 10:30:00+00');
select is((select string_agg(decision, ',') from (select (tests.call(tests.tenant_a(), tests.user_a1(), 'c-' || n, 'investigation',
  'mock:tiny', 1000, '{"budget_scope": "c"}')).decision from generate_series(1, 8) n) d), 'allow,allow,allow,allow,allow,allow,allow,allow',
  'c: 8 calls at 10:30');
select results_eq($$select calls, calls_cap, state from llm.budget_scopes where budget_scope = 'c'$$,
  $$values (8::bigint, 8::bigint, 'exhausted')$$, 'c: exhausted for the hour (8 of 8 this hour, 8 of 10 over its life)');
select tests.freeze_clock('2026-03-15 11:05:00+00');
select is((select string_agg(decision, ',') from (select (tests.call(tests.tenant_a(), tests.user_a1(), 'c-' || n, 'investigation',
  'mock:tiny', 1000, '{"budget_scope": "c"}')).decision from generate_series(9, 10) n) d), 'allow,allow', 'c: 2 calls at 11:05');
select results_eq($$select decision, reason from tests.call(tests.tenant_a(), tests.user_a1(), 'c-11', 'investigation', 'mock:tiny', 1000,
                     '{"budget_scope": "c"}')$$,
  $$values ('block', 'investigation_calls')$$, 'c: the 11th is refused by its 10 calls over its life');
select results_eq($$select calls, calls_cap, state from llm.budget_scopes where budget_scope = 'c'$$,
  $$values (10::bigint, 10::bigint, 'exhausted')$$,
  'llm.budget_scopes: c is exhausted, 10 calls of 10 over its life (not this hour''s 2 of 8, open)');
select results_eq($$select calls, calls_cap, state from llm.budget_scopes_page(tests.tenant_a()) where budget_scope = 'c'$$,
  $$values (10::bigint, 10::bigint, 'exhausted')$$, 'llm.budget_scopes_page the same');

-- Micro-USD: a call of 40 000 reaches the day's cap of every scope; the next is refused by it.
select is((select s.cost_micros from tests.call(tests.tenant_a(), tests.user_a1(), 'm-1', 'investigation', 'mock:large', 1000,
             '{"budget_scope": "m"}') c cross join lateral tests.settle(tests.request_pk('m-1'), c.attempt_no, 'ok', 1000, 0, 1000) s),
  40000::bigint, 'm: a call of 40 000');
select results_eq($$select decision, reason from tests.call(tests.tenant_a(), tests.user_a1(), 'm-2', 'investigation', 'mock:small', 1000,
                     '{"budget_scope": "m"}')$$,
  $$values ('block', 'any_scope_daily')$$, 'm: the next is refused at the day''s cap of every scope');
select results_eq($$select spent_micros, cap_micros, state from llm.budget_scopes where budget_scope = 'm'$$,
  $$values (40000::bigint, 40000::bigint, 'exhausted')$$,
  'llm.budget_scopes: m is exhausted at the day''s 40 000 (not the life''s 40 000 of 300 000, open)');

-- A cap of one model, reached, does not exhaust the scope: mock:small passes it.
select tests.freeze_clock('2026-03-15 11:10:00+00');
select is((select decision from tests.call(tests.tenant_a(), tests.user_a1(), 'd-1', 'investigation', 'mock:large', 1000,
  '{"budget_scope": "d"}', 10)), 'allow', 'd: a call of mock:large, the one its model''s meter allows');
select results_eq($$select calls, calls_cap, state from llm.budget_scopes where budget_scope = 'd'$$,
  $$values (1::bigint, 8::bigint, 'open')$$, 'd: open, its calls of the hour shown (mock:large''s 1 of 1 is not the scope''s state)');

select * from finish();
rollback;
