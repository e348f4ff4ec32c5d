/**
 * Access to the dashboard: loopback by default; any other bind needs a token, presented as
 * `Authorization: Bearer` or `?token=`; read-only (GET/HEAD); unknown paths and bad filters refused.
 */
import { spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Pool } from 'pg';
import { DashboardConfigError, dashboardSettingsFromEnv, isLoopback, startDashboard, type Dashboard } from '../../src/dashboard';
import { route } from '../../src/dashboard/server';
import { AUDIT_FUNCTIONS, AUDIT_VIEWS, FORBIDDEN_VIEWS, METRICS_SQL, PARTITION_COVERAGE_SQL, RECONCILIATION_STATUS_SQL, SECTIONS }
  from '../../src/dashboard/queries';
import { esc, pct, toJson, usd } from '../../src/dashboard/format';
import { limitUsageRow, metricsSnapshotRow } from '../../src/dashboard/rows';
import { limitsSection } from '../../src/dashboard/sections';
import { createTestDb, type TestDb } from '../support/db';
import { launchChromium } from './dashboard-browser';

const TOKEN = 'test-token-0123456789abcdef';
let db: TestDb;
let auditor: Pool;
const started: Dashboard[] = [];

beforeAll(async () => {
  db = await createTestDb();
  auditor = db.pool('llm_viewer');
});
afterAll(async () => {
  for (const d of started) await d.close();
  await db?.drop();
});

async function start(opts: { host?: string; token?: string | null }): Promise<Dashboard> {
  const d = await startDashboard({ pool: auditor, port: 0, ...opts });
  started.push(d);
  return d;
}

test('settings: off unless DASHBOARD_PORT; loopback by default; a non-loopback host without a token is refused, naming the variables', () => {
  expect(dashboardSettingsFromEnv({})).toBeNull();
  expect(dashboardSettingsFromEnv({ DASHBOARD_PORT: '' })).toBeNull();
  expect(dashboardSettingsFromEnv({ DASHBOARD_PORT: '8090' })).toEqual({ port: 8090, host: '127.0.0.1', token: null });
  expect(() => dashboardSettingsFromEnv({ DASHBOARD_PORT: '8090', DASHBOARD_HOST: '0.0.0.0' })).toThrow(/DASHBOARD_HOST=0\.0\.0\.0.*DASHBOARD_TOKEN/);
  expect(() => dashboardSettingsFromEnv({ DASHBOARD_PORT: '8090', DASHBOARD_HOST: '0.0.0.0', DASHBOARD_TOKEN: 'short' })).toThrow(/DASHBOARD_TOKEN/);
  expect(() => dashboardSettingsFromEnv({ DASHBOARD_PORT: 'eighty' })).toThrow(/DASHBOARD_PORT/);
  expect(dashboardSettingsFromEnv({ DASHBOARD_PORT: '0', DASHBOARD_HOST: '::', DASHBOARD_TOKEN: TOKEN })).toEqual({ port: 0, host: '::', token: TOKEN });
  for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1']) expect(isLoopback(h)).toBe(true);
  for (const h of ['0.0.0.0', '::', '10.0.0.5', '192.168.1.1', 'example.com', '::ffff:10.0.0.1']) expect(isLoopback(h)).toBe(false);
});

test('startDashboard refuses a non-loopback bind without a token', async () => {
  await expect(startDashboard({ pool: auditor, port: 0, host: '0.0.0.0' })).rejects.toThrow(DashboardConfigError);
  await expect(startDashboard({ pool: auditor, port: 0, host: '0.0.0.0', token: null })).rejects.toThrow(/DASHBOARD_TOKEN/);
});

