--! Previous: sha1:5c9b2bd6ce472bacebf2fbb3256c9b39a7694fdd
--! Hash: sha1:9f11c707eb1bf28d79c8896c3df8e92a4e7134af
--! Message: llm_viewer reads the audit views and the tables behind them, no prompt, output, trace or cache entry: the login of the dashboard, metrics, audit CLI and Grafana

-- llm_viewer: the audit views and nothing else (sql/bootstrap/roles.sql creates the login). llm_auditor, the login the
-- dashboard, the metrics, `npm run audit` and Grafana used, reads every tenant's prompts, outputs and reasoning traces
-- as well, including traces a tenant did not allow for distillation (review of 2026-11-26). Those surfaces show money,
-- limits and decisions only, so they now log in as llm_viewer, which reads the tables behind the audit views (they are
-- security_invoker) and no table that holds a text: not request_inputs (prompts), call_outputs, reasoning_traces,
-- cache_entries, tenants or users. Of requests it reads every column but the fingerprint (a hash of the whole payload,
-- with which a guessed prompt could be confirmed). test/ts/viewer.test.ts checks it from the catalog.
grant usage on schema llm_private to llm_viewer;
grant select on llm_private.attempts, llm_private.usage, llm_private.alerts, llm_private.adjustments, llm_private.budget_scopes,
  llm_private.limits, llm_private.meters, llm_private.shutoff_windows, llm_private.endpoint_settings, llm_private.model_prices,
  llm_private.models, llm_private.model_fallbacks, llm_private.provider_breakers, llm_private.settings, llm_private.clock
  to llm_viewer;
grant select (tenant_id, id, user_id, request_id, endpoint, state, reason, budget_scope, job_id, created_at, finished_at)
  on llm_private.requests to llm_viewer;

create policy viewer_select on llm_private.attempts for select to llm_viewer using (true);
create policy viewer_select on llm_private.requests for select to llm_viewer using (true);
create policy viewer_select on llm_private.usage for select to llm_viewer using (true);
create policy viewer_select on llm_private.alerts for select to llm_viewer using (true);
create policy viewer_select on llm_private.adjustments for select to llm_viewer using (true);
create policy viewer_select on llm_private.budget_scopes for select to llm_viewer using (true);
create policy viewer_select on llm_private.limits for select to llm_viewer using (true);
create policy viewer_select on llm_private.meters for select to llm_viewer using (true);
create policy viewer_select on llm_private.shutoff_windows for select to llm_viewer using (true);
create policy viewer_select on llm_private.endpoint_settings for select to llm_viewer using (true);
alter policy select_all on llm_private.model_prices to llm_app, llm_money, llm_operator, llm_auditor, llm_viewer;
alter policy select_all on llm_private.models to llm_app, llm_money, llm_operator, llm_auditor, llm_viewer;
alter policy select_all on llm_private.model_fallbacks to llm_money, llm_operator, llm_auditor, llm_viewer;
alter policy select_all on llm_private.provider_breakers to llm_money, llm_operator, llm_auditor, llm_viewer;
alter policy select_all on llm_private.settings to llm_app, llm_money, llm_operator, llm_auditor, llm_viewer;

grant execute on function llm_private.now(), llm_private.month_index(timestamptz), llm_private.month_start(integer) to llm_viewer;
