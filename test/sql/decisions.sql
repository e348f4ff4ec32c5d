-- Every decision reserve can take, and every reason it can refuse for, each recorded with its figures.
begin;
select plan(28);
select tests.seed();

-- allow
select tests.act_as(tests.tenant_a(), tests.user_a1());
create temp table d as select * from tests.reserve('allow-1');
select is((select decision || '/' || reason from d), 'allow/ok', 'within every limit: allow');
select is((select (provider, model, max_output_tokens) from d), ('mock'::text, 'large'::text, 1000), 'allow keeps the requested model and output tokens');

-- model max output clamps without a refusal
select is((select max_output_tokens from tests.reserve('clamp-1', p_model => 'tiny', p_max_output => 100000)), 2048,
  'max output is clamped to the model''s own maximum');

-- cap: investigation cap 300 000; 10 000 in (100 000) + 8 192 out (245 760) is over; cap to (300000-100000)/30 = 6 666
create temp table c as select * from tests.reserve('cap-1', p_input => 10000, p_max_output => 8192);
select is((select decision || '/' || reason from c), 'cap/over_request_cap', 'over the per-request cap with action cap: cap');
select is((select max_output_tokens from c), 6666, 'cap lowers max output so that the worst case fits: floor((300 000 - 100 000) x 1e6 / 30e6)');
select ok((select held_micros from c) <= 300000, 'the capped hold fits the per-request cap');
select is((select granted_max_output_tokens from llm_private.decisions where request_id = 'cap-1'), 6666,
  'the decision row records the granted tokens');

-- fallback: route cap 20 000, action fallback. mock:large 1 000 + 1 000 = 40 000 > 20 000; mock:small = 1 000 + 2 000 = 3 000 fits
select tests.act_as(tests.tenant_a(), tests.user_a1());
create temp table f as select * from tests.reserve('fb-1', p_endpoint => 'route');
select is((select decision || '/' || reason from f), 'fallback/over_request_cap', 'over the route cap with action fallback: fallback');
select is((select provider || ':' || model from f), 'mock:small', 'fallback picks the first model of the chain that fits');
select is((select held_micros from f), 3000::bigint, 'and holds the fallback''s worst case');

-- cap falls back when capping would leave too few tokens: input alone 35 000 in x 10 = 350 000 > 300 000
select is((select decision || '/' || provider || ':' || model from tests.reserve('fb-2', p_input => 35000)), 'fallback/mock:small',
  'when the input alone breaks the cap, cap is impossible and a fallback that fits is used');

-- block per_request_cap: action block
reset role;
select llm.set_endpoint_policy(tests.tenant_a(), 'explanation', 1000, 'block');
select tests.act_as(tests.tenant_a(), tests.user_a1());
create temp table b1 as select * from tests.reserve('blk-1', p_endpoint => 'explanation');
select is((select decision || '/' || reason from b1), 'block/per_request_cap', 'a tenant policy with action block refuses over-cap requests');
select is((select (limit_name, limit_micros, worst_case_micros) from b1), ('per_request_cap'::text, 1000::bigint, 40000::bigint),
  'the refusal names the limit and the figures compared');
select is((select reservation_id from b1), null::bigint, 'a refusal holds nothing');

-- block per_request_cap when neither cap nor fallback fits
select is((select decision || '/' || reason from tests.reserve('blk-2', p_input => 5000000, p_model => 'tiny')), 'block/per_request_cap',
  'no cap and no fallback fits: block per_request_cap');

-- unknown model
select is((select decision || '/' || reason from tests.reserve('unk-1', p_model => 'nonexistent')), 'block/unknown_model',
  'a model without a price is refused, never free');

-- user monthly cap: A2 gets a cap of 50 000
reset role;
select llm.set_user_caps(tests.tenant_a(), tests.user_a2(), 50000);
select tests.act_as(tests.tenant_a(), tests.user_a2());
select is((select decision from tests.reserve('um-1')), 'allow', 'first 40 000 fits a 50 000 user cap');
create temp table um as select * from tests.reserve('um-2');
select is((select decision || '/' || reason from um), 'block/user_monthly_cap', 'the next 40 000 would pass the user''s monthly cap: block');
select is((select (limit_micros, used_micros) from um), (50000::bigint, 40000::bigint), 'with the cap and the month''s spent+held');
select is((select state from llm_private.requests where request_id = 'um-2'), 'refused', 'the claim is marked refused');

-- tenant monthly cap: tenant B with a 60 000 cap; user B1 has the default 25 USD
reset role;
select llm.upsert_tenant(tests.tenant_b(), 'tenant B', 60000);
select tests.act_as(tests.tenant_b(), tests.user_b1());
select is((select decision from tests.reserve('tm-1')), 'allow', 'tenant B: first 40 000 fits its 60 000 cap');
select is((select decision || '/' || reason || '/' || limit_name from tests.reserve('tm-2')), 'block/tenant_monthly_cap/tenant_monthly_cap',
  'tenant B: the next one passes the tenant cap: block');

-- attempts exhausted (default 5 per request)
select tests.act_as(tests.tenant_a(), tests.user_a1());
select tests.reserve('att-1', p_attempt => n, p_model => 'tiny') from generate_series(1, 5) n;
select is((select decision || '/' || reason from tests.reserve('att-1', p_attempt => 6, p_model => 'tiny')), 'block/attempts_exhausted',
  'a request may reserve at most max_attempts_per_request times');

-- bad input raises with stable codes; refusals above did not
select throws_ok($$select * from tests.reserve('x', p_endpoint => 'chat')$$, '22023', null, 'an unknown endpoint raises 22023');
select throws_ok($$select * from tests.reserve('x', p_max_output => 0)$$, '22023', null, 'zero max output tokens raises 22023');
select throws_ok($$select * from llm.reserve_call(tests.tenant_b(), tests.user_a1(), 'x', 'route', 'mock', 'large', 1, 1)$$,
  '42501', null, 'a tenant other than the context raises 42501');

reset role;
select is((select count(*)::int from llm_private.decisions where decision = 'block'), 6,
  'every refusal was recorded in the decision audit');
select is_empty('select * from llm.reconciliation_drift', 'reconciliation: ledger and rollups agree');
select * from finish();
rollback;