test('bound to a non-loopback address, every request needs the token (Bearer or ?token=)', async () => {
  const d = await start({ host: '0.0.0.0', token: TOKEN });
  const base = d.url.replace('0.0.0.0', '127.0.0.1');
  for (const path of ['', 'index.json', 'spend', 'drift.json', 'nope']) {
    const res = await fetch(base + path);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
  }
  expect((await fetch(base, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
  expect((await fetch(`${base}?token=${TOKEN}x`)).status).toBe(401);
  const bearer = await fetch(base, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(bearer.status).toBe(200);
  expect(await bearer.text()).toContain('LLM spend and governance');
  const query = await fetch(`${base}spend?token=${TOKEN}`);
  expect(query.status).toBe(200);
  // Links on the page carry the token the request came with, so navigation keeps working.
  expect(await query.text()).toContain(`href="/breakers?token=${TOKEN}"`);
  expect((await fetch(`${base}index.json`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
});

test('loopback without a token: open; read-only; headers; bad paths and filters refused', async () => {
  const d = await start({});
  expect(d.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  const ok = await fetch(d.url);
  expect(ok.status).toBe(200);
  expect(ok.headers.get('content-security-policy')).toContain("default-src 'none'");
  expect(ok.headers.get('x-content-type-options')).toBe('nosniff');
  expect(ok.headers.get('referrer-policy')).toBe('no-referrer');
  expect(ok.headers.get('cache-control')).toBe('no-store');
  expect((await fetch(d.url, { method: 'POST', body: 'x' })).status).toBe(405);
  expect((await fetch(d.url, { method: 'DELETE' })).status).toBe(405);
  expect((await fetch(d.url, { method: 'HEAD' })).status).toBe(200);
  expect((await fetch(`${d.url}nope`)).status).toBe(404);
  expect((await fetch(`${d.url}spend/../../etc`)).status).toBe(404);
  expect((await fetch(`${d.url}?tenant=${encodeURIComponent("' or 1=1 --")}`)).status).toBe(400);
  // (review of 2026-11-26) Without a token, only requests addressed to loopback: a name of an attacker's pointed at
  // 127.0.0.1 (DNS rebinding) read every tenant's figures.
  const port = Number(new URL(d.url).port);
  const status = (host: string) => new Promise<number>((resolve, reject) => {
    const r = httpRequest({ host: '127.0.0.1', port, path: '/index.json', headers: { host } }, (res) => { res.resume(); resolve(res.statusCode!); });
    r.on('error', reject);
    r.end();
  });
  expect(await status(`rebind.attacker.example:${port}`)).toBe(421);
  expect(await status(`localhost:${port}`)).toBe(200);
  expect(await status(`127.0.0.1:${port}`)).toBe(200);
});

test('routes: every section, with .json or Accept: application/json', () => {
  expect(route('/', undefined)).toEqual({ show: expect.arrayContaining(['spend', 'drift', 'scopes']), json: false });
  expect(route('/index.json', undefined)?.json).toBe(true);
  expect(route('/', 'application/json')?.json).toBe(true);
  expect(route('/spend', 'text/html')).toEqual({ show: ['spend'], json: false });
  expect(route('/holds.json', undefined)).toEqual({ show: ['holds'], json: true });
  expect(route('/request_results', undefined)).toBeNull();
  expect(route('/final_outputs.json', undefined)).toBeNull();
});

test('formats: exact dollars from micro-USD, escaped strings', () => {
  expect(usd(0n)).toBe('$0.00');
  expect(usd(12_500_000n)).toBe('$12.50');
  expect(usd(123n)).toBe('$0.000123');
  expect(usd(1_234_567_890_123n)).toBe('$1,234,567.890123');
  expect(usd(-1_500_000n)).toBe('-$1.50');
  expect(usd(9_223_372_036_854_775_807n)).toBe('$9,223,372,036,854.775807');
  expect(pct(155_000n, 100_000_000n)).toBe('0.2 %');
  expect(pct(25_000n, 50_000n)).toBe('50.0 %');
  expect(pct(1n, null)).toBe('');
  expect(pct(1n, 0n)).toBe('∞ %'); // a cap of 0 with anything used is over it, as llm.limit_usage.used_pct reads it
  expect(pct(0n, 0n)).toBe('0.0 %');
  expect(esc(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
});

test('a cap of 0 with anything used: used_pct Infinity is read, shown as ∞ % and kept in the JSON (not null, "no cap")', () => {
  const row = limitUsageRow.parse({ limit_id: 7, meter_name: 'user_daily_zero', scope: 'user', window: 'day', unit: 'micros',
    tenant_id: null, user_id: null, budget_scope: null, period_start: new Date('2026-03-15T00:00:00Z'), period_end: new Date('2026-03-16T00:00:00Z'),
    cap: '0', kind: 'soft', held: '0', spent: '25000', used_pct: 'Infinity' });
  expect(row.used_pct).toBe(Infinity);
  expect(limitsSection([row])).toContain('<td class="num used">∞ %</td>');
  expect(JSON.parse(toJson({ limits: [row] })).limits[0].used_pct).toBe('Infinity');
  expect(limitUsageRow.shape.used_pct.safeParse('NaN').success).toBe(false);
  expect(limitUsageRow.shape.used_pct.safeParse('-Infinity').success).toBe(false);
  const used = metricsSnapshotRow.shape.used_ratio_max.parse([{ scope: 'user', ratio: 'Infinity' }, { scope: 'tenant', ratio: '0.5' }]);
  expect(used).toEqual([{ scope: 'user', ratio: Infinity }, { scope: 'tenant', ratio: 0.5 }]);
});

test('without Chromium the browser tests fail and say why (they never pass silently)', async () => {
  await expect(launchChromium('/nonexistent/chromium')).rejects.toThrow(/Chromium not found at \/nonexistent\/chromium: install it \(apt-get install -y chromium\)/);
  await expect(launchChromium('/bin/false')).rejects.toThrow(/Chromium at \/bin\/false could not be launched/);
});

test('the dashboard\'s and the metrics\' SQL reads only audit views (and the audit function counting holds), never the views holding prompts or outputs', () => {
  const audit = new Set<string>([...AUDIT_VIEWS, ...AUDIT_FUNCTIONS]);
  const queries = [...Object.values(SECTIONS).map((x) => x.sql), METRICS_SQL, RECONCILIATION_STATUS_SQL, PARTITION_COVERAGE_SQL];
  for (const sql of queries) {
    const views = [...sql.matchAll(/\bllm\.([a-z_]+)/g)].map((m) => m[1]!);
    expect(views.length).toBeGreaterThan(0);
    for (const v of views) expect(audit.has(v) ? v : `llm.${v}`).toBe(v);
  }
  for (const sql of queries) expect(sql).not.toMatch(/llm_private|graphile_worker/);
  const dir = join(__dirname, '..', '..', 'src', 'dashboard');
  const sources = [...readdirSync(dir).map((f) => join(dir, f)), join(__dirname, '..', '..', 'src', 'metrics.ts')];
  for (const file of sources) {
    const text = readFileSync(file, 'utf8').replace(/^export const FORBIDDEN_VIEWS = .*$/m, '').replace(/^\s*\*.*$/gm, '');
    for (const f of FORBIDDEN_VIEWS) expect(text.includes(f) ? `${file} names ${f}` : 'clean').toBe('clean');
  }
});

const ROOT = join(__dirname, '..', '..');

/** Runs `npm run dashboard`'s entry point; resolves with its exit code and output, or at the first URL it prints. */
function runCli(env: Record<string, string>, untilUrl: boolean): Promise<{ code: number | null; out: string; url?: string; kill(): void }> {
  const child = spawn(join(ROOT, 'node_modules', '.bin', 'tsx'), ['src/dashboard/cli.ts'], { cwd: ROOT, env: { ...process.env, ...env } });
  let out = '';
  return new Promise((resolve) => {
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /dashboard on (http:\/\/\S+)/.exec(out);
      if (untilUrl && m) resolve({ code: null, out, url: m[1], kill: () => child.kill('SIGTERM') });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => resolve({ code, out, kill: () => {} }));
  });
}

test('npm run dashboard: serves the views as llm_viewer; refuses a non-loopback bind without a token', async () => {
  const refused = await runCli({ DATABASE_URL: db.adminUrl, DASHBOARD_PORT: '0', DASHBOARD_HOST: '0.0.0.0', DASHBOARD_TOKEN: '' }, false);
  expect(refused.code).toBe(1);
  expect(refused.out).toMatch(/dashboard: DASHBOARD_HOST=0\.0\.0\.0 is not a loopback address: set DASHBOARD_TOKEN/);
  const running = await runCli({ DATABASE_URL: db.adminUrl, DASHBOARD_PORT: '0', DASHBOARD_HOST: '', DASHBOARD_TOKEN: '' }, true);
  try {
    expect(running.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(running.out).toContain('as llm_viewer');
    const res = await fetch(new URL('breakers.json', running.url));
    // On failure, show what the server said (its error goes to its output).
    expect({ status: res.status, out: res.status === 200 ? '' : running.out }).toEqual({ status: 200, out: '' });
    expect(await res.json()).toMatchObject({ breakers: expect.any(Array) });
  } finally {
    running.kill();
  }
}, 60_000);
