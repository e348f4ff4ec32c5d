--! Previous: sha1:a92e175d12cd98613566f578dcbd83bc43a4a05e
--! Hash: sha1:876abca73fd144696cd58d0ea2b0613cf3167f98
--! Message: Retention forgets budget scopes under READ COMMITTED only; a cancel reason must say something (review of this session)

-- Two fixes from the review of this session's changes (helper 73):
-- - retention forgets budget scopes under READ COMMITTED only: with a snapshot older than its lock it could miss a reserve
--   committed just before and forget a scope whose usage holds money;
-- - a cancel's reason must say something: tabs, newlines, no-break and zero-width spaces alone passed as "not blank".

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

alter table llm_private.shutoff_windows drop constraint if exists shutoff_windows_cancel_reason_check;
alter table llm_private.shutoff_windows add constraint shutoff_windows_cancel_reason_check
  check ((cancelled_at is null) = (cancel_reason is null)
         and (cancel_reason is null or (length(cancel_reason) between 1 and 200 and cancel_reason ~ '[^[:space:][:cntrl:]\u00a0\u200b\u2060\ufeff]')));
comment on constraint shutoff_windows_cancel_reason_check on llm_private.shutoff_windows is
  'A cancelled window has a reason (1..200 characters, not only white space or invisible characters); a window not cancelled has none.';
