--! Previous: sha1:37b9e39f1587413bb1010264ff73a8907063852c
--! Hash: sha1:086b3c4dea0fdeed328133dab28946718b758f39
--! Message: The exporter reads an eligible call only while its tenant consents and its model's terms allow training

-- The exporter reads an eligible call only while its tenant still consents and its model's terms still allow training:
-- eligibility is decided at settle, consent and terms can change after, and the raw tables (which the exporter may read
-- for the view's sake) showed a withdrawn tenant's prompts and outputs (review of 2026-11-26). The tenants and model_prices
-- policies of llm_exporter already show only consenting tenants and trainable models; call_outputs, request_inputs and
-- reasoning_traces read through this policy's rows.
alter policy exporter_eligible on llm_private.attempts using (
  distillation_eligible
  and exists (select 1 from llm_private.tenants t where t.id = tenant_id)
  and exists (select 1 from llm_private.model_prices p where p.id = price_id));
