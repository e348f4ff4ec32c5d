/**
 * A real scrape of /metrics over a seeded database: it passes `promtool check metrics` (default
 * Node metrics included), and the DB-derived metrics equal the audit views.
 */
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { Pool } from 'pg';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { DEFAULT_METRICS_PREFIX, DROPPED_DEFAULT_METRICS, Metrics, serveMetrics } from '../../src/metrics';
import { createLogger } from '../../src/logger';
import type { WorkerDeps } from '../../src/worker/deps';
import { checkReconciliationTask } from '../../src/worker/tasks';
import { createTestDb, type TestDb } from '../support/db';
import { injectDrift, seedDashboardData } from './dashboard-seed';
import { promtool } from './ops-promtool';

let db: TestDb;
let auditor: Pool;
let worker: Pool;
const servers: Server[] = [];

beforeAll(async () => {
  db = await createTestDb();
  await seedDashboardData(db.pool('admin'));
  auditor = db.pool('llm_viewer');
  worker = db.pool('llm_worker');
});
afterAll(async () => {
  for (const s of servers) s.close();
  await db?.drop();
});

async function scrape(metrics: Metrics): Promise<string> {
  const { server, port } = await serveMetrics(metrics, 0);
  servers.push(server);
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(res.status).toBe(200);
  return res.text();
}

function withTraffic(m: Metrics): Metrics {
  m.calls.inc({ endpoint: 'investigation', model: 'mock:large', decision: 'allow', reason: 'ok' });
  m.costMicros.inc({ endpoint: 'investigation', model: 'mock:large' }, 25000);
  m.providerLatency.observe({ model: 'mock:large', outcome: 'ok' }, 1.2);
  m.governanceOverhead.observe(0.003);
  m.cacheHits.inc({ endpoint: 'explanation', kind: 'exact' });
  return m;
}

function value(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  if (!line) throw new Error(`no series ${series} in the scrape`);
  return Number(line.slice(series.length + 1));
}

const count = async (sql: string) => Number((await auditor.query(sql)).rows[0].n);
/** The worker's cron task llm__check_reconciliation, as the cron runs it (as llm_operator through the worker's login). */
const checkReconciliation = () =>
  checkReconciliationTask({ pool: worker, logger: createLogger({ level: 'silent' }) } as unknown as WorkerDeps)({}, {} as never);

