-- The circuit breaker shared by all workers: opens after 3 consecutive provider failures, refuses or
-- falls back during the cooldown, then one half-open probe decides.
begin;
select plan(17);
select tests.seed();
select tests.act_as(tests.tenant_a(), tests.user_a1());

create function pg_temp.fail_once(p_id text) returns text language sql as $$
  select s.state from tests.reserve(p_id, p_model => 'small') r
  cross join lateral llm.settle_call(r.reservation_id, 100, 0, 0, 5, 'error') s
$$;
select pg_temp.fail_once('b-1');
select pg_temp.fail_once('b-2');
select is((select state from llm_private.provider_breakers where model = 'small'), 'closed', 'two failures: still closed');
select pg_temp.fail_once('b-3');
select is((select state from llm_private.provider_breakers where model = 'small'), 'open', 'the third consecutive failure opens it');
select is((select open_until from llm_private.provider_breakers where model = 'small'), '2026-03-15 10:30:30+00'::timestamptz,
  'for the cooldown (30 s by default)');
select is((select decision || '/' || reason from tests.reserve('b-4', p_model => 'small')), 'block/breaker_open',
  'while open, a model without a fallback chain is refused: breaker_open');
select is((select decision || '/' || reason || '/' || model from tests.reserve('b-5', p_model => 'large', p_max_output => 100)),
  'allow/ok/large', 'other models are not affected');

-- mock:large (opened here by hand) falls back to mock:small (open) then mock:tiny.
reset role;
insert into llm_private.provider_breakers (provider, model, state, consecutive_failures, open_until)
  values ('mock', 'large', 'open', 3, '2026-03-15 10:31:00+00');
select tests.act_as(tests.tenant_a(), tests.user_a1());
select is((select decision || '/' || reason || '/' || model from tests.reserve('b-7', p_model => 'large')),
  'fallback/breaker_open/tiny', 'an open model falls back along its chain, skipping open fallbacks');

-- Client errors say nothing about the provider.
select is((select state from tests.reserve('b-8', p_model => 'tiny') r
  cross join lateral llm.settle_call(r.reservation_id, 1, 0, 0, 5, 'client_error') s), 'settled', 'a client error settles');
select is((select coalesce(max(consecutive_failures), 0) from llm_private.provider_breakers where model = 'tiny'), 0,
  'and does not count as a provider failure');

-- After the cooldown exactly one probe goes ahead.
reset role;
select tests.freeze_clock('2026-03-15 10:30:31+00');
select tests.act_as(tests.tenant_a(), tests.user_a1());
create temp table probe as select * from tests.reserve('b-9', p_model => 'small');
select is((select decision from probe), 'allow', 'after the cooldown the first caller is the half-open probe');
select is((select state from llm_private.provider_breakers where model = 'small'), 'half_open', 'the breaker is half-open');
select is((select decision || '/' || reason from tests.reserve('b-10', p_model => 'small')), 'block/breaker_open',
  'a second caller during the probe is refused');
select llm.settle_call((select reservation_id from probe), 100, 0, 10, 5, 'error');
select is((select state from llm_private.provider_breakers where model = 'small'), 'open', 'a failed probe opens it again at once');

reset role;
select tests.freeze_clock('2026-03-15 10:31:02+00');
select tests.act_as(tests.tenant_a(), tests.user_a1());
create temp table probe2 as select * from tests.reserve('b-11', p_model => 'small');
select llm.settle_call((select reservation_id from probe2), 100, 0, 10, 5, 'ok');
select is((select (state, consecutive_failures) from llm_private.provider_breakers where model = 'small'), ('closed'::text, 0),
  'a successful probe closes it');
select is((select decision from tests.reserve('b-12', p_model => 'small')), 'allow', 'and calls flow again');

-- Only the operator resets a breaker by hand; the auditor sees the state.
select throws_ok($$select llm.reset_breaker('mock', 'large')$$, '42501', null, 'the runtime role cannot reset a breaker');
select tests.act_as_role('llm_auditor');
select is((select state from llm.breaker_state where model_ref = 'mock:large'), 'open (probe due)', 'the auditor sees breaker states, here a cooldown that is over');

reset role;
select is_empty('select * from llm.reconciliation_drift', 'reconciliation: ledger and rollups agree');
select * from finish();
rollback;
