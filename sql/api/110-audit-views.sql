/*
 * Audit views for DBAs (llm_auditor; the operator too). All are security_invoker: what a role
 * sees through them is what its row-level security policies let it see.
 */
create view llm.monthly_spend with (security_invoker = true) as
select ro.scope, ro.tenant_id, nullif(ro.user_id, llm_private.nil_uuid()) as user_id, ro.period_start as month_start,
       case when ro.scope = 'tenant' then t.monthly_cap_micros else coalesce(u.monthly_cap_micros, t.user_monthly_cap_micros) end as cap_micros,
       ro.spent_micros, ro.held_micros,
       case when ro.scope = 'tenant' then t.monthly_cap_micros else coalesce(u.monthly_cap_micros, t.user_monthly_cap_micros) end
         - ro.spent_micros - ro.held_micros as remaining_micros,
       (select coalesce(sum(r.overrun_micros), 0) from llm_private.reservations r
         where r.tenant_id = ro.tenant_id and r.month_start = ro.period_start
           and (ro.scope = 'tenant' or r.user_id = ro.user_id))::bigint as overrun_micros
  from llm_private.spend_rollups ro
  join llm_private.tenants t on t.id = ro.tenant_id
  left join llm_private.users u on u.tenant_id = ro.tenant_id and u.id = ro.user_id
 where ro.period = 'month';
comment on view llm.monthly_spend is
  'Spend and holds per tenant and per user for each month against their caps (micro-USD). remaining_micros below zero can only come from overruns, shown in overrun_micros.';

create view llm.hourly_spend with (security_invoker = true) as
select ro.scope, nullif(ro.tenant_id, llm_private.nil_uuid()) as tenant_id, nullif(ro.user_id, llm_private.nil_uuid()) as user_id,
       ro.period_start as hour_start, ro.spent_micros, ro.held_micros
  from llm_private.spend_rollups ro
 where ro.period = 'hour';
comment on view llm.hourly_spend is 'Spend and holds per clock hour per user, tenant and (when a global threshold is set) everyone.';

create view llm.open_holds with (security_invoker = true) as
select r.id as reservation_id, r.tenant_id, r.user_id, r.request_id, r.endpoint::text as endpoint, r.attempt,
       r.provider || ':' || r.model as model_ref, r.held_micros, r.reserved_at, r.expires_at,
       r.expires_at <= llm_private.now() as past_expiry
  from llm_private.reservations r
 where r.state = 'held';
comment on view llm.open_holds is 'Holds not yet settled, released or expired; past_expiry = true means the next sweep releases it.';

create view llm.decision_log with (security_invoker = true) as
select d.id, d.decided_at, d.tenant_id, d.user_id, d.request_id, d.endpoint::text as endpoint, d.caller_attempt, d.decision, d.reason,
       d.requested_provider || ':' || d.requested_model as requested_model_ref,
       d.provider || ':' || d.model as model_ref, d.input_tokens_estimate, d.requested_max_output_tokens,
       d.granted_max_output_tokens, d.worst_case_micros, d.limit_name, d.limit_micros, d.used_micros, d.reservation_id
  from llm_private.decisions d;
comment on view llm.decision_log is 'Every reserve decision, allowed or refused, with the limit and figures it compared.';

create view llm.refusals_by_reason with (security_invoker = true) as
select d.tenant_id, date_trunc('month', d.decided_at, 'UTC') as month_start, d.reason, count(*)::bigint as refusals,
       max(d.decided_at) as last_refused_at
  from llm_private.decisions d
 where d.decision = 'block'
 group by 1, 2, 3;
comment on view llm.refusals_by_reason is 'Refused reservations per tenant, month and machine-readable reason.';

create view llm.calls with (security_invoker = true) as
select r.id as reservation_id, r.tenant_id, r.user_id, r.request_id, r.endpoint::text as endpoint, r.attempt, r.decision,
       r.provider || ':' || r.model as model_ref, r.state, r.held_micros, r.cost_micros, r.overrun_micros, r.late,
       r.input_tokens, r.cached_input_tokens, r.output_tokens, r.latency_ms, r.provider_status, r.usage_estimated,
       r.reserved_at, r.settled_at, r.end_reason
  from llm_private.reservations r;
