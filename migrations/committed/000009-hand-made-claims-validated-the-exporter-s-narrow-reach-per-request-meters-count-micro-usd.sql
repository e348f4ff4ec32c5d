--! Previous: sha1:da6c24a7c1a8be66463becaefea9d370033d3834
--! Hash: sha1:70ea3a0da40284b9fc57cf8374f02e1b168b4535
--! Message: Hand-made claims validated, the exporter's narrow reach, per-request meters count micro-USD

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

/*
 * A request-window meter counts micro-USD only: reserve checks per-request limits as shaping
 * (worst case against the request's headroom), and has no usage row per request to hold tokens or
 * calls on. Tokens per request are bounded by max_output_tokens and the models' limits, calls per
 * request by the setting max_attempts_per_request. (Accepted before, such a meter did nothing.)
 */
alter table llm_private.meters drop constraint if exists meters_request_window_micros;
alter table llm_private.meters add constraint meters_request_window_micros check ("window" <> 'request' or unit = 'micros');
comment on constraint meters_request_window_micros on llm_private.meters is
  'A per-request meter counts micro-USD only (tokens and calls per request are bounded by max_output_tokens and max_attempts_per_request).';
