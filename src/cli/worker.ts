/**
 * `npm run worker`: runs just the worker against DATABASE_URL with the configured providers
 * (LLM_PROVIDERS or LLM_CONFIG_FILE). Stops cleanly on SIGINT/SIGTERM.
 */
import { loadConfig } from '../config';
import { createLogger } from '../logger';
import { startWorker } from '../worker/run';

async function main(): Promise<void> {
  const cfg = loadConfig();
  const logger = createLogger({ level: cfg.logLevel });
  const worker = await startWorker(cfg, logger);
  logger.info({ event: 'worker_started', concurrency: cfg.worker.concurrency, providers: cfg.providers.map((p) => p.name) }, 'worker started');
  const stop = async (signal: string) => {
    logger.info({ event: 'worker_stopping', signal }, 'worker stopping');
    await worker.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((e) => {
  process.stderr.write(`worker: ${(e as Error).message}\n`);
  process.exit(1);
});
