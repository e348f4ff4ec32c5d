--! Previous: sha1:ad039d9af824f7081c07ec4d917d58c7932b0295
--! Hash: sha1:543ad4ad6a832198818941757b92244d65f924bc
--! Message: The reconciliation check keeps the first 200 drift rows it found, which the dashboard and Grafana list instead of reading two months of the ledger

-- The reconciliation check keeps the drift rows it found, so that nothing a reader opens reads two months of the ledger.
--
-- Migration 000040 moved the drift count out of the metrics scrape: the worker's cron counts llm.reconciliation_drift every
-- 5 minutes and keeps the count. The dashboard's overview and /drift page still read the view itself, to list its rows: two
-- months of the ledger, ~2 minutes at the 10^7 calls a month issue 11 plans for, past the viewer's 60 s statement timeout,
-- so at that size the overview failed as a whole. Now the check keeps the rows too: the first 200 in the view's order
-- (a JSON array), derived by the same insert trigger as the count, so the operator's login can no more choose them than
-- it can the count. llm.reconciliation_checked_drift lists the newest check's rows; the dashboard and Grafana read that.
-- A check from before this migration kept no rows: its drift_sample is null.
alter table llm_private.reconciliation_checks add column if not exists drift_sample jsonb;
alter table llm_private.reconciliation_checks drop constraint if exists reconciliation_checks_drift_sample_check;
alter table llm_private.reconciliation_checks add constraint reconciliation_checks_drift_sample_check
  check (drift_sample is null or (jsonb_typeof(drift_sample) = 'array' and jsonb_array_length(drift_sample) = least(drift_rows, 200)));
comment on column llm_private.reconciliation_checks.drift_sample is
  'The first 200 rows of llm.reconciliation_drift the check found, in the view''s order (kind, tenant, meter, user, scope, period, shard), as a JSON array of its rows; derived by the insert trigger. Null: a check from before migration 000041, which kept no rows.';
comment on table llm_private.reconciliation_checks is
  'One row per run of llm.check_reconciliation (the worker''s cron, every 5 minutes), every column derived by its insert trigger: when it read llm.reconciliation_drift (the database clock), how many rows it found (must be 0), the first 200 of them, and how long the read took. The newest is the highest id; the metrics scrape reads it through llm.reconciliation_status, the dashboard its rows through llm.reconciliation_checked_drift. Kept; only the owner deletes.';
