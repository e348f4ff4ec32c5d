--! Previous: sha1:364f3eb69aafe30984e9a71d7356bab6b4c3f071
--! Hash: sha1:64b9b2a1f40244feaf7a87b68a3cf00fb6b018d9
--! Message: The breaker's outcome knows which call was the half-open probe

-- The breaker's outcome knows which call was the half-open probe (review of the fixes): record_breaker_outcome takes the
-- attempt's reserved_at, so the old signature goes (sql/api/055-breaker.sql creates the new one).
drop function if exists llm_private.record_breaker_outcome(text, text, llm_private.provider_status, uuid, timestamptz);
