--! Previous: sha1:7a69aa26f39b3ede9b680c103173ed8cd852e182
--! Hash: sha1:f6d66967e908a6297da18c286e98bc454c21adb2
--! Message: llm_private.usage_repairs: each move of a usage counter back to its ledger by llm.repair_usage_drift, checked against the drift by its insert trigger

-- Drift is repaired from the ledger, never by hand. llm.repair_usage_drift (sql/api/105-operator.sql) moves each drifting
-- usage counter by the ledger's difference, and every move is a row here: its key, what the counter and the ledger said,
-- why and who. The rows are checked against llm.reconciliation_drift by their insert trigger, so that an INSERT of the
-- operator's own choosing cannot move a counter anywhere else (the worker's login is a member of llm_operator). Before, the
-- only correction documented was llm.adjust_usage, which moves the counters and the ledger together: drift stayed, and the
-- customer's spend was under-counted by the amount (on-call review 80).
create table if not exists llm_private.usage_repairs (
  tenant_id uuid not null,
  id bigint generated always as identity,
  meter_id smallint not null references llm_private.meters (id),
  user_id uuid not null,
  budget_scope text not null,
  period_start timestamptz not null,
  shard smallint not null check (shard between 0 and 63),
  kind text not null check (kind in ('held', 'spent', 'missing_usage_row')),
  usage_value bigint,
  ledger_value bigint not null,
  reason text not null check (length(reason) between 1 and 500),
  repaired_at timestamptz not null,
  repaired_by text not null,
  primary key (tenant_id, id)
);
comment on table llm_private.usage_repairs is
  'Append-only: each move of a usage counter back to its ledger by llm.repair_usage_drift: the key, the drift''s kind (held, spent, or a missing usage row created), what the counter and the ledger said (usage_value, ledger_value: the counter moved by their difference), why, when and who. Checked against llm.reconciliation_drift by its insert trigger.';
alter table llm_private.usage_repairs enable row level security;
alter table llm_private.usage_repairs force row level security;
drop policy if exists operator_record on llm_private.usage_repairs;
create policy operator_record on llm_private.usage_repairs for insert to llm_operator with check (true);
drop policy if exists readers_select on llm_private.usage_repairs;
create policy readers_select on llm_private.usage_repairs for select to llm_operator, llm_auditor, llm_viewer using (true);
drop policy if exists owner_all on llm_private.usage_repairs;
create policy owner_all on llm_private.usage_repairs to llm_owner using (true) with check (true);
grant select, insert on llm_private.usage_repairs to llm_operator;
grant select on llm_private.usage_repairs to llm_auditor, llm_viewer;
