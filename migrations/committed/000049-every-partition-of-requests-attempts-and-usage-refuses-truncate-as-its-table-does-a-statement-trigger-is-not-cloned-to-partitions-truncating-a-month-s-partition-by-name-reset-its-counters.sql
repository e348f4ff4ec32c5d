--! Previous: sha1:b8d3f75da2938a4e5cdcf2aeef82fd1bab7c1fe0
--! Hash: sha1:4c294d91ca82d4546fdf0b864a875fb09cd4ef4f
--! Message: Every partition of requests, attempts and usage refuses TRUNCATE as its table does (a statement trigger is not cloned to partitions: truncating a month's partition by name reset its counters)

-- A month's partition of the ledger refuses TRUNCATE as its table does. The parents' BEFORE TRUNCATE triggers
-- (_100_no_truncate on requests, attempts and usage) are statement triggers, which PostgreSQL neither clones to partitions
-- nor fires for a partition truncated by name: `truncate llm_private.usage_m202611` reset a month's counters, caps counted
-- again from zero (review 79). Every partition of a table with such a trigger now carries it too, the months to come
-- included (llm_private.create_month_partition). Retention still detaches and drops whole months.

create or replace function llm_private.guard_partition_truncate(p_partition regclass) returns integer
  language plpgsql
  set search_path = pg_catalog
as $$
declare
  t record;
  n integer := 0;
begin
  -- Each non-internal TRUNCATE trigger of the partition's parent, by the same name and function. CREATE OR REPLACE: the
  -- API replay (sql/api/100-requests.sql calls this for every partition) drops a trigger running a function of sql/api
  -- that it did not write again as stale (src/db/migrate.ts dropStaleTriggers).
  for t in select pt.tgname, pt.tgfoid::regproc as fn
             from pg_inherits i join pg_trigger pt on pt.tgrelid = i.inhparent
            where i.inhrelid = p_partition and not pt.tgisinternal and (pt.tgtype::int & 32) <> 0 loop
    execute format('create or replace trigger %I before truncate on %s for each statement execute function %s()', t.tgname, p_partition, t.fn);
    n := n + 1;
  end loop;
  return n;
end
$$;
comment on function llm_private.guard_partition_truncate(regclass) is
  'Gives a ledger partition the BEFORE TRUNCATE triggers of its parent, created or replaced (statement triggers are neither cloned to partitions nor fired for a partition truncated by name). Returns how many. Owner only; called by llm_private.create_month_partition and by the API replay for every partition (sql/api/100-requests.sql).';
revoke all on function llm_private.guard_partition_truncate(regclass) from public;

create or replace function llm_private.create_month_partition(p_table text, p_month integer)
  returns boolean
  language plpgsql
  set search_path = pg_catalog
  set "TimeZone" = 'UTC'
  set "DateStyle" = 'ISO, YMD'
as $$
declare
  part text := format('%s_m%s', p_table, to_char(llm_private.month_start(p_month) at time zone 'UTC', 'YYYYMM'));
  bounds text;
begin
  if p_table <> all (llm_private.partitioned_tables()) or p_month not between 0 and 2400 then
    raise exception using errcode = '22023', message = 'not a partitioned ledger table or month', detail = format('%s %s', p_table, p_month);
  end if;
  if to_regclass('llm_private.' || part) is not null then
    return false;
  end if;
  bounds := case when p_table in ('requests', 'request_inputs', 'attempts')
                 then format('from (%s) to (%s)', p_month::bigint << 40, (p_month + 1)::bigint << 40)
                 else format('from (%L) to (%L)', llm_private.month_start(p_month), llm_private.month_start(p_month + 1)) end;
  execute format('create table llm_private.%I partition of llm_private.%I for values %s', part, p_table, bounds);
  execute format('alter table llm_private.%I enable row level security', part);
  execute format('alter table llm_private.%I force row level security', part);
  perform llm_private.guard_partition_truncate(format('llm_private.%I', part)::regclass);
  execute format('comment on table llm_private.%I is %L', part, format('Partition of llm_private.%s for %s (UTC).', p_table,
    to_char(llm_private.month_start(p_month) at time zone 'UTC', 'YYYY-MM')));
  return true;
end
$$;
comment on function llm_private.create_month_partition(text, integer) is
  'Creates one month''s partition of a ledger table (FORCE RLS, no grants: access goes through the parent''s policies; its parent''s TRUNCATE triggers, llm_private.guard_partition_truncate). Owner only; called by migrations and llm_maint.ensure_partitions().';

-- The partitions there already, DEFAULT ones included, get theirs from the API replay that follows (sql/api/100-requests.sql),
-- once the parents' triggers are there: on a new database they are not yet.
