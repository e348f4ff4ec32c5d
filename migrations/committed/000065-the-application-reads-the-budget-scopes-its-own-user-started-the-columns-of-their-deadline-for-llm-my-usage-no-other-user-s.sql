--! Previous: sha1:3cef93f622c350f50ec2ce3fdd59c209a71567c1
--! Hash: sha1:1fdae0de30d78143d6f0a44f2619f2a0ba3e4630
--! Message: The application reads the budget scopes its own user started (the columns of their deadline, for llm.my_usage); no other user's

-- llm.my_usage ends a budget scope's period at its deadline (as llm.limit_usage) for the scopes its user started: the
-- application reads the budget_scopes rows whose first request is its own user's, only the columns the deadline is computed
-- from (by key from its usage rows; budget_scope_span(tenant, first user, first endpoint) over the limits it already reads:
-- everyone's, its tenant's, its user's). Nothing of a scope another user of the tenant started (who started it, and that
-- user's limits, are another user's data, which an SQL injection in the application must not read): llm.my_usage ends that
-- scope's periods at the clock's end, as before. Rerun safely: the table's grant is revoked first (which revokes its column
-- grants too), and the wider policy on limits an earlier draft of this migration created is dropped.
revoke select on llm_private.budget_scopes from llm_app;
grant select (tenant_id, scope_key, started_at, first_user_id, first_endpoint) on llm_private.budget_scopes to llm_app;
drop policy if exists app_select on llm_private.budget_scopes;
create policy app_select on llm_private.budget_scopes for select to llm_app
  using (tenant_id = (select llm_private.app_tenant_id()) and first_user_id = (select llm_private.app_user_id()));
comment on policy app_select on llm_private.budget_scopes is
  'The application reads the budget scopes its own user started (llm.my_usage: their deadline), not another user''s (who started a scope is that user''s), nor the first request''s pk or the month of the last reserve (column grants).';
drop policy if exists app_select_scope_deadlines on llm_private.limits;
