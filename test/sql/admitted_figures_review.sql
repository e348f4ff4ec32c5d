-- Review r110 of the admitted call's figures (merge h108, d05c7d4) with the least charge (merge h106): a call of a worst
-- case of 0 (a model priced 0) fits a payload cost ceiling of 0 (the shaping compares the worst case, 0 <= headroom 0)
-- and records the ceiling as its tightest limit; llm.calls asked 1 of it (the least charge, which only a meter's hold
-- takes), so the admitted call read 0 + 1 > 0, the figures of a refusal. The same under a per-request cap of 0.
begin;
select plan(5);
select tests.seed();
insert into llm_private.models (provider, model, kind, max_output_tokens, training_allowed) values ('mock', 'free', 'chat', 1000, false);
insert into llm_private.model_prices (provider, model, effective_from, input_per_mtok_micros, cached_input_per_mtok_micros, output_per_mtok_micros)
  values ('mock', 'free', '2000-01-01', 0, 0, 0);

/* 1. A free call under a cost ceiling of 0. */
select results_eq($$select decision, reason, limit_name, limit_cap, limit_used, held_micros
                     from tests.call(tests.tenant_a(), tests.user_a1(), 'afr-ceil', 'explanation', 'mock:free', 100, '{"cost_ceiling_micros": 0}')$$,
  $$values ('allow', 'ok', 'cost_ceiling', 0::bigint, 0::bigint, 0::bigint)$$,
  'a call of a worst case of 0 is allowed under a cost ceiling of 0, which it records as its tightest limit');
select results_eq($$select state, decision, limit_used + limit_asked <= limit_cap from llm.calls where request_id = 'afr-ceil'$$,
  $$values ('held', 'allow', true)$$,
  'llm.calls: its figures prove the admission (limit_used + limit_asked <= limit_cap), not a refusal''s');

/* The same under a per-request limit of 0 (a meter of window request: no hold either). */
select tests.act_as_role('llm_operator');
select ok(llm.set_limit('request_cap_investigation', 0, tests.tenant_b()) > 0, 'an operator sets tenant B''s per-request cap to 0');
select tests.as_admin();
select is((select decision from tests.call(tests.tenant_b(), tests.user_b1(), 'afr-req', 'investigation', 'mock:free', 100)), 'allow',
  'a call of a worst case of 0 is allowed under it');
select results_eq($$select c.limit_id = l.limit_id, c.limit_used + c.limit_asked <= c.limit_cap from llm.calls c, llm.limits l
                    where c.request_id = 'afr-req' and l.meter_name = 'request_cap_investigation' and l.tenant_id = tests.tenant_b()$$,
  $$values (true, true)$$, 'it records that cap as its tightest limit, and llm.calls proves the admission');

select * from finish();
rollback;
