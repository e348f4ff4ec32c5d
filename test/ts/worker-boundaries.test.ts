/**
 * The worker lets graphile-worker be graphile-worker:
 *   - no SQL of ours touches graphile-worker's private tables (a grep over src/ and tasks/);
 *   - its own CLI (`npx graphile-worker --once`, graphile.config.js, tasks/*.js) runs our tasks;
 *   - the shared LISTEN connection wakes cache-fill waits on a real NOTIFY, and survives losing its
 *     connection.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Pool } from 'pg';
import { createLogger } from '../../src/logger';
import { CacheFillListener } from '../../src/worker/cache-fill-listener';
import { TASK_NAMES } from '../../src/worker/tasks';
import { localProviderConfig, LOCAL_KEY_ENV } from '../../src/provider/local-config';
import { createHarness, FAKE_KEY, payload } from '../support/worker-harness';
import { createTestDb, type TestDb } from '../support/db';

const ROOT = join(__dirname, '..', '..');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : /\.(ts|js|sql)$/.test(f) ? [p] : [];
  });
}

test('no SQL in src/ or tasks/ touches graphile_worker._private_* tables', () => {
  const offenders = [...files(join(ROOT, 'src')), ...files(join(ROOT, 'tasks')), join(ROOT, 'graphile.config.js')]
    .filter((f) => /_private_(jobs|job_queues|tasks|known_crontabs)|graphile_worker\._private/i.test(readFileSync(f, 'utf8')))
    .map((f) => f.slice(ROOT.length + 1));
  expect(offenders).toEqual([]);
});

test('the worker code does not replace graphile-worker: it unlocks its own failed pool once idle, and dead processes\' ids only through graphile-worker\'s public force_unlock_workers', () => {
  const src = files(join(ROOT, 'src')).map((f) => readFileSync(f, 'utf8')).join('\n');
  expect(src).not.toMatch(/force_unlock_workers|unlock_dead_workers|permanently_fail_jobs/);
  // A dead process's locks: released in SQL (sql/api/120-workers.sql, the cron job llm__release_dead_locks) with
  // graphile-worker's public force_unlock_workers, for the ids no live worker's heartbeat names (graphile-worker's own
  // answer is its 4-hour lock timeout; graphile-worker-rs has the same heartbeat-and-sweep design as an option).
  const sql = readFileSync(join(ROOT, 'sql', 'api', '120-workers.sql'), 'utf8');
  expect(sql.match(/graphile_worker\.force_unlock_workers\(/g)).toHaveLength(1);
  expect(sql).not.toMatch(/_private_(jobs|job_queues)/);
  expect(src.match(/llm\.release_dead_worker_locks\(/g)).toHaveLength(1);
  // The one forceUnlockWorkers: run.ts, after its own pool's fatal error, with the ids that pool locked with, and only when
  // none of its jobs has run for a second (faults.test.ts shows it end to end).
  expect(src.match(/\.forceUnlockWorkers\(/g)).toHaveLength(1);
  const run = readFileSync(join(ROOT, 'src', 'worker', 'run.ts'), 'utf8');
  expect(run).toContain('utils.forceUnlockWorkers(ids)');
  expect(run).toMatch(/if \(idleMs >= 1_000\) await releaseOwnLocks\(rt\.lockIds\.list\(\)/);
  const health = readFileSync(join(ROOT, 'src', 'worker', 'health.ts'), 'utf8');
  expect(health).toMatch(/events\.on\('pool:create', \(\{ workerPool \}\) => \{\n\s+this\.poolId = workerPool\.id;\n\s+this\.ids\.add\(workerPool\.id\);/);
  expect(health).toContain("events.on('worker:create', ({ worker }) => void this.ids.add(worker.workerId));");
});

test('tasks/ holds exactly one loadable file per task, for graphile-worker\'s CLI', () => {
  expect(readdirSync(join(ROOT, 'tasks')).sort()).toEqual(TASK_NAMES.map((n) => `${n}.js`).sort());
});

describe('against a database', () => {
  let db: TestDb;
  let admin: Pool;
  beforeAll(async () => {
    db = await createTestDb();
    admin = db.pool('admin', 2);
  });
  afterAll(async () => db.drop());

  test("a job runs through graphile-worker's own runner (npx graphile-worker --once, graphile.config.js)", async () => {
    await admin.query(`set role llm_worker; select graphile_worker.add_job('llm__expire_holds', '{}'::json, max_attempts => 1); reset role`);
    const r = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'graphile-worker', 'dist', 'cli.js'), '--once'], {
      cwd: ROOT, encoding: 'utf8', timeout: 60_000,
      env: { ...process.env, DATABASE_URL: db.adminUrl, LOG_LEVEL: 'info', LLM_PROVIDERS: '', LLM_CONFIG_FILE: '' },
    });
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    expect(r.stdout).toMatch(/"event":"worker_started","mode":"graphile-worker-cli"/);
    // Its lock ids are logged here too, though the runtime is built before graphile-worker's pool exists (its postmigrate hook).
    expect(r.stdout).toMatch(/"event":"worker_lock_ids","locked_by":\["[^"]+","[^"]+"/);
    expect(r.stdout).toMatch(/Completed task \d+ \(llm__expire_holds, [\d.]+ms\) with success/);
    const { rows } = await admin.query(`select count(*)::int as n from graphile_worker.jobs where task_identifier = 'llm__expire_holds'`);
    expect(rows[0].n).toBe(0);
  }, 90_000);

  test('a bad setting stops graphile-worker\'s CLI with one line naming the variable', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'graphile-worker', 'dist', 'cli.js'), '--once'], {
      cwd: ROOT, encoding: 'utf8', timeout: 60_000, env: { ...process.env, DATABASE_URL: db.adminUrl, WORKER_CONCURRENCY: 'many' },
    });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe('graphile-worker: config: WORKER_CONCURRENCY: must be a whole number');
  }, 60_000);

  test.each(['--schema-only', '--schemaOnly', '--schema-only=true'])('graphile-worker %s updates its schema and exits, building no runtime',
    (flag) => {
      // (review 87) The worker runtime is built in graphile-worker's postmigrate hook, which runs for --schema-only too:
      // only the exact spelling skipped it, and --schemaOnly started the runtime, then "failed to exit naturally" (exit 1).
      const r = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'graphile-worker', 'dist', 'cli.js'), flag], {
        cwd: ROOT, encoding: 'utf8', timeout: 60_000, env: { ...process.env, DATABASE_URL: db.adminUrl, LOG_LEVEL: 'info', LLM_PROVIDERS: '',
          LLM_CONFIG_FILE: '' },
      });
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
      expect(r.stdout).toContain('Schema updated');
      expect(r.stdout).not.toMatch(/worker_started|metrics_listening|health_listening/);
    }, 60_000);

  test('one LISTEN connection wakes waits on NOTIFY llm_cache_filled, by key, and comes back after losing its connection', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write(c, _e, cb) { lines.push(String(c)); cb(); } });
    const listener = new CacheFillListener(db.url('llm_worker'), createLogger({ level: 'debug', destination: sink }));
    await listener.start();
    try {
      expect(listener.listening).toBe(true);
      const since = Date.now();
      const w = listener.waitFor('key-a', since, 5000);
      const other = listener.waitFor('key-b', since, 300);
      await admin.query(`select pg_notify('llm_cache_filled', 'key-a')`);
      expect(await w).toBe('filled');
      expect(await other).toBe('timeout');

      await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'llm-worker-listen' and datname = $1`, [db.name]);
      const until = Date.now() + 10_000;
      while (Date.now() < until && !(lines.join('').includes('listen_lost') && listener.listening)) await new Promise((r) => setTimeout(r, 50));
      expect(listener.listening).toBe(true);
      const w2 = listener.waitFor('key-c', Date.now(), 5000);
      await admin.query(`select pg_notify('llm_cache_filled', 'key-c')`);
      expect(await w2).toBe('filled');
      const { rows } = await admin.query(`select count(*)::int as n from pg_stat_activity where application_name = 'llm-worker-listen' and datname = $1`, [db.name]);
      expect(rows[0].n).toBe(1);
    } finally {
      await listener.stop();
    }
  }, 30_000);
});

function runAsync(cmd: string, args: string[], env: Record<string, string>, timeoutMs: number) {
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const p = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, timeout: timeoutMs });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('an LLM job through graphile-worker\'s own CLI (needs the v2 SQL API)', () => {
  test('npx graphile-worker --once runs a governed call end to end', async () => {
    const h = await createHarness();
    try {
      await h.enqueue(payload('cli-1'));
      // Asynchronously: the mock provider answers from this process's event loop, which spawnSync would block.
      const r = await runAsync(process.execPath, [join(ROOT, 'node_modules', 'graphile-worker', 'dist', 'cli.js'), '--once'], {
        DATABASE_URL: h.db.adminUrl, LLM_PROVIDERS: JSON.stringify([localProviderConfig(h.mock.baseUrl)]), [LOCAL_KEY_ENV]: FAKE_KEY, LOG_LEVEL: 'info',
      }, 60_000);
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
      expect(r.stdout).toMatch(/"event":"settle"/);
      expect(await h.result('cli-1')).toMatchObject({ state: 'done' });
      expect(h.mock.count((x) => JSON.stringify(x.body).includes('cli-1'))).toBe(1);
    } finally {
      await h.close();
    }
  }, 90_000);
});
