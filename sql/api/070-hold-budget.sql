/*
 * Holding a worst case against the monthly caps and hourly thresholds.
 * Concurrency: every rollup row this hold touches is locked first (llm_private.lock_rollups, in
 * key order), so the check "spent + held + amount <= cap" and the increment of held are one
 * atomic step per row: concurrent reservations of a user, a tenant or everyone are serialised on
 * those rows and together can never pass a cap by a single micro-dollar.
 * Order of the limits: user month, tenant month, user hour, tenant hour, global hour.
 */
create or replace function llm_private.hold_budget(p_tenant_id uuid, p_user_id uuid, p_month timestamptz, p_hour timestamptz,
  p_amount_micros bigint, p_request_id text,
  out ok boolean, out reason text, out limit_name text, out limit_micros bigint, out used_micros bigint, out holds_global boolean)
  language plpgsql
  set search_path = pg_catalog
as $$
#variable_conflict use_column
declare
  t llm_private.tenants;
  u llm_private.users;
  global_threshold bigint;
  r llm_private.spend_rollups;
  lim record;
begin
  select * into t from llm_private.tenants where id = p_tenant_id;
  select * into u from llm_private.users where tenant_id = p_tenant_id and id = p_user_id;
  select s.global_hourly_shutoff_micros into global_threshold from llm_private.settings s;
  holds_global := global_threshold is not null;
  ok := true; reason := 'ok';
  perform llm_private.lock_rollups(p_tenant_id, p_user_id, p_month, p_hour, holds_global);
  for lim in
    select x.*, (rr.spent_micros + rr.held_micros) as used
      from llm_private.spend_rollups rr
      join (values
        (1, 'user', 'month', 'user_monthly_cap', coalesce(u.monthly_cap_micros, t.user_monthly_cap_micros)),
        (2, 'tenant', 'month', 'tenant_monthly_cap', t.monthly_cap_micros),
        (3, 'user', 'hour', 'user_hourly_shutoff', coalesce(u.hourly_shutoff_micros, t.user_hourly_shutoff_micros)),
        (4, 'tenant', 'hour', 'tenant_hourly_shutoff', t.hourly_shutoff_micros),
        (5, 'global', 'hour', 'global_hourly_shutoff', global_threshold)
      ) x(ord, scope, period, name, cap) on (x.scope, x.period) = (rr.scope, rr.period)
     where (rr.tenant_id, rr.user_id, rr.scope, rr.period, rr.period_start) in (
             (llm_private.nil_uuid(), llm_private.nil_uuid(), 'global', 'hour', p_hour),
             (p_tenant_id, llm_private.nil_uuid(), 'tenant', 'hour', p_hour),
             (p_tenant_id, llm_private.nil_uuid(), 'tenant', 'month', p_month),
             (p_tenant_id, p_user_id, 'user', 'hour', p_hour),
             (p_tenant_id, p_user_id, 'user', 'month', p_month))
       and x.cap is not null
     order by x.ord
  loop
    continue when lim.used + p_amount_micros <= lim.cap;
    ok := false; limit_name := lim.name; limit_micros := lim.cap; used_micros := lim.used;
    if lim.period = 'month' then
      reason := lim.name;
    else
      reason := 'hourly_shutoff';
      insert into llm_private.shutoff_windows (scope, tenant_id, user_id, kind, starts_at, ends_at, reason, tripped_by,
        threshold_micros, observed_micros)
      values (lim.scope, case when lim.scope <> 'global' then p_tenant_id end, case when lim.scope = 'user' then p_user_id end,
        'hourly_threshold', llm_private.now(), p_hour + interval '1 hour',
        format('hourly spend would reach %s of %s micro-USD', lim.used + p_amount_micros, lim.cap),
        left('request:' || p_request_id, 300), lim.cap, lim.used + p_amount_micros);
    end if;
    return;
  end loop;
  perform llm_private.add_to_rollups(p_tenant_id, p_user_id, p_month, p_hour, holds_global, p_amount_micros, 0);
end
$$;
comment on function llm_private.hold_budget(uuid, uuid, timestamptz, timestamptz, bigint, text) is
  'Holds an amount on the month and hour rollups of a user, its tenant and (if a global threshold is set) everyone, or says which limit refused it; an hourly refusal trips a shutoff window until the hour ends.';

grant execute on function llm_private.hold_budget(uuid, uuid, timestamptz, timestamptz, bigint, text) to llm_app;
