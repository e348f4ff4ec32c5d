--! Previous: sha1:0a9721b65216e86ff6544c23a9eed00d9af45e31
--! Hash: sha1:10de76e279b007b69aa04c0f0bab3f311a6ee4e1
--! Message: closed months: llm_private.month_closes

-- Closed months (finance review 86). An invoiced month could still change: llm.adjust_usage took any effective_at, so a
-- correction dated in a month already invoiced moved its totals (and one dated in the future made a month's spend before it
-- began), and nothing said when a month's figures were final. An operator now closes a month once it has ended and holds
-- nothing (llm.close_month); closing one closes every month before it. An adjustment dated in a closed month is refused: a
-- correction of an invoiced month is posted in an open one. Only a late settle still changes a closed month (a settle of an
-- expired hold replaces its full charge with the real cost, DESIGN-NOTES 2), and llm.month_closes counts those.
-- A shared row per month (a reference table for Citus), written by the operator only through llm.close_month.
create table if not exists llm_private.month_closes (
  month_start timestamptz primary key,
  closed_at timestamptz not null,
  closed_by text not null,
  reason text not null check (length(reason) between 1 and 500)
);
comment on table llm_private.month_closes is
  'Append-only: the months an operator closed (llm.close_month), each with when, who and why. The newest closes every month up to its end: an adjustment dated before that is refused (LG001).';
alter table llm_private.month_closes enable row level security;
alter table llm_private.month_closes force row level security;
drop policy if exists operator_close on llm_private.month_closes;
create policy operator_close on llm_private.month_closes for insert to llm_operator with check (true);
drop policy if exists readers_select on llm_private.month_closes;
create policy readers_select on llm_private.month_closes for select to llm_operator, llm_auditor, llm_viewer using (true);
drop policy if exists owner_all on llm_private.month_closes;
create policy owner_all on llm_private.month_closes to llm_owner using (true) with check (true);
-- UPDATE only for the locks that order closes and adjustments (LOCK in these modes needs it); every UPDATE is refused by a
-- trigger (sql/api/105-operator.sql).
grant select, insert, update on llm_private.month_closes to llm_operator;
grant select on llm_private.month_closes to llm_auditor, llm_viewer;
