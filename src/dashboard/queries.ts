/**
 * The one place the dashboard and the DB-derived metrics touch the database: one query per audit
 * view (SPEC.md's names and columns), each row parsed with zod, in one transaction as llm_viewer.
 * Never reads llm.request_results, llm.final_outputs or llm.distillation_export (prompts/outputs).
 */
import type { Pool, PoolClient } from 'pg';
import type { z } from 'zod';
import { withRole } from '../db/context';
import { sqlState } from '../errors';
import * as rows from './rows';

/** Every audit view of SPEC.md, and llm.role_settings_drift (the Grafana dashboard may name these and no others). */
export const AUDIT_VIEWS = ['limit_usage', 'monthly_spend', 'hourly_spend', 'refusals_by_reason', 'open_holds', 'shutoff_windows',
  'breaker_state', 'alerts', 'reconciliation_drift', 'budget_scopes', 'calls', 'cache_stats', 'model_catalog', 'role_settings_drift',
  'reconciliation_status', 'reconciliation_checked_drift', 'breaker_transitions', 'partition_coverage'] as const;
/**
 * Audit functions the dashboard and the metrics call: llm.open_hold_counts (the open holds the expiry sweep watches, without
 * reading every attempt), llm.product_time (the clock every money rule uses), llm.budget_scopes_page (a page of budget
 * scopes at the page's cost), llm.limit_use_maxima (the highest use per limit scope, without every budget scope's).
 */
export const AUDIT_FUNCTIONS = ['open_hold_counts', 'watched_open_holds', 'product_time', 'budget_scopes_page', 'limit_use_maxima'] as const;
/** Views that expose prompts or outputs: nothing operator-facing may read them. */
export const FORBIDDEN_VIEWS = ['request_results', 'final_outputs', 'distillation_export'] as const;

/**
 * The product's clock (llm.product_time(): the time every money rule uses, shifted or frozen in a demo or a test), read
 * once per page and passed to each section as $2 (as $1 where a section has no tenant); months and hours in UTC.
 */
const NOW = '$2::timestamptz';
const MONTH = `date_trunc('month', ${NOW}, 'UTC')`;
const TENANT = `($1::uuid is null or tenant_id = $1::uuid)`;

/** One section of the dashboard: the view it reads, its SPEC.md query and its row shape. */
/** fn: the audit function the section calls instead of reading its view (whose columns it returns). */
/** params: the query's parameters from the tenant filter and the product's clock (default: $1 tenant, $2 clock, as used). */
interface Section<S extends z.ZodType> {
  view: (typeof AUDIT_VIEWS)[number]; row: S; sql: string; fn?: string; params: (tenantId: string | null, now: Date) => unknown[];
}

function section<S extends z.ZodType>(view: (typeof AUDIT_VIEWS)[number], row: S, sql: string, fn?: string,
  params?: (tenantId: string | null, now: Date) => unknown[]): Section<S> {
  return { view, row, sql, fn,
    params: params ?? ((t, now) => (sql.includes('$2') ? [t, now] : sql.includes('$1') ? [t] : [])) };
}

