/**
 * The dashboard in a real browser over a seeded database: the figures shown are the audit views'
 * figures, the tenant filter filters, no prompt or output reaches the page, strings are escaped,
 * the drift banner appears when drift is injected; and the JSON endpoints equal the views.
 */
import type { Browser, Page } from 'playwright-core';
import type { Pool } from 'pg';
import { startDashboard, type Dashboard } from '../../src/dashboard';
import { loadSections, METRICS_SQL } from '../../src/dashboard/queries';
import { usd } from '../../src/dashboard/format';
import { createTestDb, type TestDb } from '../support/db';
import { launchChromium, outputPath } from './dashboard-browser';
import { HTML_REQUEST_ID, injectDrift, SECRET_OUTPUT, SECRET_PROMPT, seedDashboardData, TENANT_B } from './dashboard-seed';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;
const getJson = async (url: URL): Promise<Json> => (await (await fetch(url)).json()) as Json;

let db: TestDb;
let admin: Pool;
let auditor: Pool;
let dash: Dashboard;
let browser: Browser | null = null;
let page: Page;
const errors: unknown[] = [];
afterEach(() => expect(errors).toEqual([]));

beforeAll(async () => {
  db = await createTestDb();
  admin = db.pool('admin');
  await seedDashboardData(admin);
  auditor = db.pool('llm_viewer');
  dash = await startDashboard({ pool: auditor, port: 0, onError: (e) => errors.push(e) });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
});
afterAll(async () => {
  await browser?.close();
  await dash?.close();
  await db?.drop();
});

/** The one browser global used in page.evaluate (the test's TypeScript has no DOM lib). */
interface BrowserWindow { getComputedStyle(el: unknown): { backgroundColor: string } }

/** The product's clock, as the dashboard reads it (frozen by the seed at its end). */
const MONTH = `date_trunc('month', llm.product_time(), 'UTC')`;

/** Rows of an audit view, read as llm_viewer, values as node-postgres gives them. */
async function view(sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
  return (await auditor.query(sql, params)).rows;
}

/** "$1,234.50" -> "1234500" (micro-USD), exactly, without floats. */
function shownMicros(text: string): string {
  const m = /^(-?)\$([\d,]+)\.(\d{2,6})$/.exec(text.trim());
  if (!m) throw new Error(`not a dollar amount: ${JSON.stringify(text)}`);
  return (BigInt(m[2]!.replace(/,/g, '')) * 1_000_000n * (m[1] ? -1n : 1n) + BigInt(m[3]!.padEnd(6, '0')) * (m[1] ? -1n : 1n)).toString();
}

async function cellTexts(selector: string): Promise<string[]> {
  return page.locator(selector).locator('td').allInnerTexts();
}

