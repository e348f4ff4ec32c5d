/**
 * The worker serves the read-only dashboard beside /metrics when `dashboardPort` (DASHBOARD_PORT)
 * is set, and not otherwise: on loopback by default, reading as llm_viewer through its own pool;
 * bound elsewhere it needs DASHBOARD_TOKEN (the worker refuses to start without one).
 */
import { loadConfig } from '../../src/config';
import { DashboardConfigError } from '../../src/dashboard';
import { createLogger } from '../../src/logger';
import { startWorker } from '../../src/worker/run';
import { createHarness, type Harness, payload, TENANT_A } from '../support/worker-harness';

const TOKEN = 'worker-dashboard-token-0123456789';
let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => h?.close());

test('dashboardPort comes from DASHBOARD_PORT and is off unless set', () => {
  expect(loadConfig({ DATABASE_URL: 'postgres://x@127.0.0.1/db' }).dashboardPort).toBeNull();
  expect(loadConfig({ DATABASE_URL: 'postgres://x@127.0.0.1/db', DASHBOARD_PORT: '' }).dashboardPort).toBeNull();
  expect(loadConfig({ DATABASE_URL: 'postgres://x@127.0.0.1/db', DASHBOARD_PORT: '8090' }).dashboardPort).toBe(8090);
  expect(() => loadConfig({ DATABASE_URL: 'postgres://x@127.0.0.1/db', DASHBOARD_PORT: 'eighty' })).toThrow(/^config: DASHBOARD_PORT/);
});

test('without dashboardPort the worker serves no dashboard (only what it was asked for)', async () => {
  const w = await h.startWorker({ metricsPort: 0 });
  try {
    expect(w.dashboardUrl).toBeNull();
    expect(h.logLines.join('')).not.toContain('"event":"dashboard_listening"');
    expect((await fetch(`http://127.0.0.1:${w.metricsPort}/`)).status).toBe(404); // the metrics server is not the dashboard
  } finally {
    await w.stop();
  }
});

// A Prometheus that scrapes over the network (another container, another host) could not reach /metrics: it listened on
// 127.0.0.1 whatever the configuration said (adopter's review, 2026-11-27). METRICS_HOST sets the address; 127.0.0.2 stands
// for "not 127.0.0.1" here, since Linux routes all of 127/8 to the loopback interface and a socket bound to one of its
// addresses does not accept connections made to another.
test('/metrics listens on 127.0.0.1 unless METRICS_HOST says otherwise', async () => {
  const refused = async (url: string) => (await fetch(url).then(() => 'answered', (e: Error & { cause?: { code?: string } }) => e.cause?.code ?? e.message));
  const byDefault = await h.startWorker({ metricsPort: 0 });
  try {
    expect((await fetch(`http://127.0.0.1:${byDefault.metricsPort}/metrics`)).status).toBe(200);
    expect(await refused(`http://127.0.0.2:${byDefault.metricsPort}/metrics`)).toBe('ECONNREFUSED');
  } finally {
    await byDefault.stop();
  }
  const other = await h.startWorker({ metricsPort: 0, metricsHost: '127.0.0.2' });
  try {
    expect((await fetch(`http://127.0.0.2:${other.metricsPort}/metrics`)).status).toBe(200);
    expect(await refused(`http://127.0.0.1:${other.metricsPort}/metrics`)).toBe('ECONNREFUSED');
    expect(h.logLines.join('')).toContain(`"event":"metrics_listening","host":"127.0.0.2","port":${other.metricsPort}`);
  } finally {
    await other.stop();
  }
});

test('with dashboardPort the worker serves the dashboard on loopback, as llm_viewer, beside /metrics; it stops with the worker', async () => {
  const w = await h.startWorker({ metricsPort: 0, dashboardPort: 0 });
  let url: string;
  try {
    url = w.dashboardUrl!;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(new URL(url).port).not.toBe(String(w.metricsPort));
    expect(h.logLines.join('')).toContain('"event":"dashboard_listening"');
    await h.enqueue(payload('dash-worker-1'));
    await h.waitForJobs();
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('LLM spend and governance');
    const json = (await (await fetch(new URL(`spend.json?tenant=${TENANT_A}`, url))).json()) as { spend: { tenant_id: string; user_id: string | null; spent_micros: string }[] };
    const view = (await h.admin.query(`select user_id, spent_micros::text from llm.monthly_spend
      where month_start = date_trunc('month', now(), 'UTC') and tenant_id = $1 order by user_id nulls first`, [TENANT_A])).rows;
    expect(view.length).toBeGreaterThan(0);
    expect(json.spend.map((r) => ({ user_id: r.user_id, spent_micros: r.spent_micros }))).toEqual(view);
    const sessions = (await h.admin.query(`select distinct usename::text from pg_stat_activity
      where datname = current_database() and application_name = 'llm-dashboard'`)).rows.map((r) => r.usename);
    expect(sessions).toEqual(['llm_viewer']);
  } finally {
    await w.stop();
  }
  await expect(fetch(url)).rejects.toThrow();
});

test('bound to a non-loopback address the worker needs DASHBOARD_TOKEN, and the dashboard then asks every request for it', async () => {
  const logger = createLogger({ level: 'silent' });
  await expect(startWorker(h.config({ dashboardPort: 0 }), logger, { ...h.env, DASHBOARD_HOST: '0.0.0.0', DASHBOARD_TOKEN: '' }))
    .rejects.toThrow(DashboardConfigError);
  const w = await startWorker(h.config({ dashboardPort: 0 }), logger, { ...h.env, DASHBOARD_HOST: '0.0.0.0', DASHBOARD_TOKEN: TOKEN });
  try {
    const base = w.dashboardUrl!.replace('0.0.0.0', '127.0.0.1');
    expect((await fetch(base)).status).toBe(401);
    expect((await fetch(new URL('index.json', base), { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
  } finally {
    await w.stop();
  }
});
