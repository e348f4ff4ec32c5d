--! Previous: sha1:729fbfbd3b3344eec3b36a8b857b52ed06ce22fb
--! Hash: sha1:3cef93f622c350f50ec2ce3fdd59c209a71567c1
--! Message: An attempt holds at least 1 of each unit it can be charged in (attempts.holds_least_charge: false for attempts reserved before); llm_private.usage_hold returns the quota it compared (dropped here, created again by the API replay)

-- llm_private.usage_hold also returns the quota of the call's shard (out quota): an admitted call records the tightest
-- limit it was compared with (attempts.limit_id, limit_cap, limit_used). A function's OUT parameters are its result type,
-- which CREATE OR REPLACE cannot change: the replay of sql/api/040-usage.sql creates it again.
drop function if exists llm_private.usage_hold(smallint, smallint, uuid, uuid, text, timestamptz, smallint, integer, bigint, boolean, bigint);

/*
 * A hold of 0 holds the least charge (review of the zero holds: 8 sessions reserving calls estimated at 0 input tokens on a
 * hard cap of 40 input tokens over 4 shards, each settled with 1 input token, admitted 43 calls and charged 43 tokens).
 * A hard limit keeps room for the least charge above 0 (1 of its unit) on every meter a call can be charged on, a hold of
 * 0 included, but the hold took 0: every concurrent caller saw the same unit free. From this release an attempt holds
 * at least 1 of each unit it can be charged in, on every meter of its footprint (llm_private.held_amount), and its settle,
 * release and expiry give back what it held. An attempt reserved before this release held its amounts as they were, and
 * gives back those: this column tells the two apart (false for every attempt already written; the reserve sets it).
 * Adding a column with a constant default writes no row (PostgreSQL 11+).
 */
alter table llm_private.attempts add column if not exists holds_least_charge boolean not null default false;
comment on column llm_private.attempts.holds_least_charge is
  'The attempt holds at least 1 of each unit it can be charged in on each meter of its footprint (the least charge a hard limit keeps room for: llm_private.held_amount), its worst case of 0 micro-USD or its estimate of 0 input tokens included; set by the reserve (every attempt reserved since API generation 49). False: reserved before, it held its amounts as they were.';
-- The audit views read it (llm.calls, llm.reconciliation_drift, llm.monthly_spend), as llm_viewer does every column of
-- attempts but cache_key (migration 000024: a column added later is granted by the migration that adds it).
grant select (holds_least_charge) on llm_private.attempts to llm_viewer;
