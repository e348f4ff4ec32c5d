/*
 * The exporter reads its export view and nothing more (issue 9): the tenants and prices that
 * view joins are visible to llm_exporter only where an eligible call refers to them (before this,
 * it could list every tenant and every price). Two partial indexes keep those checks to an
 * index probe: they hold only eligible attempts, so the hot path's writes do not touch them.
 */
create index if not exists attempts_eligible_tenant_idx on llm_private.attempts (tenant_id) where distillation_eligible;
create index if not exists attempts_eligible_price_idx on llm_private.attempts (price_id) where distillation_eligible;

drop policy if exists exporter_select on llm_private.tenants;
drop policy if exists exporter_eligible on llm_private.tenants;
create policy exporter_eligible on llm_private.tenants for select to llm_exporter
  using (exists (select 1 from llm_private.attempts a where a.tenant_id = tenants.id and a.distillation_eligible));

drop policy if exists select_all on llm_private.model_prices;
create policy select_all on llm_private.model_prices for select to llm_app, llm_money, llm_operator, llm_auditor using (true);
drop policy if exists exporter_eligible on llm_private.model_prices;
create policy exporter_eligible on llm_private.model_prices for select to llm_exporter
  using (exists (select 1 from llm_private.attempts a where a.price_id = model_prices.id and a.distillation_eligible));