test('the page shows the audit views\' figures: spend against caps, hourly spend, refusals, holds, shutoffs, breakers', async () => {
  await page.goto(dash.url);
  const spend = await view(`select tenant_id, user_id, spent_micros::text, held_micros::text, cap_micros::text from llm.monthly_spend
    where month_start = ${MONTH}`);
  expect(spend.length).toBeGreaterThanOrEqual(5);
  expect(await page.locator('#spend-table tbody tr').count()).toBe(spend.length);
  for (const r of spend) {
    const cells = await cellTexts(`#spend-table tr[data-tenant="${r.tenant_id}"][data-user="${r.user_id ?? ''}"]`);
    expect([shownMicros(cells[2]!), shownMicros(cells[3]!), cells[4] === '—' ? null : shownMicros(cells[4]!)])
      .toEqual([r.spent_micros, r.held_micros, r.cap_micros]);
  }
  // Every bar with a cap marks it.
  expect(await page.locator('#spend-table svg.bar line.cap').count()).toBe(spend.filter((r) => r.cap_micros !== null).length);

  const [{ total }] = (await view(`select coalesce(sum(spent_micros), 0)::text as total from llm.hourly_spend
    where hour_start > date_trunc('hour', now()) - interval '48 hours'`)) as [{ total: string }];
  expect(BigInt(total)).toBeGreaterThan(0n);
  expect(await page.locator('#hourly-total').getAttribute('data-micros')).toBe(total);
  expect(shownMicros(await page.locator('#hourly-total b').innerText())).toBe(total);
  expect(await page.locator('#hourly svg.line circle').count()).toBe(48);

  const refusals = await view(`select tenant_id, reason, refusals::text from llm.refusals_by_reason where month_start = ${MONTH}`);
  expect(refusals.length).toBeGreaterThanOrEqual(2);
  for (const r of refusals) {
    expect(await page.locator(`#refusals-table tr[data-tenant="${r.tenant_id}"][data-reason="${r.reason}"] td.refusals`).innerText()).toBe(r.refusals);
  }

  const holds = await view(`select request_id, held_micros::text, overdue from llm.open_holds`);
  expect(holds.length).toBe(3);
  expect(await page.locator('#holds-table tbody tr').count()).toBe(holds.length);
  expect(await page.locator('#holds-table tr.overdue').count()).toBe(holds.filter((h) => h.overdue).length);
  expect(holds.filter((h) => h.overdue).length).toBe(1);
  for (const h of holds) {
    const cells = await page.locator('#holds-table tbody tr').filter({ hasText: String(h.request_id) }).locator('td').allInnerTexts();
    expect(shownMicros(cells[6]!)).toBe(h.held_micros);
  }

  expect(await page.locator('#shutoffs-table tr.active').count()).toBe(1);
  expect(await page.locator('#shutoffs-table tr.upcoming').count()).toBe(1);
  const breakers = await view(`select model_ref, state from llm.breaker_state`);
  for (const b of breakers) {
    expect(await page.locator(`#breakers-table tr[data-model="${b.model_ref}"] td.state`).innerText()).toBe(b.state);
  }
  expect(await page.locator('#breakers-table tr.breaker-open').count()).toBe(1);
  // The breakers' state changes of the last 7 days, newest first; the one of 10 days ago is not listed.
  const transitions = await view(`select id::text, model_ref, from_state, to_state, cause, changed_by from llm.breaker_transitions
    where changed_at > now() - interval '7 days' order by changed_at desc, id desc`);
  expect(transitions.map((t) => `${t.model_ref} ${t.from_state}->${t.to_state} ${t.cause}`))
    .toEqual(['mock:small closed->open by_hand', 'mock:tiny open->closed by_hand']);
  expect((await view(`select count(*)::int as n from llm.breaker_transitions`))[0]!.n).toBe(3);
  expect(await page.locator('#transitions-table tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-id'))))
    .toEqual(transitions.map((t) => t.id));
  expect(await cellTexts('#transitions-table tr[data-model="mock:tiny"]'))
    .toEqual(expect.arrayContaining(['mock:tiny', 'open → closed', 'by_hand', 'llm_operator']));
  expect(await page.locator('#transitions-table tr.breaker-open').count()).toBe(1);
  const [{ n: alerts }] = (await view(`select count(*)::int as n from llm.alerts where fired_at >= ${MONTH}`)) as [{ n: number }];
  expect(alerts).toBeGreaterThan(0);
  expect(await page.locator('#alerts-table tbody tr').count()).toBe(alerts);
  const [{ n: limits }] = (await view(`select count(*)::int as n from llm.limit_usage where current`)) as [{ n: number }];
  expect(limits).toBeGreaterThan(0);
  expect(await page.locator('#limits-table tbody tr').count()).toBe(limits);
  const scopes = await view(`select budget_scope, calls::text, spent_micros::text from llm.budget_scopes`);
  expect(scopes.length).toBe(2);
  for (const sc of scopes) {
    const cells = await cellTexts(`#scopes-table tr[data-scope="${sc.budget_scope}"]`);
    expect(cells[3]!.split(' / ')[0]).toBe(sc.calls);
    expect(shownMicros(cells[4]!)).toBe(sc.spent_micros);
  }
  expect(await page.locator('#drift-banner').count()).toBe(0);
  await page.screenshot({ path: outputPath('dashboard.png'), fullPage: true });
});

test('no prompt or output reaches the page (they are in the database), and strings are escaped', async () => {
  const stored = await admin.query(`select count(*)::int as n from llm_private.call_outputs where output = $1`, [SECRET_OUTPUT]);
  expect(stored.rows[0].n).toBeGreaterThan(0);
  await page.goto(dash.url);
  const html = await page.content();
  const json = await (await fetch(new URL('index.json', dash.url))).text();
  for (const text of [html, json]) {
    expect(text).not.toContain(SECRET_PROMPT);
    expect(text).not.toContain(SECRET_OUTPUT);
  }
  // The request id that is HTML shows as text and runs nothing.
  await expect(page.locator('#holds-table').innerText()).resolves.toContain(HTML_REQUEST_ID);
  expect(await page.locator('script').count()).toBe(0);
  expect(await page.locator('#holds-table b').count()).toBe(0);
  expect(await page.locator('#shutoffs-table').innerText()).toContain('planned: <migration> & "cutover"');
});

