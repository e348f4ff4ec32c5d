--! Previous: sha1:77195e2071c42feee4adb4173f7a19c9b633c7cd
--! Hash: sha1:13b2ccaa3a05eda955287f10da237581690fd13a
--! Message: Retention keeps what is still in use (budget scopes, quarters, open holds, the idempotency window), partition bounds in UTC, and a late settle after a credit may leave spent below 0

-- Retention keeps what is still in use, and partition bounds do not depend on the session (tenth review).
--
-- 1. drop_expired_partitions dropped usage rows of periods still running: a budget scope's usage lives in the partition of
--    its first call's month and its period never ends; a quarter's begins up to two months back. The scope's or the
--    quarter's cap started again from 0, a settle of a hold on such a row failed (P0004), and so did the whole expiry
--    sweep, for every tenant. Now, before a month of usage or alerts is dropped, the rows still in use (a hold, a period
--    not over) move to the DEFAULT partition (their month's range is detached, so that is where they route), and a month
--    of requests, inputs and attempts with a request still open or an attempt still holding money is kept, whole, until
--    the sweeps end them (a warning says so).
-- 2. The claims of the idempotency window were dropped when ledger_retention_months < idempotency_months: a retried
--    request was claimed again and charged twice. The settings now refuse that.
-- 3. create_month_partition wrote its bounds with the session's DateStyle and TimeZone: under 'SQL, DMY' in Asia/Kolkata the
--    bound '01/06/2031 09:00:00 IST' was read back as Israel time. It now runs in UTC with ISO dates.

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
  'Owner only (SECURITY INVOKER; npm run maintain-partitions runs it as llm_owner): retention by whole months: detaches and drops ledger partitions older than settings.ledger_retention_months (no DELETE sweeps). Usage and alert rows still in use (a hold, a period not over: a quarter, a budget scope, a lifetime) move to the DEFAULT partition first; a month of requests, inputs and attempts with a request open or an attempt holding money is kept whole (a warning). Returns how many partitions it dropped.';

alter table llm_private.settings add constraint settings_retention_keeps_claims check (ledger_retention_months >= idempotency_months);
comment on constraint settings_retention_keeps_claims on llm_private.settings is
  'Retention never drops a month of the idempotency window: a retried request would be claimed again and charged twice.';

alter function llm_private.create_month_partition(text, integer) set timezone = 'UTC';
alter function llm_private.create_month_partition(text, integer) set datestyle = 'ISO, YMD';

-- 4. A late settle after an operator's credit failed: the credit had returned the full charge of the expired hold, and the
--    settle's replacement of that charge by the call's real cost took spent below 0, which a CHECK refused (23514). The
--    worker took that as permanent: the request failed, its answer was lost, and its cost never reached usage. spent may
--    now go below 0 that way (the subject holds a credit, as the ledger says); a credit itself still never takes it below
--    0 (llm_private.tg_adjustments__apply refuses, 23514).
alter table llm_private.usage drop constraint usage_spent_check;
comment on column llm_private.usage.spent is
  'Charges of settled and expired attempts plus adjustments, in the meter''s unit. Below 0 only when a late settle replaced an expired hold''s full charge that a credit had already returned (a credit itself never takes it below 0).';
