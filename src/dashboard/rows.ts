/**
 * Row shapes of the audit views the dashboard and the metrics read, named as in SPEC.md.
 * Money (`*_micros`) is bigint through src/int8.ts; other quantities (tokens, calls, percentages)
 * keep their decimal text or become numbers where only a ratio is needed. Nothing here can hold a
 * prompt or an output: no view that exposes them is read.
 */
import { z } from 'zod';
import { int8, micros } from '../int8';

const uuid = z.guid();
const at = z.date();
/** A timestamp that may be 'infinity' (node-postgres gives ±Infinity): open-ended reads as null. */
const until = z.union([z.date(), z.literal(Infinity), z.literal(-Infinity)]).nullable().transform((v) => (v instanceof Date ? v : null));
/** A quantity that is not money (tokens, calls, a limit's unit): exact decimal text. */
const quantity = z.union([z.string().regex(/^-?\d+(\.\d+)?$/), z.number(), z.bigint()]).transform(String);
/**
 * An id or a count that is not money, as the view types it: int4 stays a number, int8 becomes a
 * bigint (a decimal string in JSON), so that the JSON equals what node-postgres gives for the view.
 */
const integer = z.union([z.number().int(), int8]);
/** A percentage or ratio: only ever displayed or compared, never summed into money. */
const ratio = z.union([z.string(), z.number()]).transform(Number).pipe(z.number().finite());
/**
 * A share of a cap used (llm.limit_usage.used_pct, llm.limit_use_maxima): a ratio, or +Infinity at a cap of 0 with anything
 * held or spent (over the cap; node-postgres gives numeric 'Infinity', the JSON "Infinity").
 */
const usedRatio = z.union([z.string(), z.number()]).transform(Number).pipe(z.union([z.number().finite(), z.literal(Infinity)]));

export const limitUsageRow = z.object({
  limit_id: integer.nullable(), meter_name: z.string(), scope: z.string(), window: z.string(), unit: z.string(),
  tenant_id: uuid.nullable(), user_id: uuid.nullable(), budget_scope: z.string().nullable(), period_start: at, period_end: until,
  cap: quantity.nullable(), kind: z.string().nullable(), held: quantity, spent: quantity, used_pct: usedRatio.nullable(),
});
export const monthlySpendRow = z.object({
  month_start: at, tenant_id: uuid, user_id: uuid.nullable(),
  spent_micros: micros, held_micros: micros, cap_micros: micros.nullable(),
});
export const hourlySpendRow = z.object({ hour_start: at, tenant_id: uuid, spent_micros: micros, calls: int8 });
export const refusalRow = z.object({ month_start: at, tenant_id: uuid, reason: z.string(), refusals: int8 });
export const openHoldRow = z.object({
  tenant_id: uuid, user_id: uuid, request_id: z.string(), endpoint: z.string(), attempt_no: z.number().int(),
  model_ref: z.string(), held_micros: micros, reserved_at: at, expires_at: at, overdue: z.boolean(),
});
export const shutoffRow = z.object({
  id: int8, scope: z.string(), tenant_id: uuid.nullable(), user_id: uuid.nullable(), kind: z.string(),
  starts_at: at, ends_at: until, reason: z.string().nullable(), created_by: z.string().nullable(),
  cancelled_at: until, active: z.boolean(), upcoming: z.boolean(),
});
export const breakerRow = z.object({
  provider: z.string(), model: z.string(), model_ref: z.string(), state: z.string(),
  consecutive_failures: z.number().int(), open_until: until, opened_count: integer,
  last_failure_at: at.nullable(), last_success_at: at.nullable(),
});
export const transitionRow = z.object({
  id: int8, model_ref: z.string(), from_state: z.string(), to_state: z.string(), cause: z.string(), changed_at: at,
  consecutive_failures: z.number().int(), open_until: until, streak_tenant_id: uuid.nullable(), streak_tenants_many: z.boolean(),
  call_tenant_id: uuid.nullable(), changed_by: z.string(),
});
export const alertRow = z.object({
  id: int8, fired_at: at, tenant_id: uuid.nullable(), user_id: uuid.nullable(), budget_scope: z.string().nullable(),
  limit_id: integer, meter_name: z.string(), period_start: at, threshold_pct: ratio, used: quantity, cap: quantity, unit: z.string(),
});
export const driftRow = z.object({
  checked_at: at, kind: z.string(), tenant_id: uuid.nullable(), meter_name: z.string().nullable(), user_id: uuid.nullable(),
  budget_scope: z.string().nullable(), period_start: at.nullable(), shard: z.number().int().nullable(), usage_value: quantity.nullable(),
  // The meter's unit of the two values (null: a check from before the drift view said it).
  ledger_value: quantity.nullable(), unit: z.string().nullable().default(null),
});
export const budgetScopeRow = z.object({
  tenant_id: uuid, budget_scope: z.string(), endpoint: z.string().nullable(), started_at: at.nullable(), deadline_at: until,
  calls: int8, calls_cap: int8.nullable(), spent_micros: micros, held_micros: micros, cap_micros: micros.nullable(), state: z.string(),
});
/** llm.reconciliation_status: the newest scheduled reconciliation check (none before the first). */
export const reconciliationStatusRow = z.object({
  checked_at: at, drift_rows: int8, duration_ms: z.number().int(), age_seconds: z.number(),
  // How many of its rows the check kept (llm.reconciliation_checked_drift); null: it ran before migration 000041.
  drift_rows_kept: z.number().int().nullable().default(null),
});
export type ReconciliationStatus = z.infer<typeof reconciliationStatusRow>;

export const metricsSnapshotRow = z.object({
  open_holds: int8, holds_overdue: int8, role_settings_drift: int8,
  // The newest scheduled reconciliation check (llm.reconciliation_status): both null before the first one.
  drift_rows: int8.nullable(), drift_check_age_seconds: z.number().nullable(),
  alerts: z.array(z.object({ threshold: z.string(), n: int8 })),
  used_ratio_max: z.array(z.object({ scope: z.string(), ratio: usedRatio })),
  // Budget-scope threshold crossings of the last 24 hours that the used ratio left out (llm.limit_use_maxima; up to 10 000).
  budget_scope_crossings_unread: int8.nullable(),
  breakers: z.array(z.object({ model_ref: z.string(), state: z.string() })),
  // llm.partition_coverage: months of partitions past the current one per ledger table (ours never NULL, -1 for none; a NULL
  // from another view of that name is read as unknown: -Inf), and the setting.
  partitions: z.array(z.object({ table: z.string(), ahead: z.number().int().nullable(), wanted: z.number().int() })),
});

export type LimitUsageRow = z.infer<typeof limitUsageRow>;
export type MonthlySpendRow = z.infer<typeof monthlySpendRow>;
export type HourlySpendRow = z.infer<typeof hourlySpendRow>;
export type RefusalRow = z.infer<typeof refusalRow>;
export type OpenHoldRow = z.infer<typeof openHoldRow>;
export type ShutoffRow = z.infer<typeof shutoffRow>;
export type BreakerRow = z.infer<typeof breakerRow>;
export type TransitionRow = z.infer<typeof transitionRow>;
export type AlertRow = z.infer<typeof alertRow>;
export type DriftRow = z.infer<typeof driftRow>;
export type BudgetScopeRow = z.infer<typeof budgetScopeRow>;
export type MetricsSnapshot = z.infer<typeof metricsSnapshotRow>;
