/*
 * Spend rollups: held and spent per user, tenant and (optionally) everyone, per month and hour.
 * Lock order, the one rule that keeps reserve, settle, release and the sweep free of deadlocks:
 * rollup rows are always locked together, in primary-key order (global first, since its ids are
 * the nil uuid; then tenant rows; then user rows), after any request or reservation row lock.
 */
create or replace function llm_private.nil_uuid() returns uuid
  language sql immutable parallel safe
  set search_path = pg_catalog
as $$ select '00000000-0000-0000-0000-000000000000'::uuid $$;
comment on function llm_private.nil_uuid() is 'The nil uuid, standing for "all users" / "all tenants" in rollup keys.';

create or replace function llm_private.rollup_keys(p_tenant_id uuid, p_user_id uuid, p_month timestamptz, p_hour timestamptz,
  p_global boolean) returns table (tenant_id uuid, user_id uuid, scope text, period text, period_start timestamptz)
  language sql immutable
  set search_path = pg_catalog
as $$
  select * from (values
    (llm_private.nil_uuid(), llm_private.nil_uuid(), 'global', 'hour', p_hour),
    (p_tenant_id, llm_private.nil_uuid(), 'tenant', 'hour', p_hour),
    (p_tenant_id, llm_private.nil_uuid(), 'tenant', 'month', p_month),
    (p_tenant_id, p_user_id, 'user', 'hour', p_hour),
    (p_tenant_id, p_user_id, 'user', 'month', p_month)) k(tenant_id, user_id, scope, period, period_start)
  where p_global or k.scope <> 'global'
$$;
comment on function llm_private.rollup_keys(uuid, uuid, timestamptz, timestamptz, boolean) is
  'The keys of the rollup rows one reservation counts on, in primary-key order (used to create them; the hot lookups spell the same keys out for their plans).';

create or replace function llm_private.lock_rollups(p_tenant_id uuid, p_user_id uuid, p_month timestamptz, p_hour timestamptz,
  p_global boolean) returns void
  language plpgsql
  set search_path = pg_catalog
as $$
declare
  expected integer := case when p_global then 5 else 4 end;
  locked integer;
begin
  for pass in 1..2 loop
    -- Lock the rows that exist, in key order.
    perform 1 from llm_private.spend_rollups r
     where (r.tenant_id, r.user_id, r.scope, r.period, r.period_start) in (
           (llm_private.nil_uuid(), llm_private.nil_uuid(), 'global', 'hour', p_hour),
           (p_tenant_id, llm_private.nil_uuid(), 'tenant', 'hour', p_hour),
           (p_tenant_id, llm_private.nil_uuid(), 'tenant', 'month', p_month),
           (p_tenant_id, p_user_id, 'user', 'hour', p_hour),
           (p_tenant_id, p_user_id, 'user', 'month', p_month))
       and (p_global or r.scope <> 'global')
     order by r.tenant_id, r.user_id, r.scope, r.period, r.period_start
     for update;
    get diagnostics locked = row_count;
    exit when locked >= expected or pass = 2;
    -- First use of a period: create the missing rows, then lock them all (second pass).
    insert into llm_private.spend_rollups (tenant_id, user_id, scope, period, period_start)
    select * from llm_private.rollup_keys(p_tenant_id, p_user_id, p_month, p_hour, p_global)
    on conflict do nothing;
  end loop;
end
$$;
comment on function llm_private.lock_rollups(uuid, uuid, timestamptz, timestamptz, boolean) is
  'Creates if needed and locks, in primary-key order, the rollup rows one reservation touches.';

create or replace function llm_private.add_to_rollups(p_tenant_id uuid, p_user_id uuid, p_month timestamptz, p_hour timestamptz,
  p_global boolean, p_held_delta bigint, p_spent_delta bigint) returns void
  language plpgsql
  set search_path = pg_catalog
as $$
begin
  -- Callers have locked these rows with lock_rollups (apply_rollups does it for them).
  -- The keys are spelled out (not taken from rollup_keys) so that the plan is five index lookups.
  update llm_private.spend_rollups r
     set held_micros = r.held_micros + p_held_delta,
         spent_micros = r.spent_micros + p_spent_delta
   where (r.tenant_id, r.user_id, r.scope, r.period, r.period_start) in (
           (llm_private.nil_uuid(), llm_private.nil_uuid(), 'global', 'hour', p_hour),
           (p_tenant_id, llm_private.nil_uuid(), 'tenant', 'hour', p_hour),
           (p_tenant_id, llm_private.nil_uuid(), 'tenant', 'month', p_month),
           (p_tenant_id, p_user_id, 'user', 'hour', p_hour),
           (p_tenant_id, p_user_id, 'user', 'month', p_month))
     and (p_global or r.scope <> 'global');
end
$$;
comment on function llm_private.add_to_rollups(uuid, uuid, timestamptz, timestamptz, boolean, bigint, bigint) is
  'Adds deltas to held and spent of one reservation''s rollup rows, which the caller has already locked.';

create or replace function llm_private.apply_rollups(p_tenant_id uuid, p_user_id uuid, p_month timestamptz, p_hour timestamptz,
  p_global boolean, p_held_delta bigint, p_spent_delta bigint) returns void
  language plpgsql
  set search_path = pg_catalog
as $$
begin
  perform llm_private.lock_rollups(p_tenant_id, p_user_id, p_month, p_hour, p_global);
  perform llm_private.add_to_rollups(p_tenant_id, p_user_id, p_month, p_hour, p_global, p_held_delta, p_spent_delta);
end
$$;
comment on function llm_private.apply_rollups(uuid, uuid, timestamptz, timestamptz, boolean, bigint, bigint) is
  'Adds deltas to the held and spent figures of one reservation''s rollup rows, locking them in key order first.';

grant execute on function llm_private.nil_uuid(), llm_private.rollup_keys(uuid, uuid, timestamptz, timestamptz, boolean),
  llm_private.lock_rollups(uuid, uuid, timestamptz, timestamptz, boolean),
  llm_private.add_to_rollups(uuid, uuid, timestamptz, timestamptz, boolean, bigint, bigint),
  llm_private.apply_rollups(uuid, uuid, timestamptz, timestamptz, boolean, bigint, bigint) to llm_app, llm_operator;
grant execute on function llm_private.nil_uuid() to llm_auditor;
