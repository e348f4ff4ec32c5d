--! Previous: sha1:7a3d14a7307040b75dcff8eba61757e67e0767bc
--! Hash: sha1:fbc18f09c28b2fca47fbd51eb9720e34f4475319
--! Message: Retention forgets a budget scope not reserved in any month it keeps, with its usage and alerts (llm_private.budget_scopes.last_reserve_month, llm_maint.forget_unused_budget_scopes)

-- Budget scopes are forgotten once no month the retention keeps reserved a call of theirs (review at scale, helper 68:
-- every scope ever named kept its row in llm_private.budget_scopes and, its period never ending, its usage and alert rows
-- in the DEFAULT partitions, moved there month after month: a table that grew with every investigation ever run).
--
-- The reserve notes the UTC month of a scope's latest reserve (one UPDATE of the scope's row per scope and month, by the
-- reserve trigger only); retention forgets a scope whose latest reserve is older than every month it keeps and that holds
-- nothing, inside the lock it already holds on the ledger tables (no reserve can name the scope meanwhile), before it drops
-- the months: the scope's usage and alert rows of those months go with them instead of moving to DEFAULT, and those earlier
-- runs moved there are deleted. A request that names a forgotten scope again starts a new one, its clock and caps from
-- zero, as a new name would.

alter table llm_private.budget_scopes add column if not exists last_reserve_month timestamptz;
-- Scopes from before this migration count as reserved this month: none is forgotten before a whole retention has passed.
-- The migration runs as the owner, which FORCE hides every row from (no policy names it), and the guard (replayed with the
-- API: absent from a new database) refuses an UPDATE that is not the reserve's: both off for this update only (the ALTER
-- holds the table until commit). Without it an upgrade with scopes failed on the NOT NULL below.
do $$
declare
  v_guard boolean := exists (select 1 from pg_trigger where tgrelid = 'llm_private.budget_scopes'::regclass and tgname = '_100_guard');
begin
  if v_guard then
    alter table llm_private.budget_scopes disable trigger _100_guard;
  end if;
  alter table llm_private.budget_scopes no force row level security;
  update llm_private.budget_scopes set last_reserve_month = llm_private.month_start(llm_private.month_index(llm_private.now()))
   where last_reserve_month is null;
  alter table llm_private.budget_scopes force row level security;
  if v_guard then
    alter table llm_private.budget_scopes enable trigger _100_guard;
  end if;
end
$$;
alter table llm_private.budget_scopes alter column last_reserve_month set not null;
comment on column llm_private.budget_scopes.last_reserve_month is
  'The UTC month of the scope''s latest reserve (set by the reserve trigger only, forward only): retention forgets a scope not reserved in any month it keeps (llm_maint.forget_unused_budget_scopes).';
create index if not exists budget_scopes_last_reserve_idx on llm_private.budget_scopes (last_reserve_month);
comment on index llm_private.budget_scopes_last_reserve_idx is
  'The scopes retention may forget, without reading every scope while it holds the ledger tables.';
grant update (last_reserve_month) on llm_private.budget_scopes to llm_money;

create or replace function llm_maint.forget_unused_budget_scopes(p_keep_from timestamptz) returns integer
  language plpgsql
  set search_path = pg_catalog, pg_temp
as $$
declare
  v_tenants uuid[];
  v_keys text[];
