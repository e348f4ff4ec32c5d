/*
 * The distillation gate: whether a settled call's final output may train a model, and why.
 * Decided here, at settle, from facts; never by a task. Rules in order, the first that fails wins:
 *   call_failed, from_cache, capped_output, no_output, invalid_output, pii_flagged,
 *   tenant_not_opted_in, model_terms_forbid; otherwise eligible.
 */
create or replace function llm_private.distillation_gate(p_tenant_id uuid, p_decision text, p_cached boolean, p_status text,
  p_has_output boolean, p_output_valid boolean, p_pii_flagged boolean, p_provider text, p_model text,
  out eligible boolean, out reason text)
  language plpgsql stable
  set search_path = pg_catalog
as $$
begin
  -- Facts about the call first (no lookups), then the tenant's consent and the model's terms.
  reason := case
    when p_status is distinct from 'ok' then 'call_failed'
    when p_cached then 'from_cache'
    when p_decision = 'cap' then 'capped_output'
    when not p_has_output then 'no_output'
    when not coalesce(p_output_valid, false) then 'invalid_output'
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
comment on function llm_private.distillation_gate(uuid, text, boolean, text, boolean, boolean, boolean, text, text) is
  'The distillation-eligibility decision of a settled call and its reason (the first rule that fails).';

create or replace function llm.set_tenant_data_use(p_tenant_id uuid, p_distillation_opt_in boolean, p_traces_distillable boolean)
  returns void
  language sql
  set search_path = pg_catalog
as $$
  update llm_private.tenants set distillation_opt_in = p_distillation_opt_in, traces_distillable = p_traces_distillable
   where id = p_tenant_id
$$;
comment on function llm.set_tenant_data_use(uuid, boolean, boolean) is
  'Operator: records a tenant''s consent to use its final outputs, and separately its reasoning traces, for distillation.';

create view llm.final_outputs with (security_invoker = true) as
select o.reservation_id, o.tenant_id, o.user_id, o.endpoint::text as endpoint, o.provider || ':' || o.model as model_ref,
       o.messages, o.output, o.output_valid, o.pii_flagged, r.distillation_eligible, r.distillation_reason, o.created_at, o.expires_at
  from llm_private.call_outputs o
  join llm_private.reservations r on r.id = o.reservation_id;
comment on view llm.final_outputs is 'Final outputs of settled calls with their distillation decision. Reasoning traces are not here: they live apart.';

create view llm.distillation_export with (security_invoker = true) as
select o.reservation_id, o.tenant_id, o.endpoint::text as endpoint, o.provider || ':' || o.model as model_ref, o.messages, o.output,
       case when t.traces_distillable then tr.trace end as reasoning_trace, o.created_at
  from llm_private.call_outputs o
  join llm_private.reservations r on r.id = o.reservation_id and r.distillation_eligible
  join llm_private.tenants t on t.id = o.tenant_id
  left join llm_private.reasoning_traces tr on tr.reservation_id = o.reservation_id and t.traces_distillable;
comment on view llm.distillation_export is
  'What the training pipeline may read: eligible calls only (prompt and final output); the reasoning trace only where the tenant separately allowed traces. Readable by llm_exporter and llm_auditor.';

grant execute on function llm_private.distillation_gate(uuid, text, boolean, text, boolean, boolean, boolean, text, text) to llm_app, llm_operator;
grant execute on function llm.set_tenant_data_use(uuid, boolean, boolean) to llm_operator;
grant select on llm.final_outputs to llm_auditor, llm_operator;
grant select on llm.distillation_export to llm_exporter, llm_auditor;

create view llm.request_results with (security_invoker = true) as
select q.request_id, q.endpoint::text as endpoint, q.state, q.spent_micros, r.id as reservation_id,
       r.provider || ':' || r.model as model_ref, r.cached, o.output, o.output_valid, r.settled_at
  from llm_private.requests q
  left join lateral (select x.* from llm_private.reservations x where x.request_pk = q.id and x.state = 'settled' and x.provider_status = 'ok'
                      order by x.id desc limit 1) r on true
  left join llm_private.call_outputs o on o.reservation_id = r.id;
comment on view llm.request_results is
  'For the application (llm_app, its own tenant and user only): each request''s state, what it cost, and its final output once done (from the provider or the cache).';
grant select on llm.request_results to llm_app, llm_auditor;
