/**
 * `npm start`: the product's main job, end to end on one machine.
 *   Postgres: DATABASE_URL, or an embedded server when it is unset; migrate to head.
 *   Provider: LLM_PROVIDERS / LLM_CONFIG_FILE, or our local OpenAI-compatible server on loopback.
 *   Then: start the worker, enqueue a demo batch through SQL, wait, print a summary from the audit views.
 * `npm start -- --worker-only` runs just the worker (like `npm run worker`) after migrating.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Pool } from 'pg';
import { loadConfig, type Config } from '../config';
import { startEmbedded, type EmbeddedServer } from '../db/embedded';
import { migrateAll, MIGRATIONS_DIR } from '../db/migrate';
import { redactUrl, urlForRole } from '../db/urls';
import { demoJobs, enqueueDemo, seedDemoTenants } from '../demo/batch';
import { printSummary } from '../demo/summary';
import { createLogger } from '../logger';
import { LOCAL_KEY_ENV, localProviderConfig } from '../provider/local-config';
import { startMockProvider, type MockProvider } from '../provider/mock-server';
import { waitForLlmJobs } from '../worker/queue';
import { startWorker } from '../worker/run';

const say = (s: string) => process.stdout.write(`${s}\n`);

async function main(argv: string[]): Promise<void> {
  const workerOnly = argv.includes('--worker-only');
  let server: EmbeddedServer | null = null;
  let mock: MockProvider | null = null;
  const env = { ...process.env };
  if (!env.DATABASE_URL) {
    const port = Number(env.EMBEDDED_PG_PORT ?? 54329);
    say(`start: no DATABASE_URL: booting embedded PostgreSQL on 127.0.0.1:${port} (data in .data/pg)`);
    server = await startEmbedded('llm_governor', port);
    env.DATABASE_URL = server.adminUrl;
    for (const k of Object.keys(process.env)) if (k.endsWith('_PASSWORD')) env[k] = process.env[k];
  }
  try {
    const m = await migrateAll(env.DATABASE_URL);
    say(`start: database ${m.database} at ${redactUrl(env.DATABASE_URL)} is at head`);
    await printStatus(env);
    if (!env.LLM_PROVIDERS && !env.LLM_CONFIG_FILE) {
      mock = await startMockProvider({ port: 0 });
      env.LLM_PROVIDERS = JSON.stringify([localProviderConfig(mock.baseUrl)], (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
      env[LOCAL_KEY_ENV] = randomBytes(12).toString('hex');
      say(`start: no provider configured: using the local OpenAI-compatible server at ${mock.baseUrl}`);
    }
    const cfg: Config = loadConfig(env);
    const logger = createLogger({ level: env.LOG_LEVEL ?? (workerOnly ? 'info' : 'warn') });
    const worker = await startWorker({ ...cfg, worker: { ...cfg.worker, pollIntervalMs: Math.min(cfg.worker.pollIntervalMs, 200) } }, logger, env);
    if (workerOnly) {
      say('start: worker running (Ctrl-C to stop)');
      await new Promise<void>((resolve) => process.once('SIGINT', resolve).once('SIGTERM', resolve));
      await worker.stop();
      return;
    }
    await runDemo(worker.deps.pool, env, cfg);
    await worker.stop();
  } finally {
    await mock?.stop();
    await server?.stop();
  }
}

/** Server, schema version and what the ledger holds, read as the auditor. */
async function printStatus(env: NodeJS.ProcessEnv): Promise<void> {
  const auditor = new Pool({ connectionString: urlForRole(env.DATABASE_URL!, 'llm_auditor', env), max: 1 });
  try {
    const { rows } = await auditor.query(`
      select split_part(version(), ' on ', 1) as server, (select api_hash from llm_private.schema_state) as api_hash,
             (select count(*) from llm_private.tenants)::int as tenants, (select count(*) from llm_private.users)::int as users,
             (select count(*) from llm.calls)::int as calls`);
    const r = rows[0];
    say(`start: ${r.server}; schema version ${String(r.api_hash).slice(0, 12)} (${latestMigration()}); ` +
      `tenants ${r.tenants}, users ${r.users}, calls so far ${r.calls}`);
  } finally {
    await auditor.end();
  }
}

function latestMigration(): string {
  return readdirSync(join(MIGRATIONS_DIR, 'committed')).filter((f) => f.endsWith('.sql')).sort().at(-1) ?? 'no migration';
}

async function runDemo(pool: Pool, env: NodeJS.ProcessEnv, cfg: Config): Promise<void> {
  const runId = `demo-${new Date().toISOString().slice(0, 19).replace(/[-:T]/g, '')}`;
  const model = `${cfg.providers[0]!.name}:${cfg.providers[0]!.models[0]!.name}`;
  await seedDemoTenants(pool);
  const jobs = demoJobs(runId);
  say(`start: enqueueing ${jobs.length} jobs by SQL (llm.enqueue_call) for 2 tenants and 4 users, model ${model}`);
  await enqueueDemo(pool, jobs, model);
  await waitForLlmJobs(pool, 60000, 100);
  const auditor = new Pool({ connectionString: urlForRole(env.DATABASE_URL!, 'llm_auditor', env), max: 2 });
  try {
    say('');
    await printSummary(auditor, runId, say);
  } finally {
    await auditor.end();
  }
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`start: ${(e as Error).message}\n`);
    process.exit(1);
  },
);
