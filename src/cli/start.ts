/**
 * `npm start`.
 *   Without DATABASE_URL: the demo, end to end on one machine: an embedded PostgreSQL (.data/pg),
 *     migrate, our local OpenAI-compatible provider on loopback (unless providers are configured),
 *     its models' prices written the way `npm run sync-config` writes them, the worker, a demo
 *     batch enqueued through llm.enqueue_call, a summary from the audit views. Then everything
 *     stops; `npm run db` starts the database again and prints its connection strings.
 *   With DATABASE_URL: the worker only (like `npm run worker`); nothing is written to your
 *     database at start. `npm start -- --demo` runs the demo there (migrate, demo tenants, jobs).
 */
import { Pool } from 'pg';
import type { Config } from '../config';
import { relative } from 'node:path';
import { DEFAULT_EMBEDDED_PORT, EmbeddedRunningError, PG_DIR, startEmbedded, type EmbeddedServer } from '../db/embedded';
import { diagnoseLogin, isLoginError } from '../db/login-errors';
import { migrateAll } from '../db/migrate';
import { redactUrl, urlForRole } from '../db/urls';
import { demoJobs, enqueueDemo, seedDemoTenants } from '../demo/batch';
import { printSummary } from '../demo/summary';
import { waitForLlmJobs } from '../worker/queue';
import { startLocalWorker } from './local-worker';
import { runWorker } from './worker';

const say = (s: string) => process.stdout.write(`${s}\n`);

export async function main(argv: string[], env: NodeJS.ProcessEnv = { ...process.env }): Promise<number> {
  const demo = argv.includes('--demo');
  if (env.DATABASE_URL && !demo) {
    say(`start: DATABASE_URL is set: running the worker only, nothing is seeded (\`npm start -- --demo\` runs the demo in ${redactUrl(env.DATABASE_URL)})`);
    return runWorker(env);
  }
  let server: EmbeddedServer | null = null;
  if (!env.DATABASE_URL) {
    const port = Number(env.EMBEDDED_PG_PORT ?? DEFAULT_EMBEDDED_PORT);
    say(`start: no DATABASE_URL: booting embedded PostgreSQL on 127.0.0.1:${port} (data in ${relative(process.cwd(), PG_DIR) || PG_DIR})`);
    server = await startEmbedded(undefined, port);
    env.DATABASE_URL = server.adminUrl;
    for (const [k, v] of Object.entries(process.env)) if (/^LLM_[A-Z_]+_PASSWORD$|^LLM_CONTEXT_SECRET$/.test(k)) env[k] = v;
  }
  try {
    await runDemo(env);
    if (server) say('\nstart: done; the embedded database stops now. `npm run db` starts it again and prints its connection strings.');
    return 0;
  } finally {
    await server?.stop();
  }
}

async function runDemo(env: NodeJS.ProcessEnv): Promise<void> {
  if (!env.LLM_CONTEXT_SECRET) throw new Error('LLM_CONTEXT_SECRET is not set: the demo signs the application context with it (README "Request context")');
  const m = await migrateAll(env.DATABASE_URL!);
  say(`start: database ${m.database} at ${redactUrl(env.DATABASE_URL!)} is at head`);
  const local = await startLocalWorker(env, (s) => say(`start: ${s}`));
  try {
    await enqueueAndReport(local.worker.deps.pool, local.cfg, env);
  } finally {
    await local.stop();
  }
}

async function enqueueAndReport(workerPool: Pool, cfg: Config, env: NodeJS.ProcessEnv): Promise<void> {
  const runId = `demo-${new Date().toISOString().slice(0, 19).replace(/[-:T]/g, '')}`;
  const model = `${cfg.providers[0]!.name}:${cfg.providers[0]!.models[0]!.name}`;
  await seedDemoTenants(workerPool);
  const jobs = demoJobs(runId);
  say(`start: enqueueing ${jobs.length} requests by SQL (llm.enqueue_call, as llm_app) for 2 tenants and 4 users, default model ${model}`);
  const app = new Pool({ connectionString: urlForRole(cfg.databaseUrl, 'llm_app', env), max: 2 });
  try {
    await enqueueDemo(app, env.LLM_CONTEXT_SECRET!, jobs, model);
  } finally {
    await app.end();
  }
  await waitForLlmJobs(workerPool, 60_000, 100);
  const auditor = new Pool({ connectionString: urlForRole(cfg.databaseUrl, 'llm_auditor', env), max: 2 });
  try {
    say('');
    await printSummary(auditor, runId, say);
  } finally {
    await auditor.end();
  }
}

/** One line for every failure a user can meet here; never a stack trace. */
export async function describeFailure(e: unknown, env: NodeJS.ProcessEnv): Promise<string> {
  if (e instanceof EmbeddedRunningError) return e.message;
  if (isLoginError(e) && env.DATABASE_URL) {
    const why = await diagnoseLogin(env.DATABASE_URL, ['llm_owner', 'llm_worker', 'llm_operator', 'llm_app', 'llm_auditor'], env).catch(() => null);
    if (why) return why;
  }
  return (e as Error)?.message ?? String(e);
}

if (require.main === module) {
  const env = { ...process.env };
  main(process.argv.slice(2), env).then(
    (code) => process.exit(code),
    async (e: unknown) => {
      process.stderr.write(`start: ${await describeFailure(e, env)}\n`);
      process.exit(1);
    },
  );
}