begin
  -- Under READ COMMITTED only: with an older snapshot (REPEATABLE READ, SERIALIZABLE: taken before its caller's lock) it
  -- could miss a reserve committed just before the lock and forget a scope whose usage holds money (review of c99c829).
  if current_setting('transaction_isolation') <> 'read committed' then
    raise exception using errcode = '55000', message = 'llm_maint: retention runs under READ COMMITTED',
      detail = format('transaction_isolation is %s', current_setting('transaction_isolation')),
      hint = 'npm run maintain-partitions runs it so; in psql, start the transaction without an isolation level.';
  end if;
  -- Its caller holds the ledger tables and budget_scopes exclusively: no reserve or settle can reach a scope meanwhile.
  if not exists (select 1 from pg_locks l
                  where l.pid = pg_backend_pid() and l.locktype = 'relation' and l.mode = 'AccessExclusiveLock' and l.granted
                    and l.relation = 'llm_private.budget_scopes'::regclass) then
    raise exception using errcode = '55000', message = 'llm_maint.forget_unused_budget_scopes runs inside llm_maint.drop_expired_partitions',
      hint = 'npm run maintain-partitions runs it when a month leaves the retention.';
  end if;
  -- The owner reads these tables only with FORCE off (no policy names it); ALTER TABLE holds each until the transaction
  -- ends, and FORCE is back before it does.
  alter table llm_private.budget_scopes no force row level security;
  alter table llm_private.usage no force row level security;
  alter table llm_private.usage_default no force row level security;
  alter table llm_private.alerts_default no force row level security;
  -- A scope whose usage still holds money is kept (an attempt of it is held; the expiry sweep ends it).
  select coalesce(array_agg(b.tenant_id), '{}'), coalesce(array_agg(b.scope_key), '{}') into v_tenants, v_keys
    from llm_private.budget_scopes b
   where b.last_reserve_month < p_keep_from
     and not exists (select 1 from llm_private.meters m
                       join llm_private.usage u on u.meter_id = m.id
                      where m.scope = 'budget_scope' and u.tenant_id = b.tenant_id and u.user_id = llm_private.nil_uuid()
                        and u.budget_scope = b.scope_key and u.period_start < p_keep_from and u.held > 0);
  delete from llm_private.budget_scopes b using unnest(v_tenants, v_keys) f(tenant_id, scope_key)
   where b.tenant_id = f.tenant_id and b.scope_key = f.scope_key;
  -- Their usage and alerts can only be in months before p_keep_from (a scope's period starts at its first reserve, any
  -- other at or before its reserve): those moved to DEFAULT by earlier runs go here; the rows in the months this run drops
  -- are not moved (drop_expired_partitions moves a budget scope's rows only while the scope exists) and go with them.
  alter table llm_private.usage_default disable trigger _100_no_delete;
  delete from llm_private.usage_default u using unnest(v_tenants, v_keys) f(tenant_id, scope_key), llm_private.meters m
   where m.scope = 'budget_scope' and u.meter_id = m.id and u.tenant_id = f.tenant_id and u.user_id = llm_private.nil_uuid()
     and u.budget_scope = f.scope_key and u.period_start < p_keep_from;
  alter table llm_private.usage_default enable trigger _100_no_delete;
  delete from llm_private.alerts_default a using unnest(v_tenants, v_keys) f(tenant_id, scope_key), llm_private.meters m
   where m.scope = 'budget_scope' and a.meter_id = m.id and a.tenant_id = f.tenant_id and a.user_id = llm_private.nil_uuid()
     and a.budget_scope = f.scope_key and a.period_start < p_keep_from;
  alter table llm_private.budget_scopes force row level security;
  alter table llm_private.usage force row level security;
  alter table llm_private.usage_default force row level security;
  alter table llm_private.alerts_default force row level security;
  return cardinality(v_keys);
end
$$;
comment on function llm_maint.forget_unused_budget_scopes(timestamptz) is
  'Owner only, inside llm_maint.drop_expired_partitions (which holds the ledger tables and budget scopes): forgets every budget scope not reserved since before p_keep_from (the first month the retention keeps) and holding nothing: its row, and its usage and alerts in the DEFAULT partitions (those in the months being dropped are not moved there). A request that names it again starts a new scope. Returns how many.';
revoke all on function llm_maint.forget_unused_budget_scopes(timestamptz) from public;

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
  v_forgotten integer;
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
          llm_private.adjustments, llm_private.budget_scopes in access exclusive mode;
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
    -- Budget scopes not reserved in any month the retention keeps are forgotten first, so that their usage and alert rows
    -- in the months dropped below are not moved to DEFAULT (llm_maint.forget_unused_budget_scopes).
    v_forgotten := llm_maint.forget_unused_budget_scopes(llm_private.month_start(keep_from));
    if v_forgotten > 0 then
      raise notice 'llm_maint: % budget scopes not reserved since before % forgotten', v_forgotten, llm_private.month_start(keep_from);
    end if;
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
        alter table llm_private.budget_scopes no force row level security;
        execute format('insert into llm_private.usage select u.* from llm_private.%I u join llm_private.meters m on m.id = u.meter_id
                         where (u.held > 0 or llm_private.period_end(m."window", u.period_start) > $1)
                           and (m.scope <> ''budget_scope'' or exists (select 1 from llm_private.budget_scopes b
                                                                        where b.tenant_id = u.tenant_id and b.scope_key = u.budget_scope))',
                       p.relname) using v_now;
        get diagnostics v_moved = row_count;
        alter table llm_private.usage enable trigger _100_guard, force row level security;
        alter table llm_private.budget_scopes force row level security;
      else
        alter table llm_private.alerts disable trigger _100_guard, no force row level security;
        alter table llm_private.budget_scopes no force row level security;
        execute format('insert into llm_private.alerts select a.* from llm_private.%I a join llm_private.meters m on m.id = a.meter_id
                         where llm_private.period_end(m."window", a.period_start) > $1
                           and (m.scope <> ''budget_scope'' or exists (select 1 from llm_private.budget_scopes b
                                                                        where b.tenant_id = a.tenant_id and b.scope_key = a.budget_scope))',
                       p.relname) using v_now;
        get diagnostics v_moved = row_count;
        alter table llm_private.alerts enable trigger _100_guard, force row level security;
        alter table llm_private.budget_scopes force row level security;
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
  'Owner only (SECURITY INVOKER; npm run maintain-partitions runs it as llm_owner): retention by whole months: detaches and drops ledger partitions older than settings.ledger_retention_months (no DELETE sweeps). It first takes the six ledger tables and the budget scopes at once, queued but each wait bounded below deadlock_timeout, retrying until lock_timeout (then 55P03). Usage and alert rows still in use (a hold, a period not over: a quarter, a budget scope, a lifetime) move to the DEFAULT partition first; a month of requests, inputs and attempts with a request open or an attempt holding money is kept whole (a warning). Budget scopes not reserved in any month kept are forgotten first (llm_maint.forget_unused_budget_scopes), and their rows of the months dropped are not moved. Returns how many partitions it dropped.';