export const SECTIONS = {
  spend: section('monthly_spend', rows.monthlySpendRow,
    `select month_start, tenant_id, user_id, spent_micros, held_micros, cap_micros from llm.monthly_spend
      where month_start = ${MONTH} and ${TENANT} order by tenant_id, user_id nulls first limit 1000`),
  limits: section('limit_usage', rows.limitUsageRow,
    `select limit_id, meter_name, scope, "window" as window, unit, tenant_id, user_id, budget_scope, period_start, period_end, cap, kind,
            held, spent, used_pct
       from llm.limit_usage where current and (tenant_id is null or ${TENANT}) order by used_pct desc nulls last, meter_name limit 200`),
  hourly: section('hourly_spend', rows.hourlySpendRow,
    `select hour_start, tenant_id, spent_micros, calls from llm.hourly_spend
      where hour_start > date_trunc('hour', ${NOW}, 'UTC') - interval '48 hours' and ${TENANT} order by hour_start, tenant_id limit 10000`),
  refusals: section('refusals_by_reason', rows.refusalRow,
    `select month_start, tenant_id, reason, refusals from llm.refusals_by_reason
      where month_start = ${MONTH} and ${TENANT} order by refusals desc, reason, tenant_id limit 500`),
  holds: section('open_holds', rows.openHoldRow,
    // The holds the expiry sweep watches, through the expires_at BRIN (llm.open_holds reads every month of the ledger).
    `select tenant_id, user_id, request_id, endpoint, attempt_no, model_ref, held_micros, reserved_at, expires_at, overdue
       from llm.watched_open_holds($1::uuid, 200)`, 'llm.watched_open_holds(uuid,integer)'),
  shutoffs: section('shutoff_windows', rows.shutoffRow,
    `select id, scope, tenant_id, user_id, kind, starts_at, ends_at, reason, created_by, cancelled_at, active, upcoming
       from llm.shutoff_windows where (active or upcoming) and (tenant_id is null or ${TENANT}) order by starts_at, id limit 200`),
  breakers: section('breaker_state', rows.breakerRow,
    `select provider, model, model_ref, state, consecutive_failures, open_until, opened_count, last_failure_at, last_success_at
       from llm.breaker_state order by model_ref limit 500`),
  // Every breaker state change of the last 7 days, newest first: why a model was refused or fell back (breaker_open), who
  // closed it by hand. Global like the breakers (a breaker is shared by every tenant): never filtered by tenant.
  transitions: section('breaker_transitions', rows.transitionRow,
    `select id, model_ref, from_state, to_state, cause, changed_at, consecutive_failures, open_until, streak_tenant_id, streak_tenants_many,
            call_tenant_id, changed_by
       from llm.breaker_transitions where changed_at > $1::timestamptz - interval '7 days' order by changed_at desc, id desc limit 200`,
    undefined, (_tenant, now) => [now]),
  alerts: section('alerts', rows.alertRow,
    `select id, fired_at, tenant_id, user_id, budget_scope, limit_id, meter_name, period_start, threshold_pct, used, cap, unit
       from llm.alerts where fired_at >= ${MONTH} and (tenant_id is null or ${TENANT}) order by fired_at desc, id desc limit 200`),
  // Drift is a health signal of the whole ledger: never filtered by tenant. The rows the worker's last scheduled check kept
  // (llm.reconciliation_checked_drift), not the view itself: it reads two months of the ledger, minutes at 10^7 calls a month.
  drift: section('reconciliation_checked_drift', rows.driftRow,
    `select checked_at, kind, tenant_id, meter_name, user_id, budget_scope, period_start, shard, usage_value, ledger_value, unit
       from llm.reconciliation_checked_drift order by row_no`),
  // The first 200 in the order that finds the scopes about to run out (open ones first, nearest deadline first; then the
  // others, newest first), at the cost of about 200 (the view so ordered computed every scope of the tenant first).
  scopes: section('budget_scopes', rows.budgetScopeRow,
    `select tenant_id, budget_scope, endpoint, started_at, deadline_at, calls, calls_cap, spent_micros, held_micros, cap_micros, state
       from llm.budget_scopes_page($1::uuid, 200)`, 'llm.budget_scopes_page(uuid,integer,text,timestamptz,timestamptz,uuid,text)'),
};

export type SectionName = keyof typeof SECTIONS;
export const SECTION_NAMES = Object.keys(SECTIONS) as SectionName[];
export type SectionRows = { [K in SectionName]: z.infer<(typeof SECTIONS)[K]['row']>[] };

/**
 * The newest scheduled reconciliation check: what the metrics report as the drift, and what every dashboard page's banner
 * shows, instead of the view itself (it reads two months of the ledger, minutes at 10^7 calls a month, and every scrape of
 * every worker counted it).
 */
// Every column (*): a database whose API predates a column (drift_rows_kept, 000041) still gives the drift metric; named, the
// missing column failed the whole scrape with 42703 (review of e4b0999). The row's schema defaults what is missing.
export const RECONCILIATION_STATUS_SQL = 'select * from llm.reconciliation_status';

