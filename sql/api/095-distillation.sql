/*
 * The distillation gate: whether a settled call's final output may train a model, and why.
 * Decided at settle from facts, never by a task. Rules in order, the first that fails wins:
 *   call_failed, capped_output, no_output, invalid_output, pii_flagged, tenant_not_opted_in,
 *   model_terms_forbid; otherwise eligible. (Cache hits are never eligible: from_cache.)
 */
create or replace function llm_private.distillation_gate(p_tenant_id uuid, p_decision llm_private.decision,
  p_status llm_private.provider_status, p_output_valid boolean, p_pii_flagged boolean, p_provider text, p_model text,
  out eligible boolean, out reason llm_private.distill_reason)
  language plpgsql stable
  set search_path = pg_catalog
as $$
begin
  -- Facts about the call first (no lookups), then the tenant's consent and the model's terms.
  reason := case
    when p_status is distinct from 'ok' then 'call_failed'
    when p_decision = 'cap' then 'capped_output'
    when p_output_valid is null then 'no_output'
    when not p_output_valid then 'invalid_output'
    when coalesce(p_pii_flagged, true) then 'pii_flagged'
  end;
  if reason is null and not coalesce((select t.distillation_opt_in from llm_private.tenants t where t.id = p_tenant_id), false) then
    reason := 'tenant_not_opted_in';
  end if;
  if reason is null and not coalesce((select m.training_allowed from llm_private.models m
                                       where m.provider = p_provider and m.model = p_model), false) then
    reason := 'model_terms_forbid';
  end if;
  reason := coalesce(reason, 'eligible');
  eligible := reason = 'eligible';
end
$$;
comment on function llm_private.distillation_gate(uuid, llm_private.decision, llm_private.provider_status, boolean, boolean, text, text) is
  'The distillation-eligibility decision of a settled call and its reason (the first rule that fails). Called by the settle trigger only.';

create or replace function llm.set_tenant_data_use(p_tenant_id uuid, p_distillation_opt_in boolean, p_traces_distillable boolean)
  returns void
  language plpgsql
  set search_path = pg_catalog
as $$
begin
  update llm_private.tenants set distillation_opt_in = p_distillation_opt_in, traces_distillable = p_traces_distillable
   where id = p_tenant_id;
  if not found then
    raise exception using errcode = 'P0002', message = 'unknown tenant', detail = format('tenant %s', p_tenant_id);
  end if;
end
$$;
comment on function llm.set_tenant_data_use(uuid, boolean, boolean) is
  'Operator: records a tenant''s consent to use its final outputs, and separately its reasoning traces, for distillation. Only operators can: consent is never set by the application or a worker.';

create view llm.final_outputs with (security_invoker = true) as
select q.tenant_id, q.user_id, q.request_id, q.endpoint::text as endpoint, o.request_pk, o.attempt_no,
       pr.provider || ':' || pr.model as model_ref, i.messages, o.output, a.output_valid, a.pii_flagged,
       a.distillation_eligible, a.distillation_reason::text as distillation_reason, o.created_at, o.expires_at
  from llm_private.call_outputs o
  join llm_private.attempts a on a.tenant_id = o.tenant_id and a.request_pk = o.request_pk and a.attempt_no = o.attempt_no
  join llm_private.requests q on q.tenant_id = o.tenant_id and q.id = o.request_pk
  left join llm_private.request_inputs i on i.tenant_id = o.tenant_id and i.request_pk = o.request_pk
  left join llm_private.model_prices pr on pr.id = a.price_id;
comment on view llm.final_outputs is 'Final outputs (and their prompts) of settled calls with their distillation decision. Reasoning traces are not here: they live apart.';

create view llm.distillation_export with (security_invoker = true) as
select o.tenant_id, o.request_pk, o.attempt_no, pr.provider || ':' || pr.model as model_ref, i.messages, o.output,
       tr.trace as reasoning_trace, o.created_at
  from llm_private.call_outputs o
  join llm_private.attempts a on a.tenant_id = o.tenant_id and a.request_pk = o.request_pk and a.attempt_no = o.attempt_no
                             and a.distillation_eligible
  join llm_private.request_inputs i on i.tenant_id = o.tenant_id and i.request_pk = o.request_pk
  join llm_private.tenants t on t.id = o.tenant_id and t.distillation_opt_in
  -- Consent and terms as they are now, whoever reads: eligibility was decided at settle. The exporter's policies say the same;
  -- read as llm_auditor, the view showed a withdrawn tenant's calls and traces (tenth review).
  join llm_private.model_prices pr on pr.id = a.price_id
  join llm_private.models md on md.provider = pr.provider and md.model = pr.model and md.training_allowed
  left join llm_private.reasoning_traces tr on tr.tenant_id = o.tenant_id and tr.request_pk = o.request_pk and tr.attempt_no = o.attempt_no
                                           and t.traces_distillable;
comment on view llm.distillation_export is
  'What the training pipeline may read: eligible calls only (prompt and final output), while their tenant still consents and their model''s terms still allow training; the reasoning trace only where the tenant separately allowed traces. Readable by llm_exporter (which can read nothing else) and llm_auditor.';

grant execute on function llm_private.distillation_gate(uuid, llm_private.decision, llm_private.provider_status, boolean, boolean, text, text)
  to llm_money, llm_operator;
grant execute on function llm.set_tenant_data_use(uuid, boolean, boolean) to llm_operator;
grant select on llm.final_outputs to llm_auditor;
grant select on llm.distillation_export to llm_exporter, llm_auditor;