test('the tenant filter shows one tenant, through the form and the query string', async () => {
  await page.goto(dash.url);
  await page.fill('#tenant-filter input[name="tenant"]', TENANT_B);
  await page.click('#tenant-filter button');
  await page.waitForURL(/tenant=/);
  expect(new URL(page.url()).searchParams.get('tenant')).toBe(TENANT_B);
  const spendB = await view(`select count(*)::int as n from llm.monthly_spend where month_start = ${MONTH} and tenant_id = $1`, [TENANT_B]);
  const tenants = await page.locator('#spend-table tbody tr, #refusals-table tbody tr, #holds-table tbody tr').evaluateAll(
    (trs) => trs.map((tr) => tr.getAttribute('data-tenant')));
  expect(tenants.length).toBeGreaterThan(0);
  expect(new Set(tenants)).toEqual(new Set([TENANT_B]));
  expect(await page.locator('#spend-table tbody tr').count()).toBe(spendB[0]!.n);
  const holdsB = await view(`select count(*)::int as n from llm.open_holds where tenant_id = $1`, [TENANT_B]);
  expect(await page.locator('#holds-table tbody tr').count()).toBe(holdsB[0]!.n);
  await page.screenshot({ path: outputPath('dashboard-tenant-b.png'), fullPage: true });
});

/**
 * A row as the JSON carries it: dates as ISO strings, an open end ('infinity') as null, numeric
 * columns (node-postgres gives them as text) as numbers, but 'Infinity' (a used_pct at a cap of 0 with use) as that text;
 * everything else as node-postgres gives it.
 */
function asJson(row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k,
    v instanceof Date ? v.toISOString() : v === Infinity || v === -Infinity ? null
      : NUMERIC_COLUMNS.has(k) && v !== null ? (v === 'Infinity' ? v : Number(v)) : v]));
}
const NUMERIC_COLUMNS = new Set(['used_pct']);

const TENANT = `($1::uuid is null or tenant_id = $1::uuid)`;
/**
 * Every section's full rows, read here from its view with the section's filter and order
 * (src/dashboard/queries.ts); breakers, their transitions and drift are global (no tenant filter).
 */
const SECTION_VIEWS: Record<string, string> = {
  spend: `select month_start, tenant_id, user_id, spent_micros, held_micros, cap_micros from llm.monthly_spend
    where month_start = ${MONTH} and ${TENANT} order by tenant_id, user_id nulls first`,
  limits: `select limit_id, meter_name, scope, "window", unit, tenant_id, user_id, budget_scope, period_start, period_end, cap, kind, held, spent,
      used_pct from llm.limit_usage where current and (tenant_id is null or ${TENANT}) order by used_pct desc nulls last, meter_name`,
  hourly: `select hour_start, tenant_id, spent_micros, calls from llm.hourly_spend
    where hour_start > date_trunc('hour', llm.product_time(), 'UTC') - interval '48 hours' and ${TENANT} order by hour_start, tenant_id`,
  refusals: `select month_start, tenant_id, reason, refusals from llm.refusals_by_reason where month_start = ${MONTH} and ${TENANT}
    order by refusals desc, reason, tenant_id`,
  holds: `select tenant_id, user_id, request_id, endpoint, attempt_no, model_ref, held_micros, reserved_at, expires_at, overdue
    from llm.open_holds where ${TENANT} and expires_at > llm_private.watched_holds_from() order by expires_at, request_id, attempt_no`,
  shutoffs: `select id, scope, tenant_id, user_id, kind, starts_at, ends_at, reason, created_by, cancelled_at, active, upcoming
    from llm.shutoff_windows where (active or upcoming) and (tenant_id is null or ${TENANT}) order by starts_at, id`,
  breakers: `select provider, model, model_ref, state, consecutive_failures, open_until, opened_count, last_failure_at, last_success_at
    from llm.breaker_state order by model_ref`,
  transitions: `select id, model_ref, from_state, to_state, cause, changed_at, consecutive_failures, open_until, streak_tenant_id,
      streak_tenants_many, call_tenant_id, changed_by
    from llm.breaker_transitions where changed_at > llm.product_time() - interval '7 days' order by changed_at desc, id desc`,
  alerts: `select id, fired_at, tenant_id, user_id, budget_scope, limit_id, meter_name, period_start, threshold_pct, used, cap, unit
    from llm.alerts where fired_at >= ${MONTH} and (tenant_id is null or ${TENANT}) order by fired_at desc, id desc`,
  // The rows the last scheduled check kept: the view's first 200 in the order npm run audit -- drift lists them, at that check.
  drift: `select s.checked_at, d.kind, d.tenant_id, d.meter_name, d.user_id, d.budget_scope, d.period_start, d.shard, d.usage_value, d.ledger_value,
         d.unit
    from llm.reconciliation_drift d cross join llm.reconciliation_status s
   order by d.kind, d.tenant_id nulls first, d.meter_name, d.user_id nulls first, d.budget_scope nulls first, d.period_start, d.shard limit 200`,
  scopes: `select tenant_id, budget_scope, endpoint, started_at, deadline_at, calls, calls_cap, spent_micros, held_micros, cap_micros, state
    from llm.budget_scopes where ${TENANT}
   order by state <> 'open', case when state = 'open' then deadline_at end nulls last, started_at desc, tenant_id desc, budget_scope desc`,
};

