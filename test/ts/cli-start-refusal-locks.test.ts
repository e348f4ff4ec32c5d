/**
 * graphile-worker's own CLI (`npx graphile-worker`, README "Running the worker": one of the three ways to run the worker)
 * builds our runtime in graphile-worker's postmigrate hook, before its pool polls (src/worker/cli.ts). When the runtime
 * refuses to start (a database not yet migrated to this release: the new worker started before `npm run migrate`; a
 * HEALTH_PORT or METRICS_PORT still bound by the worker being replaced; a damaged catalog; a later release's database),
 * the process exits 1 with one line and no job is locked. Built on the pool's creation, it refused after graphile-worker's
 * workers had locked jobs, which nothing released until graphile-worker's 4-hour lock timeout: their requests waited, one
 * attempt used, and under a supervisor that restarts every 2 s (ops/systemd) each start stranded up to `concurrency` more
 * (upgrade drill 84, which wrote these tests).
 */
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import type { Pool } from 'pg';
import { createTestDb, type TestDb } from '../support/db';

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'node_modules', 'graphile-worker', 'dist', 'cli.js');

let db: TestDb;
let admin: Pool;
beforeAll(async () => {
  db = await createTestDb();
  admin = db.pool('admin', 2);
});
afterAll(async () => db.drop());

async function queueJobs(n: number): Promise<void> {
  // Jobs as the database writes them for queued requests (the payload does not matter: the refused start runs no task).
  await admin.query(`set role llm_worker;
    select graphile_worker.add_job('explanation', json_build_object('tenant_id', gen_random_uuid(), 'user_id', gen_random_uuid(),
           'request_pk', g), max_attempts => 3) from generate_series(1, ${n}) g;
    reset role`);
}
const locked = async () =>
  (await admin.query(`select count(*)::int as n from graphile_worker.jobs where locked_at is not null`)).rows[0].n as number;

function startCli(env: Record<string, string>) {
  return spawnSync(process.execPath, [CLI], {
    cwd: ROOT, encoding: 'utf8', timeout: 60_000,
    env: { ...process.env, DATABASE_URL: db.adminUrl, LLM_PROVIDERS: '', LLM_CONFIG_FILE: '', LOG_LEVEL: 'info', ...env },
  });
}

afterEach(async () => {
  await admin.query(`set role llm_worker; delete from graphile_worker.jobs; reset role`).catch(() => {});
});

test('a CLI start refused because HEALTH_PORT is taken (the worker being replaced still has it) leaves no job locked', async () => {
  await queueJobs(12);
  const holder: Server = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  const port = (holder.address() as { port: number }).port;
  try {
    const r = startCli({ HEALTH_PORT: String(port), WORKER_CONCURRENCY: '4' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/EADDRINUSE/);
    expect(r.stderr).toMatch(/^graphile-worker: HEALTH_PORT=\d+ cannot be served on 127\.0\.0\.1: EADDRINUSE/m);
    expect(await locked()).toBe(0); // 4 jobs were locked by the dead process (graphile-worker frees them after 4 hours)
  } finally {
    await new Promise((resolve) => holder.close(resolve));
  }
}, 90_000);

test('a CLI start refused because the database is not migrated to this release leaves no job locked', async () => {
  // The database as the previous release left it: another API, an older generation (the new worker before the migrate).
  await admin.query(`update llm_private.schema_state set api_hash = 'previous-release', api_generation = api_generation - 1`);
  await queueJobs(24);
  // It was a race between graphile-worker's first poll and our schema check: a few starts, as a supervisor makes them (in
  // the drill, 4 to 12 jobs were stranded after 6 starts).
  const strandedAfter: number[] = [];
  for (let i = 0; i < 6; i++) {
    const r = startCli({ WORKER_CONCURRENCY: '8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^graphile-worker: database schema is not at the version this code expects \(API generation \d+, this code's \d+\): run this release's `npm run migrate` first$/m);
    strandedAfter.push(await locked());
  }
  expect(strandedAfter).toEqual([0, 0, 0, 0, 0, 0]);
}, 180_000);
