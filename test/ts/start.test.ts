/**
 * `npm start` and `npm run db` as a new user meets them:
 *   - with DATABASE_URL, `npm start` runs the worker only and writes nothing (no demo data);
 *   - without it, `npm start` is the demo: its summary shows every request, a refusal, alerts, a budget
 *     scope, a semantic cache hit and no drift; then it prints the dashboard's URL, which serves the
 *     audit views as llm_viewer (HTML and JSON), and keeps running until Ctrl-C;
 *   - `npm run db` keeps the embedded database running and prints what the other commands need;
 *   - a second start while one runs: one clear line, no stack trace;
 *   - a role without its password: the message names the role and the variable.
 * The embedded server lives in a temporary EMBEDDED_DATA_DIR on a free port, never in .data/.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { localProviderConfig, LOCAL_KEY_ENV } from '../../src/provider/local-config';
import { createTestDb } from '../support/db';
import { freeServerPort } from '../support/ports';

const ROOT = join(__dirname, '..', '..');
const cli = (name: string) => [process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'cli', `${name}.ts`)]] as const;

interface Child {
  proc: ChildProcess;
  out: () => string;
  exited: Promise<number | null>;
}

function start(name: string, args: string[], env: NodeJS.ProcessEnv): Child {
  const [node, base] = cli(name);
  const proc = spawn(node, [...base, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  proc.stdout!.on('data', (d) => (text += d));
  proc.stderr!.on('data', (d) => (text += d));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  return { proc, out: () => text, exited };
}

async function until(what: string, check: () => boolean, ms = 60_000, child?: Child): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${child ? `:\n${child.out()}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const baseEnv = (): NodeJS.ProcessEnv => {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (/^(LLM_|DATABASE_URL$|EMBEDDED_|METRICS_PORT|HEALTH_PORT|DASHBOARD_|OTEL_)/.test(k)) delete env[k];
  return env;
};

test('with DATABASE_URL, npm start runs the worker only and writes no demo data', async () => {
  const db = await createTestDb();
  const admin = db.pool('admin', 1);
  const count = async () => (await admin.query(`select (select count(*) from llm_private.tenants)::int as tenants,
    (select count(*) from graphile_worker.jobs where task_identifier not like 'llm\\_\\_%')::int as jobs`)).rows[0];
  const before = await count();
  const child = start('start', [], { ...baseEnv(), DATABASE_URL: db.adminUrl, LOG_LEVEL: 'info',
    LLM_PROVIDERS: JSON.stringify([localProviderConfig('http://127.0.0.1:9/v1')]), [LOCAL_KEY_ENV]: 'k' });
  try {
    await until('the worker to start', () => child.out().includes('"event":"worker_started"'), 60_000, child);
    expect(child.out()).toContain('start: DATABASE_URL is set: running the worker only, nothing is seeded');
    expect(child.out()).not.toContain('enqueueing');
    child.proc.kill('SIGTERM');
    expect(await child.exited).toBe(0);
    expect(await count()).toEqual(before);
  } finally {
    child.proc.kill('SIGKILL');
    await db.drop();
  }
}, 90_000);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

test('npm start is the demo: a refusal, alerts, a budget scope, a semantic hit, no drift; then the dashboard at the URL it prints', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'llmgov-demo-'));
  chmodSync(dataDir, 0o755); // as root, the server runs as the postgres OS user
  const port = await freeServerPort();
  const child = start('start', [], { ...baseEnv(), EMBEDDED_DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(port), DASHBOARD_PORT: '0' });
  try {
    await until('the dashboard URL', () => /Ctrl-C stops them/.test(child.out()), 150_000, child);
    const out = child.out();
    const runId = /requests of this run \(13\)[^\n]*\n[^\n]*\n[^\n]*\n(demo-\d{14})-1 /.exec(out)?.[1];
    expect(runId).toBeDefined();
    expect(out).toMatch(/^request +endpoint +decisions +model +calls +cost USD$/m);
    const row = (n: number) => new RegExp(`^${runId}-${n} +(\\S+) +(.+?) +(local:\\S+(?:, local:\\S+)?) +(\\d+) +(\\d+\\.\\d{6})$`, 'm').exec(out);
    expect(row(1)?.slice(1, 3)).toEqual(['route', 'allow']);
    expect(row(7)?.slice(1, 3)).toEqual(['investigation', 'allow, allow']); // the provider's 500, retried
    expect(row(9)?.slice(1, 3)).toEqual(['route', 'block/user_monthly']); // cy's small cap
    expect(row(13)?.slice(1, 3)).toEqual(['explanation', 'embed:allow, cached/semantic_hit']); // request 12 reworded
    expect([3, 10, 11].map((n) => row(n)?.[2]).sort()).toEqual(['allow', 'allow', 'block/investigation_calls']); // 2 calls per investigation
    expect(out).toMatch(/^refusals this month \(llm\.refusals_by_reason\): investigation_calls 1, user_monthly 1$/m);
    expect(out).toMatch(/^alerts this month \(llm\.alerts\): 3, investigation_calls 80 %, 95 %, 100 %$/m);
    expect(out).toContain(`budget scope ${runId}-checkout-latency (llm.budget_scopes): 2 / 2 calls, `);
    expect(out).toMatch(/^cache this month \(llm\.cache_stats\): 1 hit\(s\), 1 semantic, saved 0\.\d{6} USD$/m);
    expect(out).toMatch(/^reconciliation: no drift$/m);

    const url = /^start: dashboard on (http:\/\/127\.0\.0\.1:\d+\/) \(served by the worker, read as llm_viewer\)$/m.exec(out)?.[1];
    expect(url).toBeDefined();
    const page = await fetch(url!);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('LLM spend and governance');
    expect(html).toContain(`${runId}-checkout-latency`);
    const res = await fetch(new URL('index.json', url));
    expect(res.status).toBe(200);
    const json = (await res.json()) as Json;
    // The auditor's view: what llm_viewer reads from the views is what the dashboard serves.
    const secrets = JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8')) as Record<string, string>;
    const db = (role: string) => new Client({ connectionString:
      `postgres://${role}:${encodeURIComponent(secrets[role]!)}@127.0.0.1:${port}/llm_governor` });
    const auditor = db('llm_viewer');
    await auditor.connect();
    try {
      const view = async (sql: string) => (await auditor.query(sql)).rows;
      expect(json.refusals.map((r: Json) => [r.reason, r.refusals])).toEqual((await view(`select reason, refusals::text from llm.refusals_by_reason
        where month_start = date_trunc('month', now(), 'UTC') order by refusals desc, reason, tenant_id`)).map((r) => [r.reason, r.refusals]));
      expect(json.alerts.map((a: Json) => a.id)).toEqual((await view(`select id::text from llm.alerts order by fired_at desc, id desc`)).map((a) => a.id));
      expect(json.alerts).toHaveLength(3);
      expect(json.scopes).toEqual([expect.objectContaining({ budget_scope: `${runId}-checkout-latency`, calls: '2', calls_cap: '2', state: 'exhausted' })]);
      expect(json.spend.map((r: Json) => r.spent_micros)).toEqual((await view(`select spent_micros::text from llm.monthly_spend
        where month_start = date_trunc('month', now(), 'UTC') order by tenant_id, user_id nulls first`)).map((r) => r.spent_micros));
      expect(json.drift).toEqual([]);
      const sessions = await view(`select distinct usename::text as u from pg_stat_activity where application_name = 'llm-dashboard'`);
      expect(sessions).toEqual([{ u: 'llm_viewer' }]);
    } finally {
      await auditor.end();
    }
    child.proc.kill('SIGINT');
    expect(await child.exited).toBe(0);
    expect(child.out()).toContain('start: stopping (SIGINT)');
    expect(child.out().split('start: stopping (SIGINT)')[1]).not.toMatch(/"level":"warn"/); // the database stopping under the worker is expected
    await expect(fetch(url!)).rejects.toThrow();
  } finally {
    child.proc.kill('SIGKILL');
    await child.exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
}, 180_000);

test('npm start -- --demo --once (DATABASE_URL): the demo in that database, then it exits; no dashboard is left running', async () => {
  const db = await createTestDb();
  const child = start('start', ['--demo', '--once'], { ...baseEnv(), DATABASE_URL: db.adminUrl,
    LLM_CONTEXT_SECRET: process.env.LLM_CONTEXT_SECRET ?? '' });
  try {
    expect(await child.exited).toBe(0);
    const out = child.out();
    expect(out).toMatch(/requests of this run \(13\)/);
    expect(out).toMatch(/-13 +explanation +embed:allow, cached\/semantic_hit /);
    expect(out).toMatch(/^reconciliation: no drift$/m);
    expect(out).not.toMatch(/dashboard on|Ctrl-C/);
  } finally {
    child.proc.kill('SIGKILL');
    await db.drop();
  }
}, 120_000);

describe('the embedded database', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'llmgov-embedded-'));
  chmodSync(dataDir, 0o755); // as root, the server runs as the postgres OS user
  let port = '';
  let env: NodeJS.ProcessEnv = {};
  let db: Child;

  beforeAll(async () => {
    port = String(await freeServerPort());
    env = { ...baseEnv(), EMBEDDED_DATA_DIR: dataDir, EMBEDDED_PG_PORT: port };
    db = start('db', ['--no-worker'], env);
    await until('npm run db to print connection strings', () => db.out().includes('psql '), 90_000, db);
  }, 120_000);

  afterAll(async () => {
    db.proc.kill('SIGINT');
    await Promise.race([db.exited, new Promise((r) => setTimeout(r, 15_000))]);
    db.proc.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }, 30_000);

  test('npm run db prints the environment the other commands need, and it works', async () => {
    expect(db.out()).toContain(`db: embedded PostgreSQL on 127.0.0.1:${port}, database llm_governor`);
    for (const v of ['DATABASE_URL', 'LLM_AUDITOR_PASSWORD', 'LLM_OWNER_PASSWORD', 'LLM_WORKER_PASSWORD', 'LLM_CONTEXT_SECRET']) {
      expect(db.out()).toMatch(new RegExp(`^export ${v}='`, 'm'));
    }
    const [node, base] = cli('db');
    const r = spawnSync(node, [...base, '--env'], { cwd: ROOT, env, encoding: 'utf8' });
    expect(r.status).toBe(0);
    const exported = Object.fromEntries(r.stdout.trim().split('\n').map((l) => {
      const m = /^export ([A-Z_]+)='(.*)'$/.exec(l)!;
      return [m[1]!, m[2]!];
    }));
    for (const role of ['llm_auditor', 'llm_viewer']) {
      const roleUrl = new URL(exported.DATABASE_URL!);
      roleUrl.username = role;
      roleUrl.password = encodeURIComponent(exported[`${role.toUpperCase()}_PASSWORD`]!);
      const c = new Client({ connectionString: roleUrl.toString() });
      await c.connect();
      expect((await c.query('select current_user as u')).rows[0].u).toBe(role);
      await c.end();
    }
  });

  test('a second start while one runs: one line naming the running server, no stack trace', async () => {
    const second = start('start', [], env);
    expect(await second.exited).toBe(1);
    const lines = second.out().trim().split('\n');
    expect(lines.at(-1)).toMatch(new RegExp(`^start: an embedded PostgreSQL already runs on 127\\.0\\.0\\.1:${port} \\(pid \\d+, data in [^)]+\\), started by another`));
    expect(second.out()).not.toMatch(/TypeError|\n\s+at /);
    const again = start('db', [], env);
    expect(await again.exited).toBe(0);
    expect(again.out()).toContain('(run by another process)');
  }, 60_000);

  test('a missing role password names the role and the variable (not "SASL: client password must be a string")', async () => {
    const [node, base] = cli('db');
    const exported = spawnSync(node, [...base, '--env'], { cwd: ROOT, env, encoding: 'utf8' }).stdout;
    const dbUrl = /^export DATABASE_URL='(.*)'$/m.exec(exported)![1]!;
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'cli', 'audit.ts'), 'holds'],
      { cwd: ROOT, env: { ...env, DATABASE_URL: dbUrl }, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/role llm_viewer needs a password: set LLM_VIEWER_PASSWORD/);
    expect(r.stderr).not.toMatch(/SASL/);
    const m = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'cli', 'migrate.ts')],
      { cwd: ROOT, env: { ...env, DATABASE_URL: dbUrl }, encoding: 'utf8' });
    expect(m.status).toBe(1);
    expect(m.stderr).toMatch(/role llm_owner needs a password: set LLM_OWNER_PASSWORD/);
  }, 60_000);
});
