--! Previous: sha1:086b3c4dea0fdeed328133dab28946718b758f39
--! Hash: sha1:5c9b2bd6ce472bacebf2fbb3256c9b39a7694fdd
--! Message: Drop breaker_admits and the tenants' consent guard: unused, and a second copy of the worker-login guard

-- Two functions of sql/api that nothing uses any more: breaker_admits (reserve asks breaker_admission, which also says when
-- it claimed the half-open probe), and the tenants' consent guard, a second copy of what tg_operator_changes__not_from_worker
-- refuses on the tenants table (llm_money and the other runtime roles may not update tenants at all).
drop trigger if exists _100_consent_guard on llm_private.tenants;
drop function if exists llm_private.tg_tenants__consent_guard();
drop function if exists llm_private.breaker_admits(text, text, timestamptz);