test('JSON endpoints equal the views, every section in full (all tenants and one), by .json suffix and Accept header', async () => {
  for (const tenant of [null, TENANT_B]) {
    const all = await getJson(new URL(`index.json${tenant ? `?tenant=${tenant}` : ''}`, dash.url));
    // With the drift section, the check it comes from (null: none yet; "no drift" and "no check" both list no rows).
    expect(Object.keys(all).sort()).toEqual([...Object.keys(SECTION_VIEWS), 'read_at', 'reconciliation', 'tenant_id'].sort());
    expect(all.reconciliation).toBeNull();
    expect(all.tenant_id).toBe(tenant);
    for (const [section, sql] of Object.entries(SECTION_VIEWS)) {
      const rows = (await view(sql, sql.includes('$1') ? [tenant] : [])).map(asJson);
      if (tenant === null && section !== 'drift') expect([section, rows.length]).not.toEqual([section, 0]); // a comparison of something
      expect([section, all[section]]).toEqual([section, rows]);
      const one = await getJson(new URL(`${section}.json${tenant ? `?tenant=${tenant}` : ''}`, dash.url));
      expect([section, one[section]]).toEqual([section, rows]);
    }
  }
  const res = await fetch(new URL(`holds?tenant=${TENANT_B}`, dash.url), { headers: { accept: 'application/json' } });
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  const one = (await res.json()) as Json;
  expect(Object.keys(one).sort()).toEqual(['holds', 'read_at', 'tenant_id']);
  expect(one.holds).toEqual((await view(SECTION_VIEWS.holds!, [TENANT_B])).map(asJson));
  expect(one.tenant_id).toBe(TENANT_B);
});

test('a metrics scrape counts the open holds through llm.open_hold_counts, not llm.open_holds (which scans every month of the ledger)', async () => {
  // (review at scale, 2026-11-27) The scrape counted llm.open_holds twice (all, then overdue): two scans of every attempts
  // partition per scrape, ~0.3 s each at 1.2 M attempts; then once; now the count reads the range the expiry sweep watches
  // (audit-scale.test.ts measures it).
  const { rows } = await auditor.query(`explain (format json) ${METRICS_SQL}`);
  const plan = JSON.stringify(rows[0]['QUERY PLAN']);
  expect(plan.match(/"Relation Name":"attempts_default"[^{}]*'held'/g) ?? []).toHaveLength(0);
  expect(plan).toMatch(/"Function Name":"open_hold_counts"/);
  const [counts] = (await view(`select open_holds::int, holds_overdue::int from llm.open_hold_counts()`)) as [Json];
  const [all] = (await view(`select count(*)::int as open_holds, count(*) filter (where overdue)::int as holds_overdue from llm.open_holds`)) as [Json];
  expect(counts).toEqual(all); // every hold here is one the sweep watches
});

/** The worker's cron task llm__check_reconciliation, as llm_operator through the worker's login. */
async function checkReconciliation(): Promise<void> {
  await db.pool('llm_worker', 1).query('begin; set local role llm_operator; select * from llm.check_reconciliation(); commit');
}

