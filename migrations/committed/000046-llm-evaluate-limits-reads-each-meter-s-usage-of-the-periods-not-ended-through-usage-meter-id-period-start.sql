--! Previous: sha1:e2d9562aedeb5c011aef36e1d4c7e56f28d5a27b
--! Hash: sha1:ddbb9f06216fd90f5017bb7ecb5e469b14892c07
--! Message: llm.evaluate_limits reads each meter's usage of the periods not ended through usage (meter_id, period_start)

-- llm.evaluate_limits (every minute) reads each meter's usage rows of the periods not yet ended (10 minutes back) by this
-- index, instead of every usage row of the last 2400 hours: a meter per minute writes a row per subject, shard and minute,
-- and one global meter of 8 shards made each run read 345 600 rows after 30 days (review of the minute window, helper 74).
-- It costs one index entry per usage row (a row per subject and period, not per call).
create index if not exists usage_meter_period_idx on llm_private.usage (meter_id, period_start);
comment on index llm_private.usage_meter_period_idx is
  'A meter''s usage rows from a period on: llm.evaluate_limits reads the periods not ended (10 minutes back) of each meter.';
