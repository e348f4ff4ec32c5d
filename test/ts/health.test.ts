/**
 * Supervision: the worker's /healthz and ops/container/healthcheck.js (what the container
 * HEALTHCHECK, the Kubernetes probe and the systemd timer run) say healthy while graphile-worker's
 * pool runs and the database answers, and unhealthy once it stops. Its body and the worker's log
 * name the ids the worker locks jobs with, the same ones.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/logger';
import { parseConfig } from '../../src/config';
import { WorkerHealth } from '../../src/worker/health';
import { startWorker } from '../../src/worker/run';
import { createTestDb } from '../support/db';

const ROOT = join(__dirname, '..', '..');
/** Async: the server answering is in this process, a synchronous spawn would block it. */
function check(port: number): Promise<{ status: number | null; stderr: string }> {
  const child = spawn(process.execPath, [join(ROOT, 'ops', 'container', 'healthcheck.js')], { env: { ...process.env, HEALTH_PORT: String(port) } });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.once('exit', (status) => resolve({ status, stderr })));
}

test('healthy while running, unhealthy after stop; the check script exits 0 then 1; it names the lock ids the log gave', async () => {
  const db = await createTestDb();
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({ write(chunk, _enc, cb) {
    lines.push(...String(chunk).split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>));
    cb();
  } });
  const worker = await startWorker(parseConfig({ databaseUrl: db.adminUrl, healthPort: 0, worker: { concurrency: 2, pollIntervalMs: 100 } }),
    createLogger({ level: 'info', destination }));
  try {
    const port = worker.healthPort!;
    const until = Date.now() + 10_000;
    let body: Record<string, unknown> = {};
    while (Date.now() < until) {
      body = await (await fetch(`http://127.0.0.1:${port}/healthz`)).json() as Record<string, unknown>;
      if (body.ok) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(body).toMatchObject({ ok: true, running: true, db_ok: true, jobs_running: 0, fatal: null });
    // The pool's id and each of its two workers' ids, logged once at start: what graphile_worker.jobs.locked_by shows for
    // this worker's jobs (worker-processes.test.ts: a killed worker's job carries one of its logged ids).
    const logged = lines.filter((l) => l.event === 'worker_lock_ids');
    expect(logged).toHaveLength(1);
    expect(logged[0]!.level).toBe('info');
    expect(body.locked_by).toEqual(logged[0]!.locked_by);
    expect(body.locked_by).toHaveLength(3);
    expect(new Set(body.locked_by as string[]).size).toBe(3);
    expect((await check(port)).status).toBe(0);
    await worker.runner.stop();
    const after = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(after.status).toBe(503);
    expect(await after.json()).toMatchObject({ ok: false, running: false });
    const r = await check(port);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/healthcheck: unhealthy/);
  } finally {
    await worker.stop();
    await db.drop();
  }
  expect((await check(1)).status).toBe(1); // nothing listens
});

test('a pool that stops asking for jobs while idle is unhealthy; a running job keeps it healthy', () => {
  const pool = { query: async () => ({ rows: [] }) } as never;
  const h = new WorkerHealth(pool, 60_000);
  const now = Date.now();
  h.poolCreated();
  (h as unknown as { lastPingOk: number }).lastPingOk = now;
  expect(h.report(now + 1_000).ok).toBe(true);
  expect(h.report(now + 61_000)).toMatchObject({ ok: false, db_ok: false });
  (h as unknown as { lastPingOk: number }).lastPingOk = now + 61_000;
  expect(h.report(now + 61_000)).toMatchObject({ ok: false, db_ok: true });
  (h as unknown as { jobs: number }).jobs = 1;
  expect(h.report(now + 61_000).ok).toBe(true);
});

test('heartbeats: steady only after a window without a failure; a failed one (a database outage) starts the window again', async () => {
  // (review 92) The dead-lock release waits until this process's heartbeats are steady for a minute: right after an outage
  // every live worker's heartbeat is stale, and their jobs would look dead.
  let fail = false;
  const queries: string[] = [];
  const pool = { query: async (sql: string) => {
    queries.push(sql);
    if (fail) throw Object.assign(new Error('connection refused'), { code: 'ECONNREFUSED' });
    return { rows: [] };
  } } as never;
  const ids = { poolId: 'pool-x', list: () => ['pool-x', 'w-1'] };
  const h = new WorkerHealth(pool, 60_000, ids as never);
  const beat = () => (h as unknown as { heartbeat(): Promise<void> }).heartbeat();
  h.poolCreated();
  expect(h.heartbeatSteadyFor(0)).toBe(false); // never beat yet
  await beat();
  expect(queries.at(-1)).toMatch(/llm\.record_worker_heartbeat/);
  const t0 = Date.now();
  expect(h.heartbeatSteadyFor(60_000, t0 + 5_000)).toBe(false);
  (h as unknown as { heartbeatOkAt: number }).heartbeatOkAt = t0 + 60_000; // beating every 10 s since
  expect(h.heartbeatSteadyFor(60_000, t0 + 61_000)).toBe(true);
  expect(h.heartbeatSteadyFor(60_000, t0 + 95_000)).toBe(false); // no beat for 35 s
  fail = true;
  await beat();
  fail = false;
  await beat();
  expect(h.heartbeatSteadyFor(60_000)).toBe(false); // the window starts again after the failure
});
