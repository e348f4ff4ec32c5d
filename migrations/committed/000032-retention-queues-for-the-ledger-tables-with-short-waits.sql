--! Previous: sha1:3f10fa184623c4196b6179ba451d227675055e26
--! Hash: sha1:34dfb4c5f61686a1be8ce0f1c62e0bdfdd9902d1
--! Message: Retention queues for the ledger tables with short waits

-- Retention gets into a busy ledger, and a tripped window lasts as its limit says (thirteenth review).
--
-- drop_expired_partitions took the six ledger tables NOWAIT: under a steady stream of readers it found no moment with none,
-- and gave up (55P03) in 2 of 4 runs of ~600 reads/s, where a queued LOCK TABLE got in within 0.07 s. It queues again, each
-- wait bounded to a tenth of deadlock_timeout, so that it still gives up (and retries) before any deadlock is detected.
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
  v_deadline timestamptz;
  v_lock_timeout text;
begin
  -- Every ledger table at once, before any partition. Taken as it came to each partition (attempts_m before requests_m),
  -- an application query reading requests then attempts deadlocked the run (eleventh review); taken in one order, the
  -- expiry sweep (attempts, then requests) and a credit (adjustments, then usage) still did; taken NOWAIT, a steady stream
  -- of readers kept it out until its lock_timeout (twelfth and thirteenth reviews). So one statement for the six, queued
  -- (new readers line up behind it), but each wait bounded to a tenth of deadlock_timeout: a wait that could close a
  -- cycle gives up before the deadlock detector looks, releases what the try took, and the loop tries again, until the
  -- session's lock_timeout (10 s by default from npm run maintain-partitions; 60 s when it is 0) gives 55P03 and the run
  -- comes again the next day. Only when there is something to drop: this stops every tenant until it commits.
  if exists (select 1 from pg_inherits i
               join pg_class c on c.oid = i.inhrelid
               join pg_class parent on parent.oid = i.inhparent
               join pg_namespace ns on ns.oid = parent.relnamespace
              where ns.nspname = 'llm_private' and parent.relname = any (llm_private.partitioned_tables())
                and c.relname ~ '_m[0-9]{6}$'
                and (substr(right(c.relname, 6), 1, 4)::int - 2000) * 12 + substr(right(c.relname, 6), 5, 2)::int - 1 < keep_from) then
    v_lock_timeout := current_setting('lock_timeout');
    v_deadline := clock_timestamp() + coalesce(nullif(v_lock_timeout, '0')::interval, interval '60 seconds');
    perform set_config('lock_timeout',
      greatest(10, (extract(epoch from current_setting('deadlock_timeout')::interval) * 100)::int)::text || 'ms', true);
    loop
      begin
        lock table llm_private.requests, llm_private.request_inputs, llm_private.attempts, llm_private.usage, llm_private.alerts,
          llm_private.adjustments in access exclusive mode;
        exit;
      exception when lock_not_available then
        if clock_timestamp() >= v_deadline then
          raise exception using errcode = '55P03', message = 'llm_maint: the ledger tables stayed busy; nothing was dropped',
            detail = format('lock_timeout %s', v_lock_timeout), hint = 'Retention runs again at the next maintain-partitions.';
        end if;
        perform pg_sleep(0.01);
      end;
    end loop;
    perform set_config('lock_timeout', v_lock_timeout, true);
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

comment on function llm_maint.drop_expired_partitions() is
  'Owner only (SECURITY INVOKER; npm run maintain-partitions runs it as llm_owner): retention by whole months: detaches and drops ledger partitions older than settings.ledger_retention_months (no DELETE sweeps). It first takes the six ledger tables at once, queued but each wait bounded below deadlock_timeout, retrying until lock_timeout (then 55P03). Usage and alert rows still in use (a hold, a period not over: a quarter, a budget scope, a lifetime) move to the DEFAULT partition first; a month of requests, inputs and attempts with a request open or an attempt holding money is kept whole (a warning). Returns how many partitions it dropped.';
