--! Previous: sha1:34dfb4c5f61686a1be8ce0f1c62e0bdfdd9902d1
--! Hash: sha1:364f3eb69aafe30984e9a71d7356bab6b4c3f071
--! Message: One tenant's failures no longer open a breaker shared by every tenant

-- One tenant's failures no longer open a breaker shared by every tenant (review of the provider boundary).
--
-- A timeout counts as a provider failure, and a tenant controls how long its calls take (max_output_tokens against the
-- worker's call timeout): three slow calls of one tenant opened the breaker of a model for every tenant, whose requests were
-- then refused for good. A breaker now opens only when its streak of failures comes from two tenants or more (the first
-- failing tenant of the streak is kept, and whether another one failed since), unless the operator says one tenant may open
-- it (a deployment with a single tenant).
alter table llm_private.provider_breakers
  add column if not exists streak_tenant_id uuid,
  add column if not exists streak_tenants_many boolean not null default false;
comment on column llm_private.provider_breakers.streak_tenant_id is
  'The tenant of the first failure of the current streak of consecutive failures (NULL: no streak).';
comment on column llm_private.provider_breakers.streak_tenants_many is
  'Whether a second tenant failed in the current streak: only such a streak opens the breaker (unless settings.breaker_single_tenant_opens).';
alter table llm_private.settings
  add column if not exists breaker_single_tenant_opens boolean not null default false;
comment on column llm_private.settings.breaker_single_tenant_opens is
  'Whether failures of one tenant alone may open a breaker (false: two tenants must fail in the streak, so that no tenant''s own slow or failing calls stop the others; true for a deployment with a single tenant).';
drop function if exists llm_private.record_breaker_outcome(text, text, llm_private.provider_status, timestamptz);
grant update (streak_tenant_id, streak_tenants_many) on llm_private.provider_breakers to llm_money, llm_operator;