test('a full scrape passes promtool check metrics', async () => {
  const text = await scrape(withTraffic(new Metrics(worker, { auditPool: auditor })));
  expect(text).toMatch(/^llm_worker_process_cpu_seconds_total /m);
  expect(text).toMatch(/^llm_worker_nodejs_active_handles\{/m);
  for (const name of DROPPED_DEFAULT_METRICS) expect(text).not.toContain(`${DEFAULT_METRICS_PREFIX}${name}`);
  const r = promtool(['check', 'metrics'], text);
  expect(r.output).toBe('');
  expect(r.status).toBe(0);
});

test('the unfixed default metrics are what promtool rejects (the check above is not vacuous)', async () => {
  const raw = new Registry();
  collectDefaultMetrics({ register: raw, prefix: DEFAULT_METRICS_PREFIX });
  const r = promtool(['check', 'metrics'], await raw.metrics());
  expect(r.status).not.toBe(0);
  for (const name of DROPPED_DEFAULT_METRICS) expect(r.output).toContain(`${DEFAULT_METRICS_PREFIX}${name} non-counter metrics should not have "_total" suffix`);
});

test('DB-derived metrics equal the audit views', async () => {
  // Before the first scheduled reconciliation check: the drift is unknown and the check's age infinite (the alert's case).
  const before = await scrape(new Metrics(worker, { auditPool: auditor }));
  expect(value(before, 'llm_reconciliation_drift_rows')).toBeNaN();
  expect(before).toMatch(/^llm_reconciliation_check_age_seconds \+Inf$/m);
  expect(promtool(['check', 'metrics'], before).status).toBe(0);
  await checkReconciliation();
  const text = await scrape(new Metrics(worker, { auditPool: auditor }));
  expect(value(text, 'llm_open_holds')).toBe(await count('select count(*) as n from llm.open_holds'));
  expect(value(text, 'llm_holds_overdue')).toBe(await count(`select count(*) as n from llm.open_holds where overdue`));
  expect(value(text, 'llm_holds_overdue')).toBe(1);
  expect(value(text, 'llm_reconciliation_drift_rows')).toBe(0);
  expect(value(text, 'llm_reconciliation_check_age_seconds')).toBeGreaterThanOrEqual(0);
  expect(value(text, 'llm_reconciliation_check_age_seconds')).toBeLessThan(60);
  expect(value(text, 'llm_breaker_state{model="mock:small"}')).toBe(2);
  expect(value(text, 'llm_breaker_state{model="mock:large"}')).toBe(0);
  expect(value(text, 'llm_limit_alerts_total{threshold="80"}')).toBe(await count('select count(*) as n from llm.alerts where threshold_pct = 80'));
  expect(value(text, 'llm_limit_alerts_total{threshold="95"}')).toBeGreaterThanOrEqual(0);
  expect(value(text, 'llm_limit_used_ratio_max{scope="user"}')).toBe(0.5); // user a1: $0.025 of $0.05
  // No budget scope crossed an alert threshold: nothing is known of them above one (not a reassuring 0), none left out.
  expect(text).not.toMatch(/^llm_limit_used_ratio_max\{scope="budget_scope"\}/m);
  expect(value(text, 'llm_budget_scope_crossings_unread')).toBe(0);
  expect(value(text, 'llm_job_queue_depth')).toBeGreaterThanOrEqual(0);
  // The partitions made ahead, per ledger table, as llm.partition_coverage reads them from the catalog (3 by default).
  const coverage = (await auditor.query(`select table_name, months_ahead from llm.partition_coverage order by 1`)).rows;
  expect(coverage.map((r) => r.table_name)).toEqual(['adjustments', 'alerts', 'attempts', 'request_inputs', 'requests', 'usage']);
  for (const r of coverage) expect([r.table_name, value(text, `llm_partition_months_ahead{table="${r.table_name}"}`)]).toEqual([r.table_name, r.months_ahead]);
  expect(value(text, 'llm_partition_months_ahead{table="attempts"}')).toBeGreaterThanOrEqual(3);
  expect(value(text, 'llm_partition_months_ahead_wanted')).toBe(3);
  await injectDrift(db.pool('admin'));
  const drift = await count('select count(*) as n from llm.reconciliation_drift');
  expect(drift).toBeGreaterThan(0);
  // The scrape reports the last check, not the view: the drift shows once the next check has run (every 5 minutes).
  expect(value(await scrape(new Metrics(worker, { auditPool: auditor })), 'llm_reconciliation_drift_rows')).toBe(0);
  await checkReconciliation();
  const after = await scrape(new Metrics(worker, { auditPool: auditor }));
  expect(value(after, 'llm_reconciliation_drift_rows')).toBe(drift);
  expect(promtool(['check', 'metrics'], after).status).toBe(0);
});

test('llm_limit_used_ratio_max{scope="budget_scope"} reads the budget scopes that crossed an alert threshold, the newest 200 crossings, and counts the rest', async () => {
  // (scale) From llm.limit_usage, every budget scope of the last 24 hours computed its usage, limit and deadline at each
  // scrape (~0.11 ms each: 12-14 s at 5 * 10^4, past the read's 5 s timeout, and the metrics NaN); llm.limit_use_maxima
  // reads at most 200 crossings (llm.alerts rows) whatever the number of scopes. Tenant C: a scope's calls are capped at 2
  // and alert at 50 % only, so that one call is one crossing (50 %) and two calls read 100 %.
  const C = 'c0000000-0000-0000-0000-00000000000c';
  const admin = db.pool('admin', 1);
  await admin.query(`begin; set local role llm_operator;
    select llm.upsert_tenant('${C}', 'tenant C');
    select llm.set_limit('investigation_calls', 2, '${C}', p_alert_pcts => '{50}');
    select llm.set_limit('investigation_deadline', 3600000, '${C}');
    commit`);
  await admin.query(`insert into llm_private.users (tenant_id, id) values ('${C}', 'c1000000-0000-0000-0000-000000000001')`);
  // Calls of tenant C through the API (enqueue as the application, reserve and settle as the worker), each scope its calls
  // (on mock:large: the seed left mock:small's breaker open).
  const calls = (scopes: string, perScope: number) => admin.query(`select count(*) from (
    select tests.settle(r.pk, 1, 'ok', 10, 0, 5) from (select e.pk, tests.reserve(e.pk, 1, 10) from (
      select tests.enqueue('${C}', 'c1000000-0000-0000-0000-000000000001', s || '-' || n, 'investigation', 'mock:large', 10,
                           'a question', jsonb_build_object('budget_scope', s)) as pk
        from (${scopes}) x(s) cross join generate_series(1, ${perScope}) n order by s, n) e) r) done`);
  const ratio = (text: string) => value(text, 'llm_limit_used_ratio_max{scope="budget_scope"}');
  const unread = (text: string) => value(text, 'llm_budget_scope_crossings_unread');
  const later = () => admin.query(`select tests.freeze_clock(llm_private.now() + interval '1 second')`);
  await later();
  await calls(`values ('full-1')`, 2);
  let text = await scrape(new Metrics(worker, { auditPool: auditor }));
  expect([ratio(text), unread(text)]).toEqual([1, 0]); // full-1: 2 of 2 calls
  // 200 newer crossings, each of a scope at 50 %: the metric reads those 200 and counts full-1's, left out.
  await later();
  await calls(`select 'half-' || i from generate_series(1, 200) i`, 1);
  const crossings = await count(`select count(*) as n from llm.alerts where tenant_id = '${C}'`);
  expect(crossings).toBe(201);
  text = await scrape(new Metrics(worker, { auditPool: auditor }));
  expect([ratio(text), unread(text)]).toEqual([0.5, 1]);
  // llm.limit_usage still says 100 %: the metric is the highest of the newest 200 crossings, and says how many it left out.
  expect(await count(`select max(used_pct) as n from llm.limit_usage where current and tenant_id = '${C}' and budget_scope is not null`)).toBe(100);
  await later();
  await calls(`values ('full-2')`, 2);
  text = await scrape(new Metrics(worker, { auditPool: auditor }));
  expect([ratio(text), unread(text)]).toEqual([1, 2]); // full-2's crossing is the newest
  expect(promtool(['check', 'metrics'], text).status).toBe(0);
  // Through the worker's pool as llm_operator, the same.
  const asOperator = await scrape(new Metrics(worker));
  expect([ratio(asOperator), unread(asOperator)]).toEqual([1, 2]);
});

test('a cap of 0 with anything spent reads +Inf in llm_limit_used_ratio_max (over every threshold), which promtool accepts', async () => {
  // llm.limit_usage.used_pct was NULL at a cap of 0, the gauge left the subject out, and LlmSpendAbove80PctOfCap never fired
  // for "tell me at the first charge". Tenant D's user D1: a soft cap of 0 a day, then one call.
  const D = 'd0000000-0000-0000-0000-00000000000d';
  const D1 = 'd1000000-0000-0000-0000-000000000001';
  const admin = db.pool('admin', 1);
  await admin.query(`begin; set local role llm_operator;
    select llm.upsert_tenant('${D}', 'tenant D');
    select llm.define_meter('user_daily_zero', 'user', 'day', 'micros');
    commit`);
  await admin.query(`insert into llm_private.users (tenant_id, id) values ('${D}', '${D1}')`);
  await admin.query(`begin; set local role llm_operator; select llm.set_limit('user_daily_zero', 0, '${D}', '${D1}', 'soft'); commit`);
  const before = await scrape(new Metrics(worker, { auditPool: auditor }));
  expect(value(before, 'llm_limit_used_ratio_max{scope="user"}')).toBeLessThan(1); // nothing used: 0, not above the others
  await admin.query(`select tests.settle(pk, 1, 'ok', 10, 0, 5)
                       from (select x.pk, tests.reserve(x.pk, 1, 10)
                               from (select tests.enqueue('${D}', '${D1}', 'zero-1', 'investigation', 'mock:large', 10, 'a question') as pk) x) r`);
  expect(await count(`select count(*) as n from llm.limit_usage where current and user_id = '${D1}' and used_pct = 'Infinity'`)).toBe(1);
  const text = await scrape(new Metrics(worker, { auditPool: auditor }));
  expect(text).toMatch(/^llm_limit_used_ratio_max\{scope="user"\} \+Inf$/m);
  expect(promtool(['check', 'metrics'], text)).toEqual({ status: 0, output: '' });
});

test('llm_role_settings_drift counts the defaults a login set for itself since the migrate', async () => {
  // What one SQL injection in the application can run, in this test's database only: role-wide it would reach the other
  // suites running now (and runtime-ddl.test makes a role-wide change for a moment, so the metric is checked as at least 1).
  const inThisDb = () => count(`select count(*) as n from llm.role_settings_drift where scope = 'database'`);
  expect(await inThisDb()).toBe(0);
  await db.pool('llm_app', 1).query(`alter role llm_app in database ${db.name} set default_transaction_read_only = on`);
  try {
    expect(await inThisDb()).toBe(1);
    expect(value(await scrape(new Metrics(worker, { auditPool: auditor })), 'llm_role_settings_drift')).toBeGreaterThanOrEqual(1);
  } finally {
    await db.pool('admin', 1).query(`alter role llm_app in database ${db.name} reset all`);
  }
  expect(await inThisDb()).toBe(0);
});

test('llm_job_oldest_lock_seconds is the age of the oldest lock among the jobs of our requests (0 when none; maintenance jobs and another application\'s left out); the alert\'s commands release it', async () => {
  const admin = db.pool('admin', 1);
  // Jobs of our requests as the database added them (the seeded calls' jobs: no worker ran them), a maintenance job, and two
  // jobs of another application on the same graphile-worker schema, one of a task named like our endpoint; then locked as
  // gone workers left them: graphile-worker's own columns, written here by the test alone.
  const ours = (await admin.query(`select job_id::int as id from llm_private.requests where request_id in ('a2-40h', 'b1-30h') order by request_id`))
    .rows.map((r) => r.id as number);
  expect(ours).toHaveLength(2);
  const add = async (task: string, payload: string) =>
    Number((await worker.query(`select id from graphile_worker.add_job($1, $2::json, max_attempts => 3)`, [task, payload])).rows[0].id);
  const lock = (id: number, by: string, ago: string, lastAttempt = false) => admin.query(
    `update graphile_worker._private_jobs set locked_by = $4, locked_at = now() - $2::interval,
            attempts = case when $3 then max_attempts else 1 end where id = $1`, [id, ago, lastAttempt, by]);
  const depth = async () => value(await scrape(new Metrics(worker)), 'llm_job_queue_depth');
  const depthBefore = await depth();
  const added = [await add('llm__expire_holds', '{}'), await add('route', '{"order_id": 42}'), await add('send_invoice_email', '{"invoice": 7}')];
  try {
    // The depth counts the jobs of our endpoints' tasks, another application's `route` job too (our workers take it).
    expect(await depth()).toBe(depthBefore + 1);
    expect(value(await scrape(new Metrics(worker)), 'llm_job_oldest_lock_seconds')).toBe(0);
    await lock(ours[0]!, 'gone-pool', '40 minutes');
    await lock(ours[1]!, 'gone-pool', '2 hours', true); // its last attempt (attempts = max_attempts): stuck all the same
    await lock(added[0]!, 'gone-pool', '5 hours'); // a maintenance job: not an LLM call's
    await lock(added[1]!, 'shop-pool', '6 hours'); // another application's long job, of a task named like our endpoint
    await lock(added[2]!, 'shop-pool', '7 hours'); // and of its own task
    const age = value(await scrape(new Metrics(worker)), 'llm_job_oldest_lock_seconds');
    expect(age).toBeGreaterThanOrEqual(7200);
    expect(age).toBeLessThan(7260);
    // The commands LlmJobsLockedByGoneWorker gives the on-call, as written, connected as llm_worker: the stale ids of our
    // jobs (not the other application's worker's), then their release (no worker is alive here, so every stale id of ours
    // is a gone one's).
    const rules = readFileSync(join(__dirname, '..', '..', 'ops', 'prometheus', 'alerts.yml'), 'utf8');
    const list = rules.match(/List the stale ids of our jobs: (select distinct locked_by from llm\.locked_jobs\(\) where [^;]+);/)![1]!;
    const release = rules.match(/connected as llm_worker: (select graphile_worker\.force_unlock_workers\(array\[)'<id>', \.\.\.(\]\))/)!;
    const stale = (await worker.query(list)).rows.map((r) => r.locked_by as string);
    expect(stale).toEqual(['gone-pool']);
    await worker.query(`${release[1]}${stale.map((id) => `'${id}'`).join(', ')}${release[2]}`);
    expect(value(await scrape(new Metrics(worker)), 'llm_job_oldest_lock_seconds')).toBe(0);
    expect((await admin.query(`select locked_by from graphile_worker.jobs where id = any($1::bigint[]) order by id`, [added.slice(1)])).rows)
      .toEqual([{ locked_by: 'shop-pool' }, { locked_by: 'shop-pool' }]);
  } finally {
    await admin.query('delete from graphile_worker._private_jobs where id = any($1::bigint[])', [added]);
    await admin.query(`update graphile_worker._private_jobs set locked_by = null, locked_at = null, attempts = 0 where id = any($1::bigint[])`, [ours]);
  }
});

test('without an auditor pool the views are read through the worker pool as llm_operator', async () => {
  const text = await scrape(new Metrics(worker));
  expect(value(text, 'llm_open_holds')).toBe(await count('select count(*) as n from llm.open_holds'));
});

test('a database that cannot be read leaves the DB-derived metrics out, counts the error, and still serves a valid scrape', async () => {
  const dead = new Pool({ connectionString: 'postgres://llm_viewer@127.0.0.1:1/none', connectionTimeoutMillis: 2000 });
  dead.on('error', () => {});
  try {
    const text = await scrape(new Metrics(dead, { auditPool: dead }));
    expect(text).toMatch(/^llm_metrics_read_errors_total 2$/m); // the views and the job queue (one read), counted in this very scrape
    for (const g of ['llm_open_holds', 'llm_holds_overdue', 'llm_reconciliation_drift_rows', 'llm_reconciliation_check_age_seconds',
      'llm_role_settings_drift', 'llm_job_queue_depth', 'llm_job_oldest_lock_seconds', 'llm_partition_months_ahead_wanted']) {
      expect(text).toMatch(new RegExp(`^${g} Nan$`, 'm'));
    }
    expect(text).not.toMatch(/^llm_breaker_state\{/m);
    expect(text).not.toMatch(/^llm_partition_months_ahead\{/m);
    expect(text).not.toMatch(/^llm_limit_alerts_total\{/m);
    expect(text).toMatch(/^llm_worker_process_cpu_seconds_total /m);
    expect(promtool(['check', 'metrics'], text)).toEqual({ status: 0, output: '' });
  } finally {
    await dead.end();
  }
});
