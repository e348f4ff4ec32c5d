--! Previous: sha1:90111e3756fa57db783f9da814df5d0a5430d163
--! Hash: sha1:70428d94cd193e0636e8ee730bae859b195109d2
--! Message: Retention locks the ledger tables in one order; answers flagged for personal data leave the shared caches

-- Retention takes its locks in one order, and flagged answers leave the shared cache (eleventh review).
--
-- 1. drop_expired_partitions took each partition's lock as it came to it (attempts_m before requests_m, by name): an
--    application query reading requests, then attempts, deadlocked it and its whole run rolled back. It now locks the six
--    ledger tables at once, in one order, before touching any partition (only when there is something to drop).
create or replace function llm_maint.drop_expired_partitions() returns integer
  language plpgsql
  set search_path = pg_catalog, pg_temp
as $$
declare
  p record;
  n integer := 0;
  v_now timestamptz := llm_private.now();
  keep_from integer := llm_private.month_index(v_now) - (select s.ledger_retention_months from llm_private.settings s) + 1;
  v_suffix text;
  v_open boolean;
  v_moved bigint;
begin
  -- Every ledger table at once, in one order, before any partition: the function took each partition's lock as it came to
  -- it (attempts_m before requests_m), so an application query reading requests then attempts deadlocked it, and the whole
  -- run rolled back (eleventh review). Only when there is something to drop: this stops every tenant until it commits.
  if exists (select 1 from pg_inherits i
               join pg_class c on c.oid = i.inhrelid
               join pg_class parent on parent.oid = i.inhparent
               join pg_namespace ns on ns.oid = parent.relnamespace
              where ns.nspname = 'llm_private' and parent.relname = any (llm_private.partitioned_tables())
                and c.relname ~ '_m[0-9]{6}$'
                and (substr(right(c.relname, 6), 1, 4)::int - 2000) * 12 + substr(right(c.relname, 6), 5, 2)::int - 1 < keep_from) then
    lock table llm_private.requests, llm_private.request_inputs, llm_private.attempts, llm_private.usage, llm_private.alerts,
      llm_private.adjustments in access exclusive mode;
  end if;
  for p in select c.relname, parent.relname as parent_name
             from pg_inherits i
             join pg_class c on c.oid = i.inhrelid
             join pg_class parent on parent.oid = i.inhparent
             join pg_namespace ns on ns.oid = parent.relnamespace
            where ns.nspname = 'llm_private' and parent.relname = any (llm_private.partitioned_tables())
              and c.relname ~ '_m[0-9]{6}$'
            order by c.relname loop
    continue when (substr(right(p.relname, 6), 1, 4)::int - 2000) * 12 + substr(right(p.relname, 6), 5, 2)::int - 1 >= keep_from;
    v_suffix := right(p.relname, 8);
    if p.parent_name in ('requests', 'request_inputs', 'attempts') then
      -- The month's requests, inputs and attempts go together, and only when nothing of them is open: a request still
      -- queued or running, an attempt still holding money (llm.fail_lost_requests and llm.expire_holds end them).
      -- (The owner reads a partition only with its FORCE off: no policy names the owner. The flag is back before anyone
      -- else can look: ALTER TABLE holds the partition exclusively until this transaction ends.)
      v_open := false;
      if to_regclass('llm_private.requests' || v_suffix) is not null then
        execute format('alter table llm_private.%I no force row level security', 'requests' || v_suffix);
        execute format('select exists (select 1 from llm_private.%I where state in (''queued'', ''running''))', 'requests' || v_suffix)
          into v_open;
        execute format('alter table llm_private.%I force row level security', 'requests' || v_suffix);
      end if;
      if not v_open and to_regclass('llm_private.attempts' || v_suffix) is not null then
        execute format('alter table llm_private.%I no force row level security', 'attempts' || v_suffix);
        execute format('select exists (select 1 from llm_private.%I where state = ''held'')', 'attempts' || v_suffix) into v_open;
        execute format('alter table llm_private.%I force row level security', 'attempts' || v_suffix);
      end if;
      if v_open then
        raise warning 'llm_maint: llm_private.% kept: month % has a request still open or an attempt still holding money',
          p.relname, v_suffix;
        continue;
      end if;
      execute format('alter table llm_private.%I detach partition llm_private.%I', p.parent_name, p.relname);
    elsif p.parent_name in ('usage', 'alerts') then
      -- Rows still in use outlive their month: a hold not ended, a period not over (a quarter begun up to two months back,
      -- a budget scope's or a lifetime's, which never ends). Once the month is detached its range routes to DEFAULT, where
      -- they move as they are: the guards (which re-derive a new row) and FORCE (no policy names the owner) are off for
      -- this move only, and nobody else sees the table meanwhile: the detach holds it exclusively until this transaction
      -- ends.
      execute format('alter table llm_private.%I detach partition llm_private.%I', p.parent_name, p.relname);
      execute format('alter table llm_private.%I no force row level security', p.relname);
      if p.parent_name = 'usage' then
        alter table llm_private.usage disable trigger _100_guard, no force row level security;
        execute format('insert into llm_private.usage select u.* from llm_private.%I u join llm_private.meters m on m.id = u.meter_id
                         where u.held > 0 or llm_private.period_end(m."window", u.period_start) > $1', p.relname) using v_now;
        get diagnostics v_moved = row_count;
        alter table llm_private.usage enable trigger _100_guard, force row level security;
      else
        alter table llm_private.alerts disable trigger _100_guard, no force row level security;
        execute format('insert into llm_private.alerts select a.* from llm_private.%I a join llm_private.meters m on m.id = a.meter_id
                         where llm_private.period_end(m."window", a.period_start) > $1', p.relname) using v_now;
        get diagnostics v_moved = row_count;
        alter table llm_private.alerts enable trigger _100_guard, force row level security;
      end if;
      if v_moved > 0 then
        raise notice 'llm_maint: % rows of llm_private.% still in use moved to llm_private.%_default', v_moved, p.relname, p.parent_name;
      end if;
    else
      execute format('alter table llm_private.%I detach partition llm_private.%I', p.parent_name, p.relname);
    end if;
    execute format('drop table llm_private.%I', p.relname);
    n := n + 1;
  end loop;
  return n;
end
$$;

-- 2. Answers flagged for personal data (or never scanned) stayed in the tenants' shared caches after 000028/29 made the
--    settle stop putting them there: a colleague was still served them until they expired. They go now. (The owner reads
--    and deletes them with FORCE off for this transaction only; the ALTER holds the table exclusively until commit.)
alter table llm_private.cache_entries no force row level security;
alter table llm_private.attempts no force row level security;
delete from llm_private.cache_entries c
 where c.owner_user_id = '00000000-0000-0000-0000-000000000000'
   and not exists (select 1 from llm_private.attempts a
                    where a.tenant_id = c.tenant_id and a.request_pk = c.source_request_pk and a.attempt_no = c.source_attempt_no
                      and a.pii_flagged is false);
alter table llm_private.cache_entries force row level security;
alter table llm_private.attempts force row level security;
