-- The distillation gate: a persisted decision with its reason for every settled call, decided in SQL from facts; consent
-- only from an operator; reasoning traces apart; the exporter reads the export view and nothing else.
begin;
select plan(29);
select tests.seed();

create function pg_temp.settle_one(p_id text, p_model text default 'mock:small', p_status text default 'ok', p_output text default 'ok answer',
  p_valid boolean default true, p_pii boolean default false, p_max_output integer default 100, p_input integer default 1000) returns text
  language plpgsql as $$
declare
  pk bigint := tests.enqueue(tests.tenant_a(), tests.user_a1(), p_id, 'explanation', p_model, p_max_output, 'q ' || p_id);
begin
  perform tests.reserve(pk, 1, p_input);
  perform tests.settle(pk, 1, p_status, 10, 0, 10, p_output, p_valid, p_pii, null, 'thinking about ' || p_id);
  return (select a.distillation_reason::text from llm_private.attempts a where a.request_pk = pk);
end
$$;

select is(pg_temp.settle_one('g-1'), 'tenant_not_opted_in', 'a tenant that has not opted in: ineligible');
select tests.act_as_role('llm_operator');
select lives_ok($$select llm.set_tenant_data_use(tests.tenant_a(), true, false)$$, 'an operator records tenant A''s consent (outputs, not traces)');
select tests.as_admin();
select is(pg_temp.settle_one('g-2'), 'eligible', 'opted in, successful, valid, allowed model, no PII: eligible');
select is(pg_temp.settle_one('g-3', p_status => 'error'), 'call_failed', 'a failed call: ineligible');
select is(pg_temp.settle_one('g-4', 'mock:large', p_max_output => 8000), 'capped_output', 'an output cut by a cap: ineligible');
select is(pg_temp.settle_one('g-5', p_valid => false), 'invalid_output', 'an output that failed validation: ineligible');
select is(pg_temp.settle_one('g-6', 'mock:large'), 'model_terms_forbid', 'a model whose terms forbid training: ineligible');
select is(pg_temp.settle_one('g-7', p_pii => true), 'pii_flagged', 'a PII flag: ineligible');
select is(pg_temp.settle_one('g-8', p_output => null), 'no_output', 'no output: ineligible');

-- Traces live apart: never in final_outputs, exported only with the separate consent.
select is((select count(*)::int from llm_private.reasoning_traces), 6, 'reasoning traces are stored apart (one per settled ok call)');
select is((select count(*)::int from llm.final_outputs where output like 'thinking%'), 0, 'never mixed into the final outputs');
select tests.act_as_role('llm_exporter');
select results_eq($$select count(*)::int, count(reasoning_trace)::int from llm.distillation_export$$, $$values (1, 0)$$,
  'the exporter sees the one eligible call, without its trace (traces not allowed)');
select throws_ok($$select * from llm_private.request_inputs$$, '42501', null, 'and cannot read the inputs table as a whole');
select throws_ok($$select * from llm_private.attempts$$, '42501', null, 'nor every column of the ledger');
select throws_ok($$select * from llm.calls$$, '42501', null, 'nor any audit view');
select throws_ok($$select * from llm.final_outputs$$, '42501', null, 'nor the final outputs');
select is((select count(*)::int from llm_private.call_outputs), 1, 'reading outputs directly shows exactly the eligible one');
select results_eq($$select id from llm_private.tenants$$, $$values (tests.tenant_a())$$,
  'of the tenants, only the one that consented (no eligible call is possible for the others)');
select results_eq($$select provider || ':' || model from llm_private.model_prices order by 1$$, $$values ('mock:small'), ('mock:tiny')$$,
  'of the prices, only those of models whose terms allow training (no eligible call is possible on the others)');
select tests.act_as_role('llm_operator');
select lives_ok($$select llm.set_tenant_data_use(tests.tenant_a(), true, true)$$, 'tenant A also allows traces');
select tests.act_as_role('llm_exporter');
select is((select count(reasoning_trace)::int from llm.distillation_export), 1, 'now the eligible call carries its trace');
-- (review of 2026-11-26) Eligibility is decided at settle, consent and a model's terms can change after: the raw tables showed
-- the exporter a tenant's prompts and outputs after it withdrew consent, though the view hid them.
select tests.act_as_role('llm_operator');
select llm.set_tenant_data_use(tests.tenant_a(), false, false);
select tests.act_as_role('llm_exporter');
select is((select count(*)::int from llm.distillation_export), 0, 'after tenant A withdraws its consent, the export is empty...');
select is((select count(*)::int from llm_private.call_outputs) + (select count(*)::int from llm_private.request_inputs where true), 0,
  '... and so are the outputs and prompts the exporter can read directly');
-- (tenth review) The view itself checked only the eligibility decided at settle: read as llm_auditor, whose policies are not
-- the exporter's, it still showed the withdrawn tenant's call and trace.
select tests.act_as_role('llm_auditor');
select is((select count(*)::int from llm.distillation_export), 0, '... and the export is empty for the auditor too');
select tests.act_as_role('llm_operator');
select llm.set_tenant_data_use(tests.tenant_a(), true, true);
select tests.as_admin();
update llm_private.models set training_allowed = false where training_allowed;
select tests.act_as_role('llm_exporter');
select is((select count(*)::int from llm.distillation_export), 0, 'a model whose terms stop allowing training: its calls leave the export...');
select is((select count(*)::int from llm_private.call_outputs), 0, '... and the outputs the exporter can read directly');
select tests.act_as_role('llm_auditor');
select is((select count(*)::int from llm.distillation_export), 0, '... and the auditor''s export too');
select tests.as_admin();
update llm_private.models set training_allowed = true where provider = 'mock' and model in ('small', 'tiny');

-- Consent is never set by the application or the money path.
select tests.act_as_app(tests.tenant_b(), tests.user_b1());
select throws_ok($$select llm.set_tenant_data_use(tests.tenant_b(), true, true)$$, '42501', null, 'the application cannot grant itself consent');
select tests.act_as_money(tests.tenant_b(), tests.user_b1());
select throws_ok($$update llm_private.tenants set distillation_opt_in = true$$, '42501', null, 'nor can the money role');

select * from finish();
rollback;
