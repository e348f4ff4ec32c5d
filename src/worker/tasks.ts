/**
 * The task list: one task per endpoint (the governed call), plus the maintenance tasks on cron.
 * Library mode (`run()`, src/worker/run.ts) builds it with explicit dependencies; graphile-worker's
 * own CLI loads the same tasks from tasks/*.ts (src/worker/cli.ts supplies the dependencies).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Task, TaskList } from 'graphile-worker';
import { withRole, type TxLimits } from '../db/context';
import { ENDPOINTS, type Endpoint } from '../payload';
import type { WorkerDeps } from './deps';
import { governedCall } from './governed-call';
import { errorFields } from './sql-errors';
import { sqlState } from '../errors';

export const MAINTENANCE_TASKS = ['llm__expire_holds', 'llm__evaluate_limits', 'llm__purge_expired', 'llm__check_reconciliation',
  'llm__release_dead_locks'] as const;
export type TaskName = Endpoint | (typeof MAINTENANCE_TASKS)[number];
export const TASK_NAMES: readonly TaskName[] = [...ENDPOINTS, ...MAINTENANCE_TASKS];

/** The crontab file graphile-worker's CLI reads; library mode passes the same text. */
export const CRONTAB_FILE = join(__dirname, '..', '..', 'crontab');
export function crontab(): string {
  return readFileSync(CRONTAB_FILE, 'utf8');
}

export function endpointTask(deps: WorkerDeps, endpoint: Endpoint): Task {
  return (payload, helpers) => governedCall(deps, endpoint, payload, helpers);
}

/** One statement as llm_operator; an API function this database does not have yet is skipped (logged once per run). */
async function operatorCall<T>(deps: WorkerDeps, sql: string, pick: (row: Record<string, unknown>) => T, limits?: TxLimits): Promise<T | null> {
  try {
    return await withRole(deps.pool, 'llm_operator', async (c) => pick((await c.query(sql)).rows[0] ?? {}), limits);
  } catch (e) {
    if (sqlState(e) === '42883') {
      deps.logger.debug({ event: 'maintenance_skipped', sql, ...errorFields(e) }, 'function not in this database');
      return null;
    }
    throw e;
  }
}

/**
 * Every minute: expire abandoned holds (charged in full, usage unknown) and end requests whose job
 * is gone or exhausted. graphile-worker's own 4-hour lock timeout recovers the job of a crashed
 * worker; the hold does not wait for it. Daily, the crontab's payload `{full: true}` reads every
 * hold instead of those past the sweep's watermark (a hold committed after the watermark passed it).
 */
export function expireHoldsTask(deps: WorkerDeps, batch = 1000): Task {
  return async (payload) => {
    const full = (payload as { full?: unknown } | null)?.full === true;
    // In transactions of `batch` holds, up to 10 000 a run: one sweep of 10 000 due holds held the usage rows of every
    // subject they touched, tenants' included, for 3.8 s, and those subjects' reserves and settles waited behind it
    // (review at scale, 2026-11-26). Each batch commits before the next reads.
    let expired: number | null = null;
    let batches = 0;
    let expiryError: unknown = null;
    try {
      while (batches * batch < 10_000) {
        const n = await operatorCall(deps, `select llm.expire_holds(${batch}, ${full}) as n`, (r) => Number(r.n ?? 0));
        batches++;
        expired = (expired ?? 0) + (n ?? 0);
        if (n === null || n < batch) break;
      }
    } catch (e) {
      expiryError = e;
      deps.logger.error({ event: 'expire_holds_failed', full, batches, ...errorFields(e) }, 'expiry sweep failed');
    }
    // Lost requests are ended even when the expiry failed: the daily pass is the only one that reads claims older than
    // two days, and the crontab runs it once, without retry (review of 2026-11-27). The job fails with the first error.
    let lost: number | null = null;
    try {
      lost = await operatorCall(deps, `select llm.fail_lost_requests(${full}) as n`, (r) => Number(r.n ?? 0));
    } catch (e) {
      deps.logger.error({ event: 'fail_lost_requests_failed', full, ...errorFields(e) }, 'lost-requests pass failed');
      expiryError ??= e;
    }
    if (expired || lost) deps.logger.info({ event: 'expire_holds', full, expired, batches, lost_requests_failed: lost }, 'expired abandoned holds');
    if (expiryError) throw expiryError;
  };
}

/** Hourly: retention of traces, outputs and cache entries. */
export function purgeExpiredTask(deps: WorkerDeps): Task {
  return async () => {
    const r = await operatorCall(deps, 'select * from llm.purge_expired(100000)', (row) => row);
    deps.logger.info({ event: 'purge_expired', ...r }, 'purged expired rows');
  };
}

