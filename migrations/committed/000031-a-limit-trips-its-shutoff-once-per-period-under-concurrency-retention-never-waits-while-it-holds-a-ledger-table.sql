--! Previous: sha1:70428d94cd193e0636e8ee730bae859b195109d2
--! Hash: sha1:3f10fa184623c4196b6179ba451d227675055e26
--! Message: A limit trips its shutoff once per period under concurrency; retention never waits while it holds a ledger table

-- A limit trips its shutoff once per period, also when several settles cross together (twelfth review): settles of several
-- escrow shards (or one with llm.evaluate_limits) each read no window on its own snapshot and opened one, up to 5 windows
-- for one tenant, and the guard failed the later ones' settles. A tripped window now records its period (trip_period,
-- derived by the guard), unique with its limit and subject: a concurrent second trip waits for the first and does nothing.
alter table llm_private.shutoff_windows add column trip_period timestamptz;
comment on column llm_private.shutoff_windows.trip_period is
  'A tripped window''s period: the start of its limit''s period when it tripped (-infinity for a lifetime meter), set by the guard; unique with its limit and subject. NULL for manual and scheduled windows.';

-- The windows tripped so far: the first of each limit, subject and period gets its period; a duplicate left by the race
-- keeps NULL (it stays as it is, active or cancelled; an operator cancels it like any window). The guard (created by the API
-- replay, so absent from a new database), which allows only a cancel, and FORCE (no policy names the owner) are off for this
-- update only: the ALTER holds the table until commit.
do $$
declare
  v_guard boolean := exists (select 1 from pg_trigger where tgrelid = 'llm_private.shutoff_windows'::regclass and tgname = '_100_guard');
begin
  if v_guard then
    alter table llm_private.shutoff_windows disable trigger _100_guard;
  end if;
  alter table llm_private.shutoff_windows no force row level security;
  -- (llm_private.period_start, inlined: the API, replayed after the migrations, is not there in a new database)
  update llm_private.shutoff_windows w set trip_period = p.period
    from (select y.id, y.period, row_number() over (partition by y.limit_id, y.scope, y.tenant_id, y.user_id, y.period order by y.id) as n
            from (select x.id, x.limit_id, x.scope, x.tenant_id, x.user_id,
                         case m."window"
                           when 'hour' then date_trunc('hour', x.starts_at, 'UTC')
                           when 'day' then date_trunc('day', x.starts_at, 'UTC')
                           when 'week' then date_trunc('week', x.starts_at, 'UTC')
                           when 'month' then date_trunc('month', x.starts_at, 'UTC')
                           when 'quarter' then date_trunc('quarter', x.starts_at, 'UTC')
                           when 'none' then '-infinity'::timestamptz
                         end as period
                    from llm_private.shutoff_windows x
                    join llm_private.limits l on l.id = x.limit_id
                    join llm_private.meters m on m.id = l.meter_id
                   where x.kind = 'tripped') y) p
   where w.id = p.id and p.n = 1 and p.period is not null;
  alter table llm_private.shutoff_windows force row level security;
  if v_guard then
    alter table llm_private.shutoff_windows enable trigger _100_guard;
  end if;
end
$$;

create unique index shutoff_windows_one_trip_per_period on llm_private.shutoff_windows
  (limit_id, scope, coalesce(tenant_id, '00000000-0000-0000-0000-000000000000'::uuid),
   coalesce(user_id, '00000000-0000-0000-0000-000000000000'::uuid), trip_period)
  where trip_period is not null;
comment on index llm_private.shutoff_windows_one_trip_per_period is
  'One tripped window per limit, subject and period: llm_private.trip_shutoff inserts with ON CONFLICT DO NOTHING, so concurrent trips open one.';

-- drop_expired_partitions never waits while it holds a ledger table (twelfth review): locked in one order, the six tables
-- still deadlocked with the expiry sweep (attempts, then requests) and with a credit (adjustments, then usage). It takes all
-- six NOWAIT, in one statement, again until its lock_timeout; a busy ledger gives 55P03 and the next run drops.
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
begin
  -- Every ledger table at once, before any partition, and never waiting while holding one: taken as it came to each
  -- partition (attempts_m before requests_m), an application query reading requests then attempts deadlocked the run
  -- (eleventh review); taken in one order, the expiry sweep (attempts, then requests) and a credit (adjustments, then
  -- usage) still did (twelfth review). So all six NOWAIT, in one statement, again every 50 ms until the session's
  -- lock_timeout (10 s by default from npm run maintain-partitions; 60 s when it is 0): a busy table gives 55P03, and
  -- the run comes again the next day. Only when there is something to drop: this stops every tenant until it commits.
  if exists (select 1 from pg_inherits i
               join pg_class c on c.oid = i.inhrelid
               join pg_class parent on parent.oid = i.inhparent
               join pg_namespace ns on ns.oid = parent.relnamespace
              where ns.nspname = 'llm_private' and parent.relname = any (llm_private.partitioned_tables())
                and c.relname ~ '_m[0-9]{6}$'
                and (substr(right(c.relname, 6), 1, 4)::int - 2000) * 12 + substr(right(c.relname, 6), 5, 2)::int - 1 < keep_from) then
    v_deadline := clock_timestamp() + coalesce(nullif(current_setting('lock_timeout'), '0')::interval, interval '60 seconds');
    loop
      begin
        lock table llm_private.requests, llm_private.request_inputs, llm_private.attempts, llm_private.usage, llm_private.alerts,
          llm_private.adjustments in access exclusive mode nowait;
        exit;
      exception when lock_not_available then
        if clock_timestamp() >= v_deadline then
          raise exception using errcode = '55P03', message = 'llm_maint: the ledger tables stayed busy; nothing was dropped',
            detail = format('lock_timeout %s', current_setting('lock_timeout')), hint = 'Retention runs again at the next maintain-partitions.';
        end if;
        perform pg_sleep(0.05);
      end;
    end loop;
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
  'Owner only (SECURITY INVOKER; npm run maintain-partitions runs it as llm_owner): retention by whole months: detaches and drops ledger partitions older than settings.ledger_retention_months (no DELETE sweeps). It first takes the six ledger tables at once without waiting while holding any (55P03 after lock_timeout). Usage and alert rows still in use (a hold, a period not over: a quarter, a budget scope, a lifetime) move to the DEFAULT partition first; a month of requests, inputs and attempts with a request open or an attempt holding money is kept whole (a warning). Returns how many partitions it dropped.';
