/**
 * Library mode: graphile-worker's `run()` with our task list and crontab (what `npm run worker`,
 * `npm start` and the tests use). graphile-worker is left to be graphile-worker: no writes to its
 * tables, no replacement of its runner. If its pool fails for good, `done` rejects and the process
 * exits non-zero so that the supervisor (systemd, a container runtime) starts a fresh one.
 */
import { run, type Runner } from 'graphile-worker';
import type { Config } from '../config';
import type { Logger } from '../logger';
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
      // Batched completion retries a lost connection (with backoff) instead of leaving an
      // unhandled rejection behind, as 0.17's unbatched path does.
      preset: { worker: { completeJobBatchDelay: 0, failJobBatchDelay: 0 } },
    });
  } catch (e) {
    await rt.close();
    throw e;
  }
  let stopping: Promise<void> | null = null;
  const done = runner.promise.then(
    () => undefined,
    (e: Error) => {
      logger.fatal({ event: 'worker_pool_failed', error: e?.message }, 'graphile-worker stopped with an error');
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
        await runner.stop().catch(() => {});
        await rt.close();
      })();
      return stopping;
    },
  };
}
