/**
 * One read per audit command, over the `llm` audit views only, parsed with zod. Money columns go
 * through `int8` (bigint micro-USD); timestamps arrive from pg as Date. Column names are the views'.
 */
import { z } from 'zod';
import { int8 } from '../int8';

/** Anything that runs a parameterised query: a pg Pool, Client or PoolClient. */
export interface Queryable {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[]; fields: { name: string }[] }>;
}

const uuid = z.string();
const nullableInt8 = int8.nullable();

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

const spendRow = z.object({
  scope: z.enum(['tenant', 'user']),
  tenant_id: uuid,
  user_id: uuid.nullable(),
  month_start: z.date(),
  cap_micros: nullableInt8,
  spent_micros: int8,
  held_micros: int8,
  remaining_micros: nullableInt8,
  overrun_micros: int8,
});
export type SpendRow = z.output<typeof spendRow>;

export function monthlySpend(db: Queryable, f: MonthFilter): Promise<SpendRow[]> {
  return read(db, spendRow,
    `select scope, tenant_id, user_id, month_start, cap_micros, spent_micros, held_micros, remaining_micros, overrun_micros
       from llm.monthly_spend
      where month_start = $1 and ($2::uuid is null or tenant_id = $2::uuid)
      order by tenant_id, scope = 'user', user_id nulls first`,
    [f.month, f.tenantId ?? null]);
}

const refusalRow = z.object({
  tenant_id: uuid.nullable(),
  month_start: z.date(),
  reason: z.string().nullable(),
  refusals: int8,
  last_refused_at: z.date(),
});
export type RefusalRow = z.output<typeof refusalRow>;

export function refusalsByReason(db: Queryable, f: MonthFilter): Promise<RefusalRow[]> {
  return read(db, refusalRow,
    `select tenant_id, month_start, reason, refusals, last_refused_at
       from llm.refusals_by_reason
      where month_start = $1 and ($2::uuid is null or tenant_id = $2::uuid)
      order by tenant_id nulls first, refusals desc, reason`,
    [f.month, f.tenantId ?? null]);
}

const holdRow = z.object({
  reservation_id: int8,
  tenant_id: uuid,
  user_id: uuid,
  request_id: z.string(),
  endpoint: z.string(),
  attempt: z.int(),
  model_ref: z.string(),
  held_micros: int8,
  reserved_at: z.date(),
  expires_at: z.date(),
  past_expiry: z.boolean(),
});
export type HoldRow = z.output<typeof holdRow>;

export function openHolds(db: Queryable): Promise<HoldRow[]> {
  return read(db, holdRow,
    `select reservation_id, tenant_id, user_id, request_id, endpoint, attempt, model_ref, held_micros, reserved_at,
            expires_at, past_expiry
       from llm.open_holds
      order by expires_at, reservation_id`);
}

const shutoffRow = z.object({
  id: int8,
  scope: z.string(),
  tenant_id: uuid.nullable(),
  user_id: uuid.nullable(),
  kind: z.string(),
  starts_at: z.date(),
  ends_at: z.date().nullable(),
  reason: z.string(),
  tripped_by: z.string(),
  threshold_micros: nullableInt8,
  observed_micros: nullableInt8,
  cleared_at: z.date().nullable(),
  cleared_by: z.string().nullable(),
  active: z.boolean(),
});
export type ShutoffRow = z.output<typeof shutoffRow>;

export function shutoffWindows(db: Queryable, opts: { activeOnly?: boolean } = {}): Promise<ShutoffRow[]> {
  return read(db, shutoffRow,
    `select id, scope, tenant_id, user_id, kind, starts_at, ends_at, reason, tripped_by, threshold_micros,
            observed_micros, cleared_at, cleared_by, active
       from llm.shutoff_windows
      where active or not $1
      order by starts_at desc, id desc`,
    [opts.activeOnly ?? false]);
}

/** The breaker view's columns are the lead's to define: three are required, the rest are shown as they come. */
const breakerRow = z.looseObject({ provider: z.string(), model: z.string(), state: z.string() });
export type BreakerRow = z.output<typeof breakerRow>;
export interface BreakerState {
  columns: string[];
  rows: BreakerRow[];
}

/** llm.breaker_state, or null when this database has no such view yet (SQLSTATE 42P01). */
export async function breakerState(db: Queryable): Promise<BreakerState | null> {
  try {
    const { rows, fields } = await db.query('select * from llm.breaker_state');
    const parsed = rows.map((r) => breakerRow.parse(r));
    parsed.sort((a, b) => a.provider.localeCompare(b.provider) || a.model.localeCompare(b.model));
    return { columns: fields.map((f) => f.name), rows: parsed };
  } catch (e) {
    if ((e as { code?: unknown }).code === '42P01') return null;
    throw e;
  }
}

const driftRow = z.object({
  scope: z.string(),
  tenant_id: uuid.nullable(),
  user_id: uuid.nullable(),
  period: z.string().nullable(),
  period_start: z.date().nullable(),
  request_id: z.string().nullable(),
  ledger_held_micros: int8,
  rollup_held_micros: int8,
  ledger_spent_micros: int8,
  rollup_spent_micros: int8,
});
export type DriftRow = z.output<typeof driftRow>;

/** Must be empty. tenant_id/user_id are NULL where the rollup means "all" (the nil uuid in the view). */
export function reconciliationDrift(db: Queryable): Promise<DriftRow[]> {
  return read(db, driftRow,
    `select scope, nullif(tenant_id, '00000000-0000-0000-0000-000000000000') as tenant_id,
            nullif(user_id, '00000000-0000-0000-0000-000000000000') as user_id, period, period_start, request_id,
            ledger_held_micros, rollup_held_micros, ledger_spent_micros, rollup_spent_micros
       from llm.reconciliation_drift
      order by scope, tenant_id nulls first, user_id nulls first, period, period_start, request_id`);
}
