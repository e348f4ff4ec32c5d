/**
 * graphile-worker on its own (goal 4's baseline): no-op jobs per second with the same
 * concurrency, poll interval, batching preset and login (llm_worker) as our worker, and the clock
 * both use: from the first job:start to the last job:complete (or to the deadline). Jobs are queued
 * held (run_at a day ahead) and released at once when the runner is up, so that no event is
 * missed and the enqueueing is not timed.
 */
import { EventEmitter } from 'node:events';
import { Logger, run, type WorkerEvents } from 'graphile-worker';
import { Pool } from 'pg';
import { urlForRole } from '../src/db/urls';
import { withClient } from './db';

/** The graphile-worker settings of src/worker/run.ts that the baseline must share. Keep in sync. */
export const WORKER_PRESET = { worker: { completeJobBatchDelay: 0, failJobBatchDelay: 0 } };

export interface JobsRun {
  jobsPerSecond: number;
  completed: number;
  failed: number;
  seconds: number;
  /** Every queued job completed before the deadline. */
  drained: boolean;
}

const quiet = new Logger(() => () => {});

/** Counts job events from the first job:start; resolves at `expected` completions or `seconds` after the first start. */
export function jobClock(events: WorkerEvents, expected: number, seconds: number): Promise<JobsRun> {
  return new Promise((resolve) => {
    let first = 0;
    let last = 0;
    let completed = 0;
    let failed = 0;
    let timer: NodeJS.Timeout | null = null;
    let idle: NodeJS.Timeout | null = null;
    const finish = (drained: boolean): void => {
      if (timer) clearTimeout(timer);
      if (idle) clearTimeout(idle);
      events.off('job:start', onStart);
      events.off('job:complete', onComplete);
      const end = drained ? last : first + seconds * 1000;
      const secs = Math.max(1e-3, (end - first) / 1000);
      resolve({ jobsPerSecond: completed / secs, completed, failed, seconds: secs, drained });
    };
    const onStart = (): void => {
      if (first) return;
      first = performance.now();
      timer = setTimeout(() => finish(false), seconds * 1000);
    };
    const onComplete = ({ error }: { error?: unknown }): void => {
      if (error) failed++;
      else completed++;
      last = performance.now();
      if (completed + failed >= expected) finish(true);
    };
    events.on('job:start', onStart);
    events.on('job:complete', onComplete);
    // Nothing started at all within a minute: give up rather than hang.
    idle = setTimeout(() => {
      if (!first) {
        first = performance.now() - seconds * 1000;
        finish(false);
      }
    }, 60_000);
  });
}

/** `count` no-op jobs, held (run_at a day ahead) until `release` when `held`. */
export async function queueNoop(adminUrl: string, count: number, held: boolean): Promise<void> {
  await withClient(urlForRole(adminUrl, 'llm_worker'), (c) => c.query(
    `select graphile_worker.add_jobs(array(
       select row('bench_noop', '{}'::json, null, case when $2 then now() + interval '1 day' end, null, null, null, null)::graphile_worker.job_spec
         from generate_series(1, $1::int)))`, [count, held]));
}

/**
 * Before the clock: `n` jobs run through the freshly started runner (its connections open, the
 * functions' plans cached in each backend), so that the timed window is the steady state.
 */
export async function warmUp(events: WorkerEvents, n: number, enqueue: () => Promise<void>): Promise<void> {
  const done = new Promise<void>((resolve) => {
    let k = 0;
    const on = (): void => {
      if (++k >= n) {
        events.off('job:complete', on);
        resolve();
      }
    };
    events.on('job:complete', on);
  });
  await enqueue();
  await Promise.race([done, new Promise((r) => setTimeout(r, 60_000))]);
}

/** Makes held jobs of a task runnable now (graphile-worker's public reschedule_jobs). */
export async function releaseJobs(adminUrl: string, task: string): Promise<void> {
  await withClient(adminUrl, (c) => c.query(
    `select count(*) from graphile_worker.reschedule_jobs(array(select id from graphile_worker.jobs where task_identifier = $1), now())`,
    [task]));
}

/** Jobs still queued after a timed run (left for the next phase otherwise): removed as the superuser. */
export async function clearQueue(adminUrl: string): Promise<number> {
  return withClient(adminUrl, async (c) => {
    const r = await c.query(`delete from graphile_worker._private_jobs where task_id in
      (select id from graphile_worker._private_tasks where identifier not like 'llm\\_\\_%')`);
    return r.rowCount ?? 0;
  });
}

/** No-op jobs/s on `jobs` jobs queued and held beforehand (queueHeldNoop), released once the runner is up. */
export async function measureNoop(o: { adminUrl: string; concurrency: number; pollIntervalMs: number; seconds: number;
  jobs: number }): Promise<JobsRun> {
  const pool = new Pool({ connectionString: urlForRole(o.adminUrl, 'llm_worker'), max: o.concurrency + 4 });
  pool.on('error', () => {}); // an idle connection dropped: graphile-worker reconnects
  pool.on('connect', (client) => client.on('error', () => {}));
  const events: WorkerEvents = new EventEmitter();
  const runner = await run({
    pgPool: pool,
    events,
    concurrency: o.concurrency,
    pollInterval: o.pollIntervalMs,
    noHandleSignals: true,
    taskList: { bench_noop: async () => {} },
    logger: quiet,
    parsedCronItems: [],
    preset: WORKER_PRESET,
  });
  try {
    await warmUp(events, o.concurrency * 2, () => queueNoop(o.adminUrl, o.concurrency * 2, false));
    const clock = jobClock(events, o.jobs, o.seconds);
    await releaseJobs(o.adminUrl, 'bench_noop');
    return await clock;
  } finally {
    await runner.stop().catch(() => {});
    await pool.end().catch(() => {});
    await clearQueue(o.adminUrl);
  }
}