/**
 * The newest check, or null: none has run, or the database is not yet migrated to 000040 (the other sections and metrics
 * are read all the same; the metrics then say the drift is unknown and the check's age infinite, which the alert reports).
 */
async function readReconciliationStatus(c: PoolClient): Promise<rows.ReconciliationStatus | null> {
  const r = await orMissing(c, async () => (await c.query(RECONCILIATION_STATUS_SQL)).rows[0], (e) => sqlState(e) === '42P01');
  return r ? rows.reconciliationStatusRow.parse(r) : null;
}

/**
 * Runs a read under a savepoint, so that a relation an older database lacks fails that read only: an error `missing`
 * accepts (asked after the rollback to the savepoint, so it may query) yields undefined; any other is thrown.
 */
async function orMissing<T>(c: PoolClient, read: () => Promise<T>, missing: (e: unknown) => boolean | Promise<boolean>): Promise<T | undefined> {
  await c.query('savepoint read');
  try {
    const r = await read();
    await c.query('release savepoint read');
    return r;
  } catch (e) {
    await c.query('rollback to savepoint read');
    if (!(await missing(e))) throw e;
    return undefined;
  }
}

/** How many of the newest budget-scope threshold crossings the metrics' used ratio reads (llm.limit_use_maxima). */
export const USED_RATIO_BUDGET_SCOPES = 200;

/**
 * The metrics' aggregates over the audit views (exported for the test that pins which views it reads). The used ratios come
 * from llm.limit_use_maxima: from llm.limit_usage, every budget scope of the last 24 hours was computed at each scrape
 * (~0.11 ms each; past the 5 s timeout at ~45 000 a day).
 */
export const METRICS_SQL = `
select h.open_holds, h.holds_overdue,
       (select count(*) from llm.role_settings_drift) as role_settings_drift,
       (select coalesce(json_agg(json_build_object('threshold', t, 'n', n)), '[]')
          from (select trim_scale(threshold_pct::numeric)::text as t, count(*) as n from llm.alerts group by 1) a) as alerts,
       u.used_ratio_max, u.budget_scope_crossings_unread,
       (select coalesce(json_agg(json_build_object('model_ref', model_ref, 'state', state)), '[]') from llm.breaker_state) as breakers
  from llm.open_hold_counts() h
 cross join (select coalesce(json_agg(json_build_object('scope', m.scope, 'ratio', m.used_ratio_max)) filter (where m.used_ratio_max is not null),
                             '[]') as used_ratio_max,
                    max(m.crossings_unread) filter (where m.scope = 'budget_scope') as budget_scope_crossings_unread
               from llm.limit_use_maxima(${USED_RATIO_BUDGET_SCOPES}) m) u`;

/** Whether this database lacks what a section reads: its view or function, or a column of its row. */
async function lacksSection(c: PoolClient, name: SectionName): Promise<boolean> {
  const { view, fn } = SECTIONS[name];
  const columns = Object.keys((SECTIONS[name].row as unknown as { shape: Record<string, unknown> }).shape);
  const { rows } = await c.query<{ lacks: boolean }>(
    `select to_regclass('llm.' || $1) is null or ($2::text is not null and to_regprocedure($2) is null)
         or exists (select 1 from unnest($3::text[]) k(col)
                     where not exists (select 1 from pg_catalog.pg_attribute a
                                        where a.attrelid = to_regclass('llm.' || $1) and a.attname = k.col and a.attnum > 0
                                          and not a.attisdropped)) as lacks`,
    [view, fn ?? null, columns]);
  return rows[0]!.lacks;
}

/** The months of partitions made ahead, per ledger table (read apart: a database before llm.partition_coverage lacks it). */
export const PARTITION_COVERAGE_SQL = `select table_name as table, months_ahead as ahead, months_ahead_wanted as wanted from llm.partition_coverage`;