comment on view llm.calls is 'One row per attempt: what was held, what it cost, how it ended.';

create view llm.shutoff_windows with (security_invoker = true) as
select w.id, w.scope, w.tenant_id, w.user_id, w.kind, w.starts_at, w.ends_at, w.reason, w.tripped_by, w.threshold_micros,
       w.observed_micros, w.cleared_at, w.cleared_by,
       (w.cleared_at is null and w.starts_at <= llm_private.now() and (w.ends_at is null or w.ends_at > llm_private.now())) as active
  from llm_private.shutoff_windows w;
comment on view llm.shutoff_windows is 'Every shutoff window, hourly or manual, with whether it is active now.';

create view llm.reconciliation_drift with (security_invoker = true) as
with contributions as (
  select k.tenant_id, k.user_id, k.scope, k.period, k.period_start,
         case when r.state = 'held' then r.held_micros else 0 end as held,
         case when r.state = 'settled' then r.cost_micros else 0 end as spent
    from llm_private.reservations r
   cross join lateral (values
     (r.tenant_id, r.user_id, 'user', 'month', r.month_start),
     (r.tenant_id, r.user_id, 'user', 'hour', r.hour_start),
     (r.tenant_id, llm_private.nil_uuid(), 'tenant', 'month', r.month_start),
     (r.tenant_id, llm_private.nil_uuid(), 'tenant', 'hour', r.hour_start),
     (llm_private.nil_uuid(), llm_private.nil_uuid(), 'global', 'hour', r.hour_start)) k(tenant_id, user_id, scope, period, period_start)
   where k.scope <> 'global' or r.holds_global
), expected as (
  select tenant_id, user_id, scope, period, period_start, sum(held)::bigint as held, sum(spent)::bigint as spent
    from contributions group by 1, 2, 3, 4, 5
), rollup_drift as (
  select coalesce(e.scope, ro.scope) as scope, coalesce(e.tenant_id, ro.tenant_id) as tenant_id,
         coalesce(e.user_id, ro.user_id) as user_id, coalesce(e.period, ro.period) as period,
         coalesce(e.period_start, ro.period_start) as period_start, null::text as request_id,
         coalesce(e.held, 0) as ledger_held_micros, coalesce(ro.held_micros, 0) as rollup_held_micros,
         coalesce(e.spent, 0) as ledger_spent_micros, coalesce(ro.spent_micros, 0) as rollup_spent_micros
    from expected e
    full join llm_private.spend_rollups ro using (tenant_id, user_id, scope, period, period_start)
   where coalesce(e.held, 0) <> coalesce(ro.held_micros, 0) or coalesce(e.spent, 0) <> coalesce(ro.spent_micros, 0)
), request_drift as (
  select 'request'::text, q.tenant_id, q.user_id, null::text, null::timestamptz, q.request_id,
         0::bigint, 0::bigint, coalesce(sum(r.cost_micros) filter (where r.state = 'settled'), 0)::bigint, q.spent_micros
    from llm_private.requests q
    left join llm_private.reservations r on r.request_pk = q.id
   group by q.id, q.tenant_id, q.user_id, q.request_id, q.spent_micros
  having coalesce(sum(r.cost_micros) filter (where r.state = 'settled'), 0) <> q.spent_micros
      or count(*) filter (where r.state = 'held') > 1
)
select * from rollup_drift
union all
select * from request_drift;
comment on view llm.reconciliation_drift is
  'Any difference between the ledger (reservations) and the rollups or request totals, or a request with two live holds. Must be empty.';

grant select on llm.monthly_spend, llm.hourly_spend, llm.open_holds, llm.decision_log, llm.refusals_by_reason, llm.calls,
  llm.shutoff_windows, llm.reconciliation_drift to llm_auditor, llm_operator;