test('injected reconciliation drift shows a big red banner on every page, from the worker\'s scheduled check', async () => {
  await injectDrift(admin);
  const [{ n }] = (await view(`select count(*)::int as n from llm.reconciliation_drift`)) as [{ n: number }];
  expect(n).toBeGreaterThan(0);
  // No page reads the two months of ledger the view reads (minutes at 10^7 calls a month), /drift and the overview
  // included: until the worker's next check they say that none has run yet.
  for (const path of ['', 'breakers', 'drift']) {
    await page.goto(new URL(path, dash.url).toString());
    expect(await page.locator('#drift-banner').count()).toBe(0);
    expect(await page.locator('#reconciliation-check').innerText()).toMatch(/no scheduled check has run yet/);
  }
  expect(await page.locator('#drift-unchecked').innerText()).toMatch(/npm run audit -- drift/);
  expect((await getJson(new URL('drift.json', dash.url))).reconciliation).toBeNull();
  await checkReconciliation();
  for (const path of ['', 'breakers', `spend?tenant=${TENANT_B}`, 'drift']) {
    await page.goto(new URL(path, dash.url).toString());
    const banner = page.locator('#drift-banner');
    await expect(banner.isVisible()).resolves.toBe(true);
    expect(await banner.getAttribute('data-rows')).toBe(String(n));
    expect(await banner.evaluate((el) => (globalThis as unknown as BrowserWindow).getComputedStyle(el).backgroundColor)).toBe('rgb(204, 0, 0)');
  }
  await page.goto(dash.url);
  expect(await page.locator('#drift-table tbody tr').count()).toBe(n);
  expect(await page.locator('#drift-check').getAttribute('data-rows')).toBe(String(n));
  expect(await page.locator('#drift-repair').innerText()).toContain('llm.repair_usage_drift');
  // Each amount in its meter's unit: a micro-USD counter as dollars (it showed 1234 more micro-USD as a bare 6-digit number),
  // a calls or tokens counter as the number and its unit.
  const drift = (await view(`select meter_name, unit, usage_value::text as usage, ledger_value::text as ledger
                                from llm.reconciliation_checked_drift order by row_no`)) as { unit: string; usage: string; ledger: string }[];
  expect(new Set(drift.map((r) => r.unit))).toEqual(new Set(['micros', 'calls']));
  const cells = await page.locator('#drift-table tbody tr').evaluateAll((trs) =>
    trs.map((tr) => Array.from((tr as unknown as { querySelectorAll(s: string): ArrayLike<{ textContent: string | null }> }).querySelectorAll('td')).slice(-2).map((td) => td.textContent)));
  expect(cells).toEqual(drift.map((r) => [r.usage, r.ledger].map((v) => (r.unit === 'micros' ? usd(BigInt(v)) : `${v} ${r.unit}`))));
  expect(cells.flat().some((c) => /^\$\d+\.\d+$/.test(c!))).toBe(true);
  const json = await getJson(new URL('drift.json', dash.url));
  expect(json.reconciliation).toMatchObject({ drift_rows: String(n), drift_rows_kept: n });
  expect(json.drift).toHaveLength(n);
  expect(json.drift).toEqual((await view(SECTION_VIEWS.drift!)).map(asJson));
  await page.screenshot({ path: outputPath('dashboard-drift.png'), fullPage: true });
});

test('the drift rows and the check\'s count come from one snapshot, though a check commits between the two reads', async () => {
  // (review of 410deda) Read in READ COMMITTED, a check committed between the drift section's read and the status's
  // listed the old check's rows under the new check's count ("0 row(s)" over a table of drift rows, or the reverse).
  const [{ n: before }] = (await view(`select drift_rows::int as n from llm.reconciliation_status`)) as [{ n: number }];
  let fired = false;
  const racing = {
    connect: async () => {
      const c = await auditor.connect();
      const query = c.query.bind(c) as (...a: unknown[]) => Promise<unknown>;
      const release = c.release.bind(c);
      Object.assign(c, {
        query: async (...args: unknown[]) => {
          const r = await query(...args);
          if (!fired && typeof args[0] === 'string' && args[0].includes('llm.reconciliation_checked_drift')) {
            fired = true;
            // One more drift row (a usage row no call made, written with the guards off), then the worker's next check.
            await admin.query(`begin; set local session_replication_role = replica;
              insert into llm_private.usage (tenant_id, meter_id, user_id, budget_scope, period_start, shard, limit_id, cap, quota, spent)
              select '${TENANT_B}', m.id, gen_random_uuid(), '', llm_private.month_start(llm_private.month_index(llm_private.now())), 0, m.id,
                     1000000, 1000000, 5
                from llm_private.meters m where m.name = 'user_monthly';
              commit`);
            await checkReconciliation();
          }
          return r;
        },
        release: (...args: unknown[]) => {
          Object.assign(c, { query, release });
          return (release as (...a: unknown[]) => void)(...args);
        },
      });
      return c;
    },
  } as unknown as Pool;
  const { rows, reconciliation } = await loadSections(racing, ['drift'], null, { reconciliation: true });
  expect(fired).toBe(true);
  expect(reconciliation).toMatchObject({ drift_rows: BigInt(before), drift_rows_kept: rows.drift.length });
  expect(rows.drift).toHaveLength(before);
  const [{ n: after }] = (await view(`select drift_rows::int as n from llm.reconciliation_status`)) as [{ n: number }];
  expect(after).toBe(before + 1); // the check that committed in between, which the page read at its next load
});
