--! Previous: sha1:27adf9f40963f41230fda138decc1e26915523f3
--! Hash: sha1:47391c95388527ead09637f550b0ef2bc303e758
--! Message: A breaker opened before 000034 forgets the streak's first tenant: its probe's failure reopens it

-- A breaker opened before migration 000034 kept in streak_tenant_id the first tenant of the streak that opened it. Since
-- 000034, an open or half-open breaker's streak_tenant_id names the tenant whose probe failed last (NULL: a streak of two
-- tenants or more opened it), and that tenant's next failed probe closes the breaker. After an upgrade from 000033 the
-- streak's first tenant was taken for a failed prober: its probe's failure closed the breaker of a provider still down
-- (review of the upgrade path, 2026-11-26). Forgotten on every breaker not closed: the next failed probe reopens it, which
-- costs at most one more cooldown where one tenant's failed probes were keeping it open.
-- (The owner reads the table only with its FORCE off: no policy names the owner. The flag is back before anyone else
-- can see the table, within this transaction.)
alter table llm_private.provider_breakers no force row level security;
update llm_private.provider_breakers set streak_tenant_id = null, streak_tenants_many = false where state in ('open', 'half_open');
alter table llm_private.provider_breakers force row level security;
