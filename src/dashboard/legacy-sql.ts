/**
 * TEMPORARY: the old (v1) schema's audit views mapped onto SPEC.md's columns, so the dashboard can
 * be developed and tested before the v2 SQL core lands. Delete this file (and `schemaOf` in
 * queries.ts) once every database has llm.limit_usage. null = the old schema has no such view.
 */
import type { SectionName } from './queries';

const MONTH = `date_trunc('month', now(), 'UTC')`;
const TENANT = `($1::uuid is null or tenant_id = $1::uuid)`;
const NIL = `'00000000-0000-0000-0000-000000000000'::uuid`;

export const LEGACY_SQL: Record<SectionName, string | null> = {
  spend: `select month_start, tenant_id, user_id, spent_micros, held_micros, cap_micros from llm.monthly_spend
    where month_start = ${MONTH} and ${TENANT} order by tenant_id, user_id nulls first limit 1000`,
  limits: null,
  hourly: `select h.hour_start, h.tenant_id, h.spent_micros,
      (select count(*) from llm.calls c where c.tenant_id = h.tenant_id and c.reserved_at >= h.hour_start
          and c.reserved_at < h.hour_start + interval '1 hour') as calls
     from llm.hourly_spend h
    where h.scope = 'tenant' and h.hour_start > date_trunc('hour', now()) - interval '48 hours' and ${TENANT.replace(/tenant_id/g, 'h.tenant_id')}
    order by h.hour_start, h.tenant_id limit 10000`,
  refusals: `select month_start, tenant_id, reason, refusals from llm.refusals_by_reason
    where month_start = ${MONTH} and ${TENANT} order by refusals desc, reason, tenant_id limit 500`,
  holds: `select tenant_id, user_id, request_id, endpoint, attempt as attempt_no, model_ref, held_micros, reserved_at, expires_at,
      past_expiry as overdue from llm.open_holds where ${TENANT} order by expires_at, request_id limit 200`,
  shutoffs: `select * from (select id, scope, tenant_id, user_id, kind, starts_at, ends_at, reason, tripped_by as created_by,
      cleared_at as cancelled_at, active, (cleared_at is null and starts_at > llm_private.now()) as upcoming from llm.shutoff_windows) w
    where (active or upcoming) and (tenant_id is null or ${TENANT}) order by starts_at, id limit 200`,
  breakers: `select provider, model, model_ref, case when state like 'open%' then 'open' else state end as state,
      consecutive_failures, open_until, opened_count, last_failure_at, last_success_at from llm.breaker_state order by model_ref limit 500`,
  alerts: null,
  drift: `select scope as kind, nullif(tenant_id, ${NIL}) as tenant_id, coalesce(period, 'request') as meter_name,
      nullif(user_id, ${NIL}) as user_id, null::text as budget_scope, period_start,
      (rollup_spent_micros + rollup_held_micros)::text as usage_value, (ledger_spent_micros + ledger_held_micros)::text as ledger_value
     from llm.reconciliation_drift order by 1, 2, 3 limit 200`,
  scopes: null,
};

export const LEGACY_METRICS_SQL = `
select (select count(*) from llm.open_holds) as open_holds,
       (select count(*) from llm.open_holds where past_expiry) as holds_overdue,
       (select count(*) from llm.reconciliation_drift) as drift_rows,
       '[]'::json as alerts,
       (select coalesce(json_agg(json_build_object('scope', scope, 'ratio', r)), '[]')
          from (select scope, max((spent_micros + held_micros)::numeric / cap_micros) as r from llm.monthly_spend
                 where month_start = ${MONTH} and cap_micros > 0 group by 1) u) as used_ratio_max,
       (select coalesce(json_agg(json_build_object('model_ref', model_ref, 'state', state)), '[]') from llm.breaker_state) as breakers`;
