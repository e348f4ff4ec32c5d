-- Prices: per provider and model, effective from an instant; a price change never rewrites past costs.
begin;
select plan(8);
select tests.seed();

select tests.act_as(tests.tenant_a(), tests.user_a1());
create temp table r1 as select * from tests.reserve('p-1', p_model => 'small');
select is((select held_micros from r1), 3000::bigint, 'reserved at the price in effect: 1 000 x 1 USD + 1 000 x 2 USD per Mtok');

-- A new price from 11:00 (ten times dearer). An operator adds it; the runtime role cannot.
select throws_ok($$select llm.set_model_price('mock', 'small', '2026-03-15 11:00+00', 1, 1, 1)$$, '42501', null,
  'the runtime role cannot set prices');
select throws_ok($$update llm_private.model_prices set input_per_mtok_micros = 0$$, '42501', null,
  'nor change a price row');
select tests.act_as_role('llm_operator');
select llm.set_model_price('mock', 'small', '2026-03-15 11:00+00', 10000000, 5000000, 20000000);
select throws_ok($$update llm_private.model_prices set input_per_mtok_micros = 0$$, '42501', null,
  'prices are append-only, even for the operator');
select throws_ok($$select llm.set_model_price('mock', 'small', '2026-03-15 11:00+00', 1, 1, 1)$$, '23505', null,
  'a different price at the same instant is refused');

-- At 11:30 the reservation made at 10:30 settles at its own price; a new one uses the new price.
reset role;
select tests.freeze_clock('2026-03-15 11:30:00+00');
select tests.act_as(tests.tenant_a(), tests.user_a1());
select is((select cost_micros from llm.settle_call((select reservation_id from r1), 1000, 0, 1000, 10, 'ok')), 3000::bigint,
  'a call reserved before the change costs the old price');
select is((select held_micros from tests.reserve('p-2', p_model => 'small')), 30000::bigint,
  'a call reserved after the change holds at the new price');

reset role;
select is_empty('select * from llm.reconciliation_drift', 'reconciliation: ledger and rollups agree');
select * from finish();
rollback;
