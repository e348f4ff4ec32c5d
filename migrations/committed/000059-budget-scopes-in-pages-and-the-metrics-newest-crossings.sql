--! Previous: sha1:f272718a323e4db42d24fe3dd928b5edc364350e
--! Hash: sha1:ce79d08e41f0ce596ea3b3bf2f789f951e90422f
--! Message: budget scopes in pages and the metrics' newest crossings

-- A page of budget scopes in the order of an index (llm.budget_scopes_page, newest first): llm.budget_scopes listed in the
-- order of a computed column (state, deadline) computed every scope of a tenant to show 200. started_at never changes
-- after the insert (llm_private.tg_budget_scopes__guard) and a scope gets its entries once, at its first reserve: the
-- reserve's monthly update of last_reserve_month stays HOT.
create index if not exists budget_scopes_started_idx on llm_private.budget_scopes (started_at, tenant_id, scope_key);
comment on index llm_private.budget_scopes_started_idx is
  'llm.budget_scopes_page of every tenant: newest first, the next page from the last row''s (started_at, tenant_id, scope_key).';
create index if not exists budget_scopes_tenant_started_idx on llm_private.budget_scopes (tenant_id, started_at, scope_key);
comment on index llm_private.budget_scopes_tenant_started_idx is
  'llm.budget_scopes_page of one tenant: newest first, the next page from the last row''s (started_at, scope_key).';

-- The metrics' budget scopes near or over their caps (llm.limit_use_maxima): the newest threshold crossings of budget
-- scopes, instead of every scope's usage, limit and deadline at each scrape. Alerts are written once per subject, period
-- and threshold, never updated.
create index if not exists alerts_budget_scope_fired_idx on llm_private.alerts (fired_at) where budget_scope <> '';
comment on index llm_private.alerts_budget_scope_fired_idx is
  'llm.limit_use_maxima: the newest threshold crossings of budget scopes (the metrics'' llm_limit_used_ratio_max{scope="budget_scope"}).';

-- A budget scope's requests by its key (llm.budget_scopes: a scope without both of its meters' usage rows, e.g. one whose
-- calls were all refused, or of an endpoint with no budget-scope meter, counts its calls from the ledger): through the
-- primary key or the claim index, which reach only the tenant, each such scope read every request of its tenant (9 ms a
-- scope at 3 000 requests of the tenant: a page of 200 of them took 2 s). Only requests that name a scope get an entry,
-- once, at enqueue; budget_scope never changes, so the request's updates stay HOT.
create index if not exists requests_tenant_scope_idx on llm_private.requests (tenant_id, budget_scope) where budget_scope is not null;
comment on index llm_private.requests_tenant_scope_idx is
  'llm.budget_scopes: the requests of one budget scope (its calls counted from the ledger when it lacks a meter''s usage).';
