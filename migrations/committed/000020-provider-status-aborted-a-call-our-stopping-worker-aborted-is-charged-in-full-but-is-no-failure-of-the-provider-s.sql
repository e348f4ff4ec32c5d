--! Previous: sha1:227f35fb4a71b35af9653cac8d5de6866d7c8239
--! Hash: sha1:37b9e39f1587413bb1010264ff73a8907063852c
--! Message: provider_status aborted: a call our stopping worker aborted is charged in full but is no failure of the provider's

-- A call our worker aborted while stopping: the outcome is unknown (charged in full, as a timeout) but it is no failure of the
-- provider, so the shared breaker ignores it (sql/api/055-breaker.sql, review of 2026-11-26).
alter type llm_private.provider_status add value if not exists 'aborted';
