-- llm.my_usage ends a budget scope's period at its deadline (as llm.limit_usage): the application reads its tenant's budget
-- scopes (the columns the deadline is computed from, by key from its usage rows) and the deadline limits of its tenant's
-- scopes, whoever's user they name. A scope is the tenant's, shared by the users who name it, and its deadline follows its
-- first request's user: without them the application of another user of the tenant computed another deadline (a deadline
-- set on the first user alone: none, or the tenant's). A user's limit on a budget-scope meter is a deadline only (elapsed_ms,
-- llm_private.tg_limits__check): the application still sees no other user's cap.
grant select (tenant_id, scope_key, started_at, first_user_id, first_endpoint) on llm_private.budget_scopes to llm_app;
drop policy if exists app_select on llm_private.budget_scopes;
create policy app_select on llm_private.budget_scopes for select to llm_app
  using (tenant_id = (select llm_private.app_tenant_id()));
comment on policy app_select on llm_private.budget_scopes is
  'The application reads its tenant''s budget scopes (llm.my_usage: their deadline), not the first request''s pk or the month of the last reserve (column grants).';
drop policy if exists app_select_scope_deadlines on llm_private.limits;
create policy app_select_scope_deadlines on llm_private.limits for select to llm_app
  using (tenant_id = (select llm_private.app_tenant_id()) and user_id is not null
         and meter_id in (select m.id from llm_private.meters m where m.unit = 'elapsed_ms'));
comment on policy app_select_scope_deadlines on llm_private.limits is
  'The application reads the deadline limits (elapsed_ms) of every user of its tenant, besides its own and its tenant''s limits (app_select): a budget scope is the tenant''s, and its deadline (llm.my_usage) follows its first request''s user.';
