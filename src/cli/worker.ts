/**
 * `npm run worker`: runs just the worker against DATABASE_URL with the configured providers
 * (LLM_CONFIG_FILE and/or LLM_PROVIDERS), in library mode. Stops cleanly on SIGINT/SIGTERM
 * (graphile-worker finishes or releases its running jobs). If graphile-worker's pool fails for
 * good the process exits 1: run it under a supervisor (README "Supervision").
 */
import { loadConfig } from '../config';
import { createLogger } from '../logger';
import { startWorker } from '../worker/run';
import { stopSignal } from '../signals';

export async function runWorker(env: NodeJS.ProcessEnv = process.env, level?: string): Promise<number> {
  const cfg = loadConfig(env);
  const logger = createLogger({ level: level ?? cfg.logLevel });
  // Handlers before anything starts: graphile-worker may claim a job as soon as run() returns, a
  // supervisor may signal as soon as it reads `worker_started`, and until a listener exists the
  // kernel applies SIGTERM's default (the process dies mid-job without a clean stop).
  const signal = stopSignal();
  const worker = await startWorker(cfg, logger, env);
  logger.info({ event: 'worker_started', mode: 'library', concurrency: cfg.worker.concurrency, providers: cfg.providers.map((p) => p.name),
    metrics_port: worker.metricsPort, health_port: worker.healthPort, dashboard_url: worker.dashboardUrl }, 'worker started');
  const ended = await Promise.race([signal, worker.done.then(() => 'done', () => 'failed')]);
  if (ended === 'failed') {
    await worker.stop();
    return 1;
  }
  logger.info({ event: 'worker_stopping', signal: ended }, 'worker stopping');
  await worker.stop();
  return 0;
}

if (require.main === module) {
  runWorker().then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`worker: ${(e as Error)?.message ?? String(e)}\n`);
      process.exit(1);
    },
  );
}
