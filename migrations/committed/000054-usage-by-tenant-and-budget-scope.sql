--! Previous: sha1:10de76e279b007b69aa04c0f0bab3f311a6ee4e1
--! Hash: sha1:ffef39f333cd96e9ea92f16b714c85f264e16123
--! Message: usage by tenant and budget scope

-- A budget scope's usage rows by its key (re-attack 88): llm.budget_scopes reads each scope's usage through
-- llm_private.limit_usage_rows, filtered on tenant and budget scope, and the primary key (tenant_id, meter_id, user_id,
-- budget_scope, ...) reached only the tenant: each scope read all its tenant's usage rows, so the view cost grew with the
-- square of the scopes (~9.5 ms a scope at 10^4 scopes of one tenant, 95 s in all; a section of the dashboard's main
-- page). Measured on 2 000 scopes of one tenant, analyzed: 2.3 s without, 0.16 s with. held and spent, which the money
-- path updates, are not in it: those updates stay HOT; a row gets an entry once, when its period first appears.
create index if not exists usage_tenant_scope_idx on llm_private.usage (tenant_id, budget_scope);
