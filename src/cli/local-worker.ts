/**
 * The worker `npm start` (the demo) and `npm run db` run beside the embedded database: the
 * configured providers, or our local OpenAI-compatible server on loopback when none is configured,
 * with the configured models' prices written the way `npm run sync-config` writes them (an
 * explicit step of these two commands, never of a worker start).
 */
import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { loadConfig, type Config } from '../config';
import { pinnedUrl, urlForRole } from '../db/urls';
import { createLogger } from '../logger';
import { LOCAL_KEY_ENV, localProviderConfig } from '../provider/local-config';
import { startMockProvider, type MockProvider } from '../provider/mock-server';
import { startWorker, type StartedWorker } from '../worker/run';
import { syncConfig } from './sync-config';

export const LOCAL_MODELS = ['local:mock-chat', 'local:gpt-4o-mini', 'local:mock-reasoner', 'local:o4-mini', 'local:mock-llama', 'local:mock-embed'];

export interface LocalWorker {
  cfg: Config;
  worker: StartedWorker;
  stop(): Promise<void>;
}

/** `say` prints one line prefixed with the command's name, e.g. `start: ...`. */
export async function startLocalWorker(env: NodeJS.ProcessEnv, say: (s: string) => void, logLevel = 'warn'): Promise<LocalWorker> {
  let mock: MockProvider | null = null;
  if (!env.LLM_PROVIDERS && !env.LLM_CONFIG_FILE) {
    mock = await startMockProvider({ port: Number(env.LOCAL_PROVIDER_PORT ?? 0) });
    env.LLM_PROVIDERS = JSON.stringify([localProviderConfig(mock.baseUrl)]);
    env[LOCAL_KEY_ENV] = randomBytes(12).toString('hex');
    say(`no provider configured: using the local OpenAI-compatible server at ${mock.baseUrl} (models ${LOCAL_MODELS.join(', ')})`);
  }
  try {
    const cfg = loadConfig(env);
    const operator = new Pool({ connectionString: pinnedUrl(urlForRole(cfg.databaseUrl, 'llm_operator', env)), max: 1 });
    try {
      const changes = await syncConfig(operator, cfg.providers, { endpoints: cfg.endpoints });
      say(`sync-config: ${changes.filter((c) => c.action !== 'skip').length} change(s) to models, prices, fallbacks and endpoint cache settings`);
    } finally {
      await operator.end();
    }
    const worker = await startWorker({ ...cfg, worker: { ...cfg.worker, pollIntervalMs: Math.min(cfg.worker.pollIntervalMs, 200) } },
      createLogger({ level: env.LOG_LEVEL ?? logLevel }), env);
    return { cfg, worker, stop: async () => {
      await worker.stop();
      await mock?.stop();
    } };
  } catch (e) {
    await mock?.stop();
    throw e;
  }
}