/** The partitions' coverage, or [] on a database not yet migrated to the release that has the view (its metrics are left out). */
async function readPartitionCoverage(c: PoolClient): Promise<unknown[]> {
  return (await orMissing(c, async () => (await c.query(PARTITION_COVERAGE_SQL)).rows, (e) => sqlState(e) === '42P01')) ?? [];
}

/**
 * Reads the given sections (and nothing else) in one read-only transaction as llm_viewer, and the product's clock (llm.product_time());
 * with `reconciliation`, also the newest reconciliation check (null before the first). One snapshot (REPEATABLE READ):
 * the drift section's rows and the check's count come from the same check (review of 410deda: read in READ COMMITTED, a
 * check committed between the two reads showed "0 row(s)" over a table of drift rows).
 */
export async function loadSections<N extends SectionName>(pool: Pool, names: readonly N[], tenantId: string | null,
  opts: { reconciliation?: boolean } = {}):
  Promise<{ readAt: Date; rows: Pick<SectionRows, N>; reconciliation?: rows.ReconciliationStatus | null; missing: N[] }> {
  return withRole(pool, 'llm_viewer', async (c) => {
    // JIT off for the read: compiling these plans took seconds (a role's own default does not apply after SET ROLE).
    const { rows: [ctx] } = await c.query(`select set_config('transaction_read_only', 'on', true), set_config('jit', 'off', true),
      to_regprocedure('llm.product_time()') is not null as has_clock`);
    // A database not yet migrated to the release with llm.product_time(): the server's clock (the same unless shifted).
    const { rows: head } = await c.query(`select ${ctx.has_clock ? 'llm.product_time()' : 'now()'} as read_at`);
    const now = head[0].read_at as Date;
    const out = {} as Record<SectionName, unknown[]>;
    // A section whose view this database lacks (a dashboard of a newer release before its npm run migrate: 42P01, or a
    // column it lacks: 42703) is listed as missing and shown empty; every other section is read (a 500 for the whole page
    // had been the answer, adopter's review 76).
    const missing: N[] = [];
    for (const name of names) {
      const { sql, row, params } = SECTIONS[name];
      // Missing only when the database really lacks the view (or the function) or one of the row's columns; anything else
      // raising those codes (a typo, a PL/pgSQL record without the field) is a bug, not "migrate first" (review 77).
      const read = await orMissing(c, async () => (await c.query(sql, params(tenantId, now))).rows.map((r) => row.parse(r)),
        async (e) => ['42P01', '42703', '42883'].includes(sqlState(e) ?? '') && lacksSection(c, name));
      if (read === undefined) missing.push(name);
      out[name] = read ?? [];
    }
    const reconciliation = opts.reconciliation ? await readReconciliationStatus(c) : undefined;
    return { readAt: now, rows: out as Pick<SectionRows, N>, reconciliation, missing };
  }, { isolation: 'repeatable read' });
}

/** The aggregates the metrics export, in one query (as llm_viewer, or llm_operator where it may read the views). */
/**
 * The longest the metrics' read may take: under Prometheus's default scrape timeout (10 s), so that a slow read fails alone
 * (its metrics NaN, llm_metrics_read_errors_total counted) instead of the whole scrape, which pages as a worker down (soak
 * review 85: with ~8 500 budget scopes a day, a scrape took up to 9.3 s).
 */
export const METRICS_READ_TIMEOUT_MS = 5_000;

export async function loadMetricsSnapshot(pool: Pool, role: 'llm_viewer' | 'llm_operator' = 'llm_viewer',
  timeoutMs = METRICS_READ_TIMEOUT_MS): Promise<rows.MetricsSnapshot> {
  return withRole(pool, role, async (c) => {
    await c.query(`select set_config('transaction_read_only', 'on', true), set_config('jit', 'off', true)`);
    const snapshot = (await c.query(METRICS_SQL)).rows[0];
    const status = await readReconciliationStatus(c);
    const partitions = await readPartitionCoverage(c);
    return rows.metricsSnapshotRow.parse({ ...snapshot, drift_rows: status?.drift_rows ?? null, drift_check_age_seconds: status?.age_seconds ?? null,
      partitions });
  }, { statementTimeoutMs: timeoutMs });
}
