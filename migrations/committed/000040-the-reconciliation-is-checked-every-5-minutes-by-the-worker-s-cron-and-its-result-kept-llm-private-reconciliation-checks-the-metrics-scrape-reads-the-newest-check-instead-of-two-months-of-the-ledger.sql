--! Previous: sha1:aef6140d58b2f00a77fb13eab918708753b0828e
--! Hash: sha1:aa9a58c5731e75ef8a7183e8cf1e69af11b3dadb
--! Message: The reconciliation is checked every 5 minutes by the worker's cron and its result kept (llm_private.reconciliation_checks): the metrics scrape reads the newest check instead of two months of the ledger

-- The reconciliation is checked on a schedule and its result kept, instead of being computed by every metrics scrape.
--
-- Every scrape of every worker (each 15 s or so) counted llm.reconciliation_drift, which reads the ledger of this month
-- and the last: ~3 us per call and meter, 2.3 s at 300 000 calls (review at scale, 2026-11-27), about 2 minutes at the
-- 10^7 calls a month issue 11 plans for. Past the viewer's 60 s statement timeout the scrape failed, and with it every
-- metric it carries: no drift alert could fire at that size, and the workers each ran the view four times a minute.
-- Now the worker's cron runs llm.check_reconciliation() (every 5 minutes, one run cluster-wide, with its own statement
-- timeout) and the scrape reads the last row here: the drift rows it found, and how long ago (an alert fires when no
-- check has completed for 15 minutes). The view itself is unchanged, for the audit and the dashboard.
create table if not exists llm_private.reconciliation_checks (
  id bigint generated always as identity primary key,
  checked_at timestamptz not null,
  drift_rows bigint not null check (drift_rows >= 0),
  duration_ms integer not null check (duration_ms >= 0)
);
create index if not exists reconciliation_checks_checked_at on llm_private.reconciliation_checks (checked_at);
comment on table llm_private.reconciliation_checks is
  'One row per completed run of llm.check_reconciliation (the worker''s cron, every 5 minutes): when it read llm.reconciliation_drift, how many rows it found (must be 0) and how long the read took. Kept 7 days. The metrics scrape reads the newest row.';
alter table llm_private.reconciliation_checks enable row level security;
alter table llm_private.reconciliation_checks force row level security;
-- Whatever a writer gives, the insert trigger (sql/api/110-audit-views.sql) records the time and counts the view itself:
-- the operator's login (the worker's) cannot record a clean check by hand. It may delete only checks older than a week:
-- deleting the recent ones leaves the status empty, which the staleness alert reports.
drop policy if exists operator_read on llm_private.reconciliation_checks;
create policy operator_read on llm_private.reconciliation_checks for select to llm_operator using (true);
drop policy if exists operator_record on llm_private.reconciliation_checks;
create policy operator_record on llm_private.reconciliation_checks for insert to llm_operator with check (true);
drop policy if exists operator_prune on llm_private.reconciliation_checks;
create policy operator_prune on llm_private.reconciliation_checks for delete to llm_operator
  using (checked_at < llm_private.now() - interval '168 hours');
drop policy if exists readers_select on llm_private.reconciliation_checks;
create policy readers_select on llm_private.reconciliation_checks for select to llm_auditor, llm_viewer using (true);
grant select, insert, delete on llm_private.reconciliation_checks to llm_operator;
grant select on llm_private.reconciliation_checks to llm_auditor, llm_viewer;