/**
 * Every minute: alerts and shutoff trips of sharded meters from their totals (a settle sees its own
 * shard at once; the total of all shards crossing a threshold is found here).
 */
export function evaluateLimitsTask(deps: WorkerDeps): Task {
  return async () => {
    const n = await operatorCall(deps, 'select llm.evaluate_limits() as n', (r) => Number(r.n ?? 0));
    deps.logger.debug({ event: 'evaluate_limits', subjects: n }, 'evaluated sharded limits');
  };
}

/** The longest the scheduled reconciliation may read the ledger: ~13 s at 10^7 calls in its two months (bench/PROFILE.md §12). */
export const RECONCILIATION_TIMEOUT_MS = 10 * 60_000;

/**
 * Every 5 minutes: count llm.reconciliation_drift once for the whole cluster and keep the result
 * (llm.check_reconciliation), which every worker's metrics scrape reads instead of the view itself.
 */
export function checkReconciliationTask(deps: WorkerDeps): Task {
  return async () => {
    const r = await operatorCall(deps, 'select * from llm.check_reconciliation()', (row) => row,
      { statementTimeoutMs: RECONCILIATION_TIMEOUT_MS, isolation: 'read committed' });
    if (r === null) return;
    const fields = { event: 'check_reconciliation', drift_rows: Number(r.drift_rows), duration_ms: Number(r.duration_ms) };
    if (fields.drift_rows > 0) deps.logger.error(fields, 'usage counters disagree with the ledger: read llm.reconciliation_drift');
    else deps.logger.info(fields, 'usage counters match the ledger');
  };
}

/**
 * How long a governed job can run at most: its embedding call and its chat call (each at most the call timeout), a wait for
 * an identical request's cache fill (twice that), a provider's Retry-After wait, and a minute for the rest (README,
 * Supervision and crash recovery). A lock older than this, by an id no live worker names, is a dead process's.
 */
export function longestJobMs(deps: Pick<WorkerDeps, 'callTimeoutMs' | 'retryAfterMaxMs'>): number {
  return 4 * deps.callTimeoutMs + deps.retryAfterMaxMs + 60_000;
}

/** How recently a live worker has said so (it does every 10 s: src/worker/health.ts). */
export const HEARTBEAT_WITHIN_MS = 60_000;

/**
 * Every minute: the LLM jobs a dead worker process left locked (kill -9, out of memory, a lost host) are released, so that
 * a live worker retries them, instead of waiting out graphile-worker's 4-hour lock timeout (llm.release_dead_worker_locks).
 * As the worker's login, which owns graphile-worker's tables.
 */
export function releaseDeadLocksTask(deps: WorkerDeps): Task {
  return async () => {
    // Not before this process's own heartbeats have gone through for the window: after a database outage no live worker's
    // heartbeat is fresh, and their jobs (older than the bound) would be released and their calls sent twice (review 92).
    if (deps.heartbeatSteadyFor && !deps.heartbeatSteadyFor(HEARTBEAT_WITHIN_MS)) {
      deps.logger.debug({ event: 'dead_worker_locks_skipped' }, 'heartbeats not steady for a minute yet: no lock released');
      return;
    }
    let rows: Array<{ locked_by: string; jobs: number }>;
    try {
      rows = (await deps.pool.query('select * from llm.release_dead_worker_locks($1, $2)', [longestJobMs(deps), HEARTBEAT_WITHIN_MS])).rows;
    } catch (e) {
      if (sqlState(e) === '42883') return; // a database not yet migrated to it
      throw e;
    }
    if (rows.length > 0) {
      deps.logger.warn({ event: 'dead_worker_locks_released', locked_by: rows.map((r) => r.locked_by), jobs: rows.reduce((n, r) => n + r.jobs, 0) },
        `released the jobs of ${rows.length} dead worker id(s): no live worker names them and their locks are older than a job can run`);
    }
  };
}

export function taskFor(deps: WorkerDeps, name: TaskName): Task {
  if (name === 'llm__release_dead_locks') return releaseDeadLocksTask(deps);
  if (name === 'llm__expire_holds') return expireHoldsTask(deps);
  if (name === 'llm__evaluate_limits') return evaluateLimitsTask(deps);
  if (name === 'llm__purge_expired') return purgeExpiredTask(deps);
  if (name === 'llm__check_reconciliation') return checkReconciliationTask(deps);
  return endpointTask(deps, name);
}

export function taskList(deps: WorkerDeps): TaskList {
  return Object.fromEntries(TASK_NAMES.map((n) => [n, taskFor(deps, n)]));
}
