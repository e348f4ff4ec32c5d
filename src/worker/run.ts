/**
 * Library mode: graphile-worker's `run()` with our task list and crontab (what `npm run worker`,
 * `npm start` and the tests use). graphile-worker is left to be graphile-worker: no writes to its
 * tables, no replacement of its runner. If its pool fails for good, `done` rejects and the process
 * exits non-zero so that the supervisor (systemd, a container runtime) starts a fresh one. Before
 * that, the pool's own job locks are released with graphile-worker's public forceUnlockWorkers:
 * the pool is known to be gone (it shut down, no job of it runs), and without this its jobs would
 * wait for the 4-hour lock timeout before the fresh worker could retry them.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { makeWorkerUtils, run, type Runner } from 'graphile-worker';
import { shutdownGraceMs, type Config } from '../config';
import type { Logger } from '../logger';
import { waitAtMost } from '../wait';
import type { WorkerDeps } from './deps';
import { createRuntime, graphileLogger } from './runtime';
import { crontab, taskList } from './tasks';

export { checkSchemaVersion, SchemaVersionError } from './runtime';

export interface StartedWorker {
  runner: Runner;
  deps: WorkerDeps;
  /** The port /metrics listens on, when metricsPort is set. */
  metricsPort: number | null;
  /** The port /healthz listens on, when healthPort is set. */
  healthPort: number | null;
  /** The dashboard's base URL, when dashboardPort is set. */
  dashboardUrl: string | null;
  /** Settles when the runner ends: resolves after stop(), rejects if graphile-worker's pool failed. */
  done: Promise<void>;
  stop(): Promise<void>;
}

export async function startWorker(cfg: Config, logger: Logger, env: NodeJS.ProcessEnv = process.env): Promise<StartedWorker> {
  const rt = await createRuntime(cfg, logger, env);
  // How many of its jobs run now (the ids its pool locks them with are rt.lockIds).
  let runningJobs = 0;
  rt.events.on('job:start', () => void runningJobs++);
  rt.events.on('job:complete', () => void runningJobs--);
  // A pool that could not record a completion or failure (graphile/worker#636) starts a graceful shutdown that
  // never ends in 0.17 (the batcher's backpressure is never released), so runner.promise does not settle: the
  // fatal error itself is the signal.
  let poolFailed: (e: Error) => void = () => {};
  const fatal = new Promise<never>((_resolve, reject) => (poolFailed = reject));
  rt.events.on('pool:fatalError', ({ error }) => poolFailed(error instanceof Error ? error : new Error(String(error))));
  let runner: Runner;
  try {
    runner = await run({
      events: rt.events,
      pgPool: rt.deps.pool,
      concurrency: cfg.worker.concurrency,
      pollInterval: cfg.worker.pollIntervalMs,
      noHandleSignals: true,
      taskList: taskList(rt.deps),
      crontab: crontab(),
      logger: graphileLogger(logger),
      // Batched completion: 0.17's unbatched path leaves an unhandled rejection behind when it fails.
      // The batched path does not retry either (graphile/worker#636: its retry loop exits on the first
      // error): one lost connection while completing shuts the pool down, handled below.
      preset: { worker: { completeJobBatchDelay: 0, failJobBatchDelay: 0, gracefulShutdownAbortTimeout: shutdownGraceMs(cfg) } },
    });
  } catch (e) {
    await rt.close();
    throw e;
  }
  let stopping: Promise<void> | null = null;
  let failed = false;
  const done = Promise.race([runner.promise, fatal]).then(
    () => undefined,
    async (e: Error) => {
      failed = true;
      logger.fatal({ event: 'worker_pool_failed', error: e?.message }, 'graphile-worker stopped with an error');
      // Its running jobs end on their own (each records its outcome in our tables first). Locks are released only
      // once none has run for a second: a job still running keeps its lock, so no call is ever made twice at once.
      let idleMs = 0;
      for (let waited = 0; idleMs < 1_000 && waited < cfg.callTimeoutMs + 30_000; waited += 50) {
        await sleep(50);
        idleMs = runningJobs > 0 ? 0 : idleMs + 50;
      }
      if (idleMs >= 1_000) await releaseOwnLocks(rt.lockIds.list(), rt.deps.pool, logger);
      else logger.error({ event: 'worker_locks_kept', running_jobs: runningJobs }, 'jobs of the failed pool still run: their locks stay until graphile-worker\'s lock timeout');
      throw e;
    },
  );
  done.catch(() => {}); // observed by the caller through `done`
  return {
    runner,
    deps: rt.deps,
    metricsPort: rt.metricsPort,
    healthPort: rt.healthPort,
    dashboardUrl: rt.dashboardUrl,
    done,
    stop() {
      stopping ??= (async () => {
        // A failed pool may never finish stopping (see above): do not wait for it beyond a moment.
        const bounded = (p: Promise<unknown>): Promise<unknown> => (failed ? waitAtMost(p, 2_000) : p);
        await bounded(runner.stop().catch(() => {}));
        await bounded(rt.close());
      })();
      return stopping;
    },
  };
}

/** After this process's pool failed: its jobs are unlocked for the next worker (graphile-worker's own API). */
async function releaseOwnLocks(ids: string[], pgPool: WorkerDeps['pool'], logger: Logger): Promise<void> {
  if (!ids.length) return;
  try {
    const utils = await makeWorkerUtils({ pgPool });
    try {
      await utils.forceUnlockWorkers(ids);
    } finally {
      await utils.release();
    }
    logger.warn({ event: 'worker_locks_released', locked_by: ids }, 'released the failed pool\'s job locks: a fresh worker retries its jobs at once');
  } catch (e) {
    logger.error({ event: 'worker_locks_release_failed', locked_by: ids, error: (e as Error)?.message },
      'could not release the failed pool\'s job locks: its jobs wait for graphile-worker\'s lock timeout');
  }
}
