--! Previous: sha1:f6d66967e908a6297da18c286e98bc454c21adb2
--! Hash: sha1:0a9721b65216e86ff6544c23a9eed00d9af45e31
--! Message: Review 82: usage repairs record moved_by and run one at a time; schema_state.catalog_stamp; adjustments and alerts refuse TRUNCATE

-- Review 82 of the repair (migration 000051) and of the catalog guard (000050).
--
-- A repair row records the amount its counter moved by (moved_by, checked against the drift), not what the counter and
-- the ledger said: the trigger checked only their difference, so both were the writer's to choose. The rows already
-- there keep their difference.
alter table llm_private.usage_repairs add column if not exists moved_by bigint;
do $$
begin
  if exists (select 1 from pg_catalog.pg_attribute where attrelid = 'llm_private.usage_repairs'::regclass and attname = 'ledger_value'
                and not attisdropped) then
    alter table llm_private.usage_repairs disable trigger user;  -- its rows are never updated but here (_100_no_update)
    execute $u$update llm_private.usage_repairs set moved_by = case when kind = 'missing_usage_row' then 0 else ledger_value - usage_value end
                where moved_by is null$u$;
    alter table llm_private.usage_repairs enable trigger user;
  end if;
end
$$;
alter table llm_private.usage_repairs alter column moved_by set not null;
alter table llm_private.usage_repairs drop column if exists usage_value, drop column if exists ledger_value;
alter table llm_private.usage_repairs drop constraint if exists usage_repairs_moved_by_check;
alter table llm_private.usage_repairs add constraint usage_repairs_moved_by_check check ((kind = 'missing_usage_row') = (moved_by = 0));
-- Repairs run one at a time: each takes usage_repairs in SHARE ROW EXCLUSIVE mode (it conflicts with itself and with
-- another inserter's) before it reads the drift. Two repairs that both read a key's drift before either committed had
-- each moved the counter by it, N sessions N times (review 82: a counter driven to -295 000 against a ledger of 25 000).
-- LOCK in that mode needs UPDATE on the table; the table's trigger refuses every UPDATE (LG006). Runtime roles may not take
-- advisory locks.
grant update on llm_private.usage_repairs to llm_operator;
-- Its insert trigger checks that the id is the identity's (currval), as reconciliation_checks' does.
grant select on sequence llm_private.usage_repairs_id_seq to llm_operator;

-- The catalog a migrate records holds for the API and migrations it was recorded at (catalog_stamp): a migrate that
-- stopped between a migration that renamed a trigger or a policy and its last step had left the old name recorded, and
-- the next migrate refused the database as having lost it (review 82).
alter table llm_private.schema_state add column if not exists catalog_stamp text;
comment on column llm_private.schema_state.catalog_stamp is
  'The API hash and the last committed migration the catalog was recorded at (src/db/catalog-guard.ts): the catalog is checked only while the database is still at both.';

-- adjustments are the ledger's credits and debits, and alerts its record of thresholds crossed: neither is truncated
-- (review 82: truncating adjustments took debits out of the ledger). Their TRUNCATE triggers are created in sql/api;
-- their partitions get them from the API replay and from create_month_partition.

comment on function llm_private.guard_partition_truncate(regclass) is
  'Gives a ledger partition the BEFORE TRUNCATE triggers of its parent, created or replaced (statement triggers are neither cloned to partitions nor fired for a partition truncated by name). Returns how many. Owner only; called by llm_private.create_month_partition and by the API replay for every partition (sql/api/105-operator.sql).';
