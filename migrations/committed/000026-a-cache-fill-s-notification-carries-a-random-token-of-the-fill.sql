--! Previous: sha1:c0573ba8d34410738ca06aea410e73a094035832
--! Hash: sha1:e2eba4220df07e843a419cc2fee3bc7b410e7851
--! Message: A cache fill's notification carries a random token of the fill

-- A cache fill's notification carries a random token of the fill (eighth review). Its previous form,
-- sha256(lock_salt/tenant/request/attempt), gave every listener known plaintext to brute-force the tenant's lock salt
-- (random() has 52 bits), which also seeds the tenant's advisory-lock keys, and let another user of the same tenant
-- (who may read the salt) follow which requests filled the cache; and the operator's expiry sweep could not compute it.
-- A random token says nothing of the key, the tenant or the request, and nobody computes it: a waiter gets it from its
-- reserve's wait answer, and the fill's end sends it.
alter table llm_private.cache_fills add column token uuid not null default gen_random_uuid();
comment on column llm_private.cache_fills.token is
  'What llm_cache_filled carries when this fill ends: random, so a listener learns nothing of the key, the tenant or the request; a waiter gets it from its reserve''s wait answer. Kept when the same request fills again, new when another request takes the fill over.';
