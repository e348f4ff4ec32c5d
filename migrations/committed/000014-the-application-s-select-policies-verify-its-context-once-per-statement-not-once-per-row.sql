--! Previous: sha1:bcb32793d291b4f111dc4f7a3eb3fc5ac39b5073
--! Hash: sha1:086b3433af615a3b0c0bb5aada368aa749f8b6ee
--! Message: The application's SELECT policies verify its context once per statement, not once per row

-- The application's SELECT policies read its context once per statement, not once per row.
-- llm_private.app_tenant_id() and app_user_id() each run the HMAC verifier (llm_private.app_context):
-- called in a policy on every row a query looks at, 16 us a row; llm.request_results over 1 589
-- requests of one user took 80 ms. As a scalar subquery (an InitPlan) it runs once per statement
-- (6-13 ms for the same rows). The rows allowed are the same: the context is fixed for the
-- transaction. Only SELECT policies change: an INSERT or UPDATE checks one row anyway, and the
-- money role's policies stay subquery-free (test/sql/sharding.sql: Citus takes no subquery in a
-- distributed INSERT).
alter policy app_select_own on llm_private.requests
  using (tenant_id = (select llm_private.app_tenant_id()) and user_id = (select llm_private.app_user_id()));
alter policy app_select_own on llm_private.attempts
  using (tenant_id = (select llm_private.app_tenant_id()) and user_id = (select llm_private.app_user_id()));
alter policy app_select_own on llm_private.call_outputs
  using (tenant_id = (select llm_private.app_tenant_id()) and user_id = (select llm_private.app_user_id()));
alter policy app_select_own on llm_private.usage
  using (tenant_id = (select llm_private.app_tenant_id())
         and (user_id = (select llm_private.app_user_id()) or user_id = '00000000-0000-0000-0000-000000000000'::uuid));
alter policy app_select_own on llm_private.users
  using (tenant_id = (select llm_private.app_tenant_id()) and id = (select llm_private.app_user_id()));
alter policy app_select_own on llm_private.tenants
  using (id = (select llm_private.app_tenant_id()));
alter policy app_select on llm_private.limits
  using (tenant_id is null
         or (tenant_id = (select llm_private.app_tenant_id()) and (user_id is null or user_id = (select llm_private.app_user_id()))));
alter policy app_select on llm_private.meters
  using (tenant_id is null or tenant_id = (select llm_private.app_tenant_id()));
alter policy worker_enqueue_select on llm_private.requests
  using (tenant_id = (select llm_private.app_tenant_id()));
