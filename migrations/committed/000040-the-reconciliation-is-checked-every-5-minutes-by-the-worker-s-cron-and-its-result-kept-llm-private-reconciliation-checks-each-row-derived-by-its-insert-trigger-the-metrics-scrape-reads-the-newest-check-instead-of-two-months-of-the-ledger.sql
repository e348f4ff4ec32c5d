--! Previous: sha1:aef6140d58b2f00a77fb13eab918708753b0828e
--! Hash: sha1:ad039d9af824f7081c07ec4d917d58c7932b0295
--! Message: The reconciliation is checked every 5 minutes by the worker's cron and its result kept (llm_private.reconciliation_checks, each row derived by its insert trigger): the metrics scrape reads the newest check instead of two months of the ledger

-- The reconciliation is checked on a schedule and its result kept, instead of being computed by every metrics scrape.
--
-- Every scrape of every worker (each 15 s or so) counted llm.reconciliation_drift, which reads the ledger of this month
-- and the last: ~3 us per call and meter, 2.3 s at 300 000 calls (review at scale, 2026-11-27), about 2 minutes at the
-- 10^7 calls a month issue 11 plans for. Past the viewer's 60 s statement timeout the scrape failed, and with it every
-- metric it carries: no drift alert could fire at that size, and the workers each ran the view four times a minute.
-- Now the worker's cron runs llm.check_reconciliation() (every 5 minutes, one run cluster-wide, with its own statement
-- timeout) and the scrape reads the newest row here: the drift rows it found, and how long ago (an alert fires when no
-- check has run for 15 minutes). The view itself is unchanged, for the audit and the dashboard's drift page.
--
-- The worker's login is a member of llm_operator, which writes these rows, so a row is derived, never taken as written
-- (sql/api/110-audit-views.sql, the insert trigger): its time, its count, in a READ COMMITTED transaction only (an old
-- snapshot, imported into REPEATABLE READ, counted a ledger from before the drift), and its id the identity's (the newest
-- check is the highest id, whatever the clock did; an id of the writer's choosing failed the next checks at the key).
-- The operator may insert and read, nothing else: no UPDATE, no DELETE (a delete left open blocked every check at its row
-- locks, and it would allow LOCK TABLE ... ACCESS EXCLUSIVE, stopping every scrape). One row every 5 minutes, ~105 000 a
-- year of ~60 bytes: kept; the owner may delete old ones.
create table if not exists llm_private.reconciliation_checks (
  id bigint generated always as identity primary key,
  checked_at timestamptz not null,
  drift_rows bigint not null check (drift_rows >= 0),
  duration_ms integer not null check (duration_ms >= 0)
);
comment on table llm_private.reconciliation_checks is
  'One row per run of llm.check_reconciliation (the worker''s cron, every 5 minutes), every column derived by its insert trigger: when it read llm.reconciliation_drift (the database clock), how many rows it found (must be 0) and how long the count took. The newest is the highest id; the metrics scrape reads it through llm.reconciliation_status. Kept; only the owner deletes.';
alter table llm_private.reconciliation_checks enable row level security;
alter table llm_private.reconciliation_checks force row level security;
drop policy if exists operator_read on llm_private.reconciliation_checks;
create policy operator_read on llm_private.reconciliation_checks for select to llm_operator using (true);
drop policy if exists operator_record on llm_private.reconciliation_checks;
create policy operator_record on llm_private.reconciliation_checks for insert to llm_operator with check (true);
drop policy if exists readers_select on llm_private.reconciliation_checks;
create policy readers_select on llm_private.reconciliation_checks for select to llm_auditor, llm_viewer using (true);
drop policy if exists owner_all on llm_private.reconciliation_checks;
create policy owner_all on llm_private.reconciliation_checks to llm_owner using (true) with check (true);
grant select, insert on llm_private.reconciliation_checks to llm_operator;
grant select on llm_private.reconciliation_checks to llm_auditor, llm_viewer;
-- The insert trigger compares the row's id with the session's last value of the identity (currval).
grant select on sequence llm_private.reconciliation_checks_id_seq to llm_operator;
