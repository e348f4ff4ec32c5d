-- llm_private.usage_hold also returns the quota of the call's shard (out quota): an admitted call records the tightest
-- limit it was compared with (attempts.limit_id, limit_cap, limit_used). A function's OUT parameters are its result type,
-- which CREATE OR REPLACE cannot change: the replay of sql/api/040-usage.sql creates it again.
drop function if exists llm_private.usage_hold(smallint, smallint, uuid, uuid, text, timestamptz, smallint, integer, bigint, boolean, bigint);
