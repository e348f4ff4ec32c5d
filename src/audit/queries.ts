/**
 * One read per audit command, over the `llm` audit views only (SPEC.md's names and columns), parsed
 * with zod. Money and every other int8 go through `int8` (bigint, printed as a string in JSON); int4
 * and int2 columns (limit ids, attempt numbers) stay numbers; numeric percentages stay exact decimal
 * text; timestamps arrive from pg as Date ('infinity' reads as null: open-ended).
 */
import { z } from 'zod';
import { int8 } from '../int8';

/** Anything that runs a parameterised query: a pg Pool, Client or PoolClient. */
export interface Queryable {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

const uuid = z.guid();
const at = z.date();
/** A timestamp that may be 'infinity' (node-postgres gives ±Infinity): open-ended reads as null. */
const until = z.union([z.date(), z.literal(Infinity), z.literal(-Infinity)]).nullable().transform((v) => (v instanceof Date ? v : null));
/** A numeric percentage as Postgres prints it ('65.00'): shown as is, never turned into a float. */
const decimal = z.string().regex(/^-?\d+(\.\d+)?$/);

async function read<S extends z.ZodType>(db: Queryable, schema: S, sql: string, values: unknown[] = []): Promise<z.output<S>[]> {
  const { rows } = await db.query(sql, values);
  return rows.map((r) => schema.parse(r));
}

/** The first instant of the current UTC month by the product's clock (llm_private.now(), frozen in tests). */
export async function currentMonth(db: Queryable): Promise<Date> {
  const [row] = await read(db, z.object({ m: z.date() }), `select date_trunc('month', llm_private.now(), 'UTC') as m`);
  if (!row) throw new Error('could not read the current month');
  return row.m;
}

export interface MonthFilter {
  /** First instant of the month (UTC). */
  month: Date;
  tenantId?: string | undefined;
}

/** [first instant of the month, first instant of the next) in UTC, for range filters on timestamps. */
function monthRange(month: Date): [Date, Date] {
  return [month, new Date(Date.UTC(month.getUTCFullYear(), month.getUTCMonth() + 1, 1))];
}

const spendRow = z.object({
  month_start: at,
  tenant_id: uuid,
  user_id: uuid.nullable(),
  spent_micros: int8,
  held_micros: int8,
  cap_micros: int8.nullable(),
  adjusted_micros: int8,
});
export type SpendRow = z.output<typeof spendRow>;

/** llm.monthly_spend of one month: per tenant (user_id NULL = the tenant's total) and user; spent includes adjustments. */
export function monthlySpend(db: Queryable, f: MonthFilter): Promise<SpendRow[]> {
  return read(db, spendRow,
    `select month_start, tenant_id, user_id, spent_micros, held_micros, cap_micros, adjusted_micros
       from llm.monthly_spend
      where month_start = $1 and ($2::uuid is null or tenant_id = $2::uuid)
      order by tenant_id, user_id nulls first`,
    [f.month, f.tenantId ?? null]);
}

const refusalRow = z.object({
  month_start: at,
  tenant_id: uuid,
  reason: z.string(),
  refusals: int8,
});
export type RefusalRow = z.output<typeof refusalRow>;

export function refusalsByReason(db: Queryable, f: MonthFilter): Promise<RefusalRow[]> {
  return read(db, refusalRow,
    `select month_start, tenant_id, reason, refusals
       from llm.refusals_by_reason
      where month_start = $1 and ($2::uuid is null or tenant_id = $2::uuid)
      order by tenant_id, refusals desc, reason`,
    [f.month, f.tenantId ?? null]);
}

const limitRow = z.object({
  limit_id: z.int().nullable(),
  meter_name: z.string(),
  scope: z.string(),
  window: z.string(),
  unit: z.string(),
  tenant_id: uuid.nullable(),
  user_id: uuid.nullable(),
  budget_scope: z.string().nullable(),
  period_start: at,
  period_end: until,
  cap: int8.nullable(),
  kind: z.string().nullable(),
  held: int8,
  spent: int8,
  // 'Infinity' at a cap of 0 with anything held or spent (over the cap).
  used_pct: z.union([decimal, z.literal('Infinity')]).nullable(),
});
export type LimitRow = z.output<typeof limitRow>;

/** llm.limit_usage, current periods only (amounts in the meter's unit: micros, tokens, input_tokens, output_tokens, calls, elapsed_ms). */
export function limitUsage(db: Queryable, f: { tenantId?: string | undefined } = {}): Promise<LimitRow[]> {
  return read(db, limitRow,
    `select limit_id, meter_name, scope, "window" as window, unit, tenant_id, user_id, budget_scope, period_start, period_end,
            cap, kind, held, spent, used_pct::text as used_pct
       from llm.limit_usage
      where current and ($1::uuid is null or tenant_id = $1::uuid)
      order by tenant_id nulls first, meter_name, user_id nulls first, budget_scope nulls first, period_start`,
    [f.tenantId ?? null]);
}

const alertRow = z.object({
  id: int8,
  fired_at: at,
  tenant_id: uuid.nullable(),
  user_id: uuid.nullable(),
  budget_scope: z.string().nullable(),
  limit_id: z.int().nullable(),
  meter_name: z.string(),
  unit: z.string(),
  period_start: at,
  threshold_pct: z.int(),
  used: int8,
  cap: int8,
});
export type AlertRow = z.output<typeof alertRow>;

/** llm.alerts fired in one UTC month. */
export function alerts(db: Queryable, f: MonthFilter): Promise<AlertRow[]> {
  const [from, to] = monthRange(f.month);
  return read(db, alertRow,
    `select id, fired_at, tenant_id, user_id, budget_scope, limit_id, meter_name, unit, period_start, threshold_pct, used, cap
       from llm.alerts
      where fired_at >= $1 and fired_at < $2 and ($3::uuid is null or tenant_id = $3::uuid)
      order by fired_at, id`,
    [from, to, f.tenantId ?? null]);
}

const scopeRow = z.object({
  tenant_id: uuid,
  budget_scope: z.string(),
  endpoint: z.string().nullable(), // NULL once the scope's first request has left the retention
  started_at: at,
  last_reserve_month: at, // retention forgets a scope not reserved in any month it keeps
  deadline_at: until,
  calls: int8,
  calls_cap: int8.nullable(),
  spent_micros: int8,
  held_micros: int8,
  cap_micros: int8.nullable(),
  state: z.string(),
});
export type ScopeRow = z.output<typeof scopeRow>;

/** llm.budget_scopes started in one UTC month. */
export function budgetScopes(db: Queryable, f: MonthFilter): Promise<ScopeRow[]> {
  const [from, to] = monthRange(f.month);
  return read(db, scopeRow,
    `select tenant_id, budget_scope, endpoint, started_at, last_reserve_month, deadline_at, calls, calls_cap, spent_micros, held_micros,
            cap_micros, state
       from llm.budget_scopes
      where started_at >= $1 and started_at < $2 and ($3::uuid is null or tenant_id = $3::uuid)
      order by started_at, tenant_id, budget_scope`,
    [from, to, f.tenantId ?? null]);
}

const holdRow = z.object({
  tenant_id: uuid,
  user_id: uuid,
  request_id: z.string(),
  endpoint: z.string(),
  attempt_no: z.int(),
  model_ref: z.string().nullable(),
  held_micros: int8,
  reserved_at: at,
  expires_at: at,
  overdue: z.boolean(),
});
export type HoldRow = z.output<typeof holdRow>;

export function openHolds(db: Queryable): Promise<HoldRow[]> {
  return read(db, holdRow,
    `select tenant_id, user_id, request_id, endpoint, attempt_no, model_ref, held_micros, reserved_at, expires_at, overdue
       from llm.open_holds
      order by expires_at, tenant_id, request_id, attempt_no`);
}

const shutoffRow = z.object({
  id: int8,
  scope: z.string(),
  tenant_id: uuid.nullable(),
  user_id: uuid.nullable(),
  kind: z.string(),
  starts_at: at,
  ends_at: until,
  reason: z.string().nullable(),
  limit_id: z.int().nullable(),
  created_by: z.string().nullable(),
  created_at: at,
  cancelled_at: at.nullable(),
  cancelled_by: z.string().nullable(),
  cancel_reason: z.string().nullable(),
  active: z.boolean(),
  upcoming: z.boolean(),
});
export type ShutoffRow = z.output<typeof shutoffRow>;

export function shutoffWindows(db: Queryable, opts: { activeOnly?: boolean } = {}): Promise<ShutoffRow[]> {
  return read(db, shutoffRow,
    `select id, scope, tenant_id, user_id, kind, starts_at, ends_at, reason, limit_id, created_by, created_at, cancelled_at,
            cancelled_by, cancel_reason, active, upcoming
       from llm.shutoff_windows
      where active or not $1
      order by starts_at desc, id desc`,
    [opts.activeOnly ?? false]);
}

const breakerRow = z.object({
  provider: z.string(),
  model: z.string(),
  model_ref: z.string(),
  state: z.string(),
  consecutive_failures: z.int(),
  open_until: at.nullable(),
  probe_started_at: at.nullable(),
  opened_count: z.int(),
  last_failure_at: at.nullable(),
  last_success_at: at.nullable(),
  updated_at: at.nullable(),
});
export type BreakerRow = z.output<typeof breakerRow>;

export function breakerState(db: Queryable): Promise<BreakerRow[]> {
  return read(db, breakerRow,
    `select provider, model, model_ref, state, consecutive_failures, open_until, probe_started_at, opened_count, last_failure_at,
            last_success_at, updated_at
       from llm.breaker_state
      order by provider, model`);
}

const transitionRow = z.object({
  id: int8,
  model_ref: z.string(),
  from_state: z.string(),
  to_state: z.string(),
  cause: z.string(),
  changed_at: at,
  consecutive_failures: z.int(),
  open_until: at.nullable(),
  streak_tenant_id: uuid.nullable(),
  streak_tenants_many: z.boolean(),
  call_tenant_id: uuid.nullable(),
  changed_by: z.string(),
});
export type TransitionRow = z.output<typeof transitionRow>;

/** llm.breaker_transitions of one UTC month, newest first (at most 1000). */
export function breakerTransitions(db: Queryable, month: Date): Promise<TransitionRow[]> {
  const [from, to] = monthRange(month);
  return read(db, transitionRow,
    `select id, model_ref, from_state, to_state, cause, changed_at, consecutive_failures, open_until, streak_tenant_id,
            streak_tenants_many, call_tenant_id, changed_by
       from llm.breaker_transitions
      where changed_at >= $1 and changed_at < $2
      order by changed_at desc, id desc
      limit 1000`,
    [from, to]);
}

const driftRow = z.object({
  kind: z.string(),
  tenant_id: uuid.nullable(),
  meter_name: z.string(),
  user_id: uuid.nullable(),
  budget_scope: z.string().nullable(),
  period_start: at,
  shard: z.int(),
  usage_value: int8.nullable(),
  ledger_value: int8.nullable(),
  unit: z.string().nullable(),
});
export type DriftRow = z.output<typeof driftRow>;

/** Must be empty. usage_value and ledger_value are in the meter's unit, which the view says. */
export function reconciliationDrift(db: Queryable): Promise<DriftRow[]> {
  return read(db, driftRow,
    `select d.kind, d.tenant_id, d.meter_name, d.user_id, d.budget_scope, d.period_start, d.shard, d.usage_value, d.ledger_value, d.unit
       from llm.reconciliation_drift d
      order by d.kind, d.tenant_id nulls first, d.meter_name, d.user_id nulls first, d.budget_scope nulls first, d.period_start, d.shard`);
}

const decisionRow = z.object({
  decided_at: at,
  tenant_id: uuid,
  user_id: uuid,
  request_id: z.string(),
  endpoint: z.string(),
  attempt_no: z.number().int(),
  purpose: z.string(),
  decision: z.string(),
  reason: z.string(),
  model_ref: z.string().nullable(),
  worst_case_micros: int8.nullable(),
  limit_id: z.number().int().nullable(),
  limit_scope: z.string().nullable(),
  limit_window: z.string().nullable(),
  limit_cap: int8.nullable(),
  limit_used: int8.nullable(),
  limit_asked: int8.nullable(),
  limit_unit: z.string().nullable(),
  shutoff_window_id: int8.nullable(),
});
export type DecisionRow = z.output<typeof decisionRow>;

export interface DecisionFilter extends MonthFilter {
  userId?: string | undefined;
  requestId?: string | undefined;
  limit: number;
}

/**
 * llm.decision_log of one month, newest first: why each call was allowed or refused. The month is a range of decided_at
 * (the reserve's instant), which the attempts' BRIN on reserved_at narrows; a tenant, a user and a request id narrow it
 * further (a user and a request only within a tenant: the arguments require --tenant).
 */
export function decisionLog(db: Queryable, f: DecisionFilter): Promise<DecisionRow[]> {
  const [from, to] = monthRange(f.month);
  return read(db, decisionRow,
    `select decided_at, tenant_id, user_id, request_id, endpoint, attempt_no, purpose, decision, reason, model_ref, worst_case_micros,
            limit_id, limit_scope, limit_window, limit_cap, limit_used, limit_asked, limit_unit, shutoff_window_id
       from llm.decision_log
      where decided_at >= $1 and decided_at < $2 and ($3::uuid is null or tenant_id = $3::uuid)
        and ($4::uuid is null or user_id = $4::uuid) and ($5::text is null or request_id = $5::text)
      order by decided_at desc, request_id, attempt_no desc
      limit $6`,
    [from, to, f.tenantId ?? null, f.userId ?? null, f.requestId ?? null, f.limit]);
}
