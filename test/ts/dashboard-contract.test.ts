/**
 * The dashboard, the metrics and the Grafana panels against SPEC.md's audit views, as stand-ins
 * built here with exactly SPEC.md's names and columns (types as we read them): this pins the
 * queries to the contract, with rows a seeded ledger does not easily produce (a global limit, an
 * open-ended period, a half-open breaker). dashboard.test.ts runs the same code on the real views.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Pool } from 'pg';
import { urlForDatabase } from '../../src/db/urls';
import { startDashboard } from '../../src/dashboard';
import { loadMetricsSnapshot, loadSections, SECTION_NAMES } from '../../src/dashboard/queries';
import { Metrics, serveMetrics } from '../../src/metrics';
import { TEMPLATE_ENV, TEST_ADMIN_URL } from '../support/admin';
import { promtool } from './ops-promtool';

const A = 'a0000000-0000-0000-0000-00000000000a';
const B = 'b0000000-0000-0000-0000-00000000000b';
const U = 'a1000000-0000-0000-0000-000000000001';
const NO_ROWS = 'c0000000-0000-0000-0000-00000000000c';
const M = `date_trunc('month', now(), 'UTC')`;

/** SPEC.md's audit views as stand-ins: names and columns from the contract, a few rows each. */
const SPEC_VIEWS = `
create schema llm;
create view llm.limit_usage as select * from (values
  (1::bigint, 'tenant_monthly_spend'::text, 'tenant'::text, 'month'::text, 'micros'::text, '${A}'::uuid, null::uuid, null::text,
   ${M}, ${M} + interval '1 month', 100000000::bigint, 'hard'::text, 40000::bigint, 85000000::bigint, 85.04::numeric, true),
  (2, 'user_monthly_spend', 'user', 'month', 'micros', '${A}', '${U}', null, ${M}, ${M} + interval '1 month', 50000, 'hard', 0, 25000, 50.00, true),
  (3, 'investigation_calls', 'budget_scope', 'scope', 'calls', '${A}', null, 'inv-7', ${M}, 'infinity', 20, 'hard', 1, 19, 100.00, true),
  (4, 'global_hourly', 'global', 'hour', 'micros', null, null, null, ${M}, ${M} + interval '1 hour', 1000, 'soft', 0, 10, 1.00, false)
) v(limit_id, meter_name, scope, "window", unit, tenant_id, user_id, budget_scope, period_start, period_end, cap, kind, held, spent, used_pct, current);
create view llm.monthly_spend as select * from (values
  (${M}, '${A}'::uuid, null::uuid, 85000000::bigint, 40000::bigint, 100000000::bigint),
  (${M}, '${A}', '${U}', 25000, 0, 50000),
  (${M}, '${B}', null, 1000, 0, null)
) v(month_start, tenant_id, user_id, spent_micros, held_micros, cap_micros);
create view llm.hourly_spend as select * from (values
  (date_trunc('hour', now()) - interval '3 hours', '${A}'::uuid, 30000::bigint, 2::bigint),
  (date_trunc('hour', now()), '${B}', 1000, 1)
) v(hour_start, tenant_id, spent_micros, calls);
create view llm.refusals_by_reason as select * from (values (${M}, '${A}'::uuid, 'user_monthly_spend'::text, 3::bigint)) v(month_start, tenant_id, reason, refusals);
create view llm.open_holds as select * from (values
  ('${A}'::uuid, '${U}'::uuid, 'req-1'::text, 'investigation'::text, 1, 'openai:gpt-4o-mini'::text, 40000::bigint, now() - interval '1 hour', now() - interval '50 minutes', true)
) v(tenant_id, user_id, request_id, endpoint, attempt_no, model_ref, held_micros, reserved_at, expires_at, overdue);
create view llm.shutoff_windows as select * from (values
  (1::bigint, 'tenant'::text, '${B}'::uuid, null::uuid, 'manual'::text, now() - interval '1 hour', now() + interval '1 hour', 'incident'::text, 'ops'::text, null::timestamptz, true, false),
  (2, 'global', null, null, 'scheduled', now() + interval '1 day', now() + interval '2 days', 'maintenance', 'ops', null, false, true)
) v(id, scope, tenant_id, user_id, kind, starts_at, ends_at, reason, created_by, cancelled_at, active, upcoming);
create view llm.breaker_state as select * from (values
  ('openai'::text, 'gpt-4o-mini'::text, 'openai:gpt-4o-mini'::text, 'half_open'::text, 2, now() - interval '1 minute', 4, now(), now() - interval '1 hour')
) v(provider, model, model_ref, state, consecutive_failures, open_until, opened_count, last_failure_at, last_success_at);
-- Ours, not SPEC.md's: every change of a breaker's state (the dashboard lists the last 7 days').
create view llm.breaker_transitions as select * from (values
  (7::bigint, 'openai'::text, 'gpt-4o-mini'::text, 'openai:gpt-4o-mini'::text, 'open'::text, 'half_open'::text, 'probe_claimed'::text,
   now() - interval '1 minute', 2, null::timestamptz, '${A}'::uuid, true, '${B}'::uuid, 'llm_money'::text),
  (6, 'openai', 'gpt-4o-mini', 'openai:gpt-4o-mini', 'closed', 'open', 'failures', now() - interval '2 minutes', 2, now() - interval '1 minute',
   null, false, '${A}', 'llm_money'),
  (5, 'openai', 'gpt-4o-mini', 'openai:gpt-4o-mini', 'open', 'closed', 'by_hand', now() - interval '8 days', 0, null, null, false, null, 'ops')
) v(id, provider, model, model_ref, from_state, to_state, cause, changed_at, consecutive_failures, open_until, streak_tenant_id,
    streak_tenants_many, call_tenant_id, changed_by);
create view llm.alerts as select * from (values
  (1::bigint, now() - interval '2 hours', '${A}'::uuid, null::uuid, null::text, 1::bigint, 'tenant_monthly_spend'::text, ${M}, 80, 80000000::bigint, 100000000::bigint, 'micros'::text),
  (2, now() - interval '1 hour', '${A}', null, 'inv-7', 3, 'investigation_calls', ${M}, 95, 19, 20, 'calls')
) v(id, fired_at, tenant_id, user_id, budget_scope, limit_id, meter_name, period_start, threshold_pct, used, cap, unit);
-- The drift view reads two months of the ledger (minutes at 10^7 calls a month): nothing here may read it. This stand-in
-- fails the read that does; the dashboard lists the rows of the last scheduled check (llm.reconciliation_checked_drift).
create function llm.refuse_read(p_what text) returns boolean language plpgsql volatile as $f$
begin raise exception '% was read', p_what; end $f$;
create view llm.reconciliation_drift as select * from (values
  ('usage'::text, '${A}'::uuid, 'tenant_monthly_spend'::text, null::uuid, null::text, ${M}, 85001234::bigint, 85000000::bigint, 'micros'::text)
) v(kind, tenant_id, meter_name, user_id, budget_scope, period_start, usage_value, ledger_value, unit)
where llm.refuse_read('llm.reconciliation_drift');
create view llm.role_settings_drift as select * from (values
  ('llm_app'::text, 'database'::text, 'default_transaction_read_only'::text, null::text, 'on'::text, now() - interval '1 day')
) v(role_name, scope, parameter, recorded, now, recorded_at);
create view llm.budget_scopes as select * from (values
  ('${A}'::uuid, 'inv-7'::text, 'investigation'::text, now() - interval '1 day', now() + interval '1 day', 19::bigint, 20, 120000::bigint, 40000::bigint, 500000::bigint, 'open'::text)
) v(tenant_id, budget_scope, endpoint, started_at, deadline_at, calls, calls_cap, spent_micros, held_micros, cap_micros, state);
-- Ours, not SPEC.md's: the months of partitions made ahead (the metrics export months_ahead per table); one table ran out,
-- one reads NULL (ours never does: a table without a month partition reads -1; the metric reads -Inf, not a reassuring 0).
create view llm.partition_coverage as select * from (values
  ('attempts'::text, ${M} + interval '3 months', 3, 3, 5), ('usage', ${M}, 0, 3, 2), ('alerts', null, null, 3, 0)
) v(table_name, newest_month_start, months_ahead, months_ahead_wanted, month_partitions);
-- The metrics' drift (ours, not SPEC.md's: the scheduled check's count of llm.reconciliation_drift, two minutes ago).
create view llm.reconciliation_status as select * from (values
  (now() - interval '2 minutes', 1::bigint, 40, 120::double precision, 1)
) v(checked_at, drift_rows, duration_ms, age_seconds, drift_rows_kept);
-- The rows the newest check kept (ours, not SPEC.md's).
create view llm.reconciliation_checked_drift as select * from (values
  (now() - interval '2 minutes', 1, 'spent'::text, '${A}'::uuid, 'tenant_monthly_spend'::text, null::uuid, null::text, ${M}, 0::smallint,
   85001234::bigint, 85000000::bigint, 'micros'::text)
) v(checked_at, row_no, kind, tenant_id, meter_name, user_id, budget_scope, period_start, shard, usage_value, ledger_value, unit);
-- The holds the dashboard and Grafana list (ours, not SPEC.md's: those the expiry sweep watches, which here are all of them).
create function llm.watched_open_holds(p_tenant_id uuid default null, p_limit integer default 200) returns setof llm.open_holds
  language sql stable as $f$ select * from llm.open_holds where p_tenant_id is null or tenant_id = p_tenant_id order by expires_at limit p_limit $f$;
-- A page of budget scopes, open ones first, nearest deadline first (ours, not SPEC.md's: the first page here).
create function llm.budget_scopes_page(p_tenant_id uuid default null, p_limit integer default 200, p_after_state text default null,
  p_after_deadline_at timestamptz default null, p_after_started_at timestamptz default null, p_after_tenant_id uuid default null,
  p_after_budget_scope text default null) returns setof llm.budget_scopes
  language sql stable as $f$ select * from llm.budget_scopes where p_tenant_id is null or tenant_id = p_tenant_id
                             order by state <> 'open', case when state = 'open' then deadline_at end nulls last,
                                      started_at desc, tenant_id desc, budget_scope desc limit p_limit $f$;
-- The metrics' highest use per limit scope (ours, not SPEC.md's: every current period here, and one budget-scope crossing left out).
create function llm.limit_use_maxima(p_budget_scopes integer default 200) returns table (scope text, used_ratio_max numeric, crossings_unread bigint)
  language sql stable as $f$ select scope, max(used_pct) / 100, case when scope = 'budget_scope' then 1 else 0 end::bigint
                               from llm.limit_usage where current and used_pct is not null group by scope $f$;
-- The metrics' count of open holds (ours, not SPEC.md's: the holds the expiry sweep watches, which here are all of them).
create function llm.open_hold_counts() returns table (open_holds bigint, holds_overdue bigint, watched_from timestamptz)
  language sql stable as $f$ select count(*), count(*) filter (where overdue), '-infinity'::timestamptz from llm.open_holds $f$;
create schema graphile_worker;
create view graphile_worker.jobs as select 0 as attempts, 25 as max_attempts, 'investigation'::text as task_identifier, null::timestamptz as locked_at;
-- Ours, not SPEC.md's: the locked jobs of our requests (the metrics' oldest lock; none locked here).
create function llm.locked_jobs() returns table (job_id bigint, task_identifier text, attempts integer, max_attempts integer, locked_by text,
  locked_at timestamptz) language sql stable as $f$ select null::bigint, task_identifier, attempts, max_attempts, null::text, locked_at
  from graphile_worker.jobs where locked_at is not null $f$;
grant usage on schema llm to llm_viewer, llm_operator;
grant select on all tables in schema llm to llm_viewer;
grant execute on function llm.refuse_read(text) to public;`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;
const getJson = async (url: URL): Promise<Json> => (await (await fetch(url)).json()) as Json;

let name: string;
let pool: Pool;

beforeAll(async () => {
  const stem = (process.env[TEMPLATE_ENV] ?? 'llmgov_test_x_tpl').replace(/_tpl$/, '');
  name = `${stem}_contract_${randomBytes(3).toString('hex')}`;
  const admin = new Client({ connectionString: TEST_ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${admin.escapeIdentifier(name)}`);
  await admin.end();
  pool = new Pool({ connectionString: urlForDatabase(TEST_ADMIN_URL, name), max: 4 });
  // An idle pooled connection that the server ends emits 'error' on the pool; unheard, it failed the test running at
  // that moment (CI of fdfcb13: 57P01 on an idle client between two queries). The pool drops that client and opens
  // another at the next query, as every pool of test/support/db.ts does.
  pool.on('error', () => undefined);
  await pool.query(SPEC_VIEWS);
});
afterAll(async () => {
  await pool?.end();
  const admin = new Client({ connectionString: TEST_ADMIN_URL });
  await admin.connect();
  await admin.query(`drop database if exists ${admin.escapeIdentifier(name)} with (force)`);
  await admin.end();
});

test('every section query runs on SPEC.md\'s views as llm_viewer and its rows parse', async () => {
  const { rows } = await loadSections(pool, SECTION_NAMES, null);
  expect(Object.fromEntries(SECTION_NAMES.map((n) => [n, rows[n].length])))
    .toEqual({ spend: 3, limits: 3, hourly: 2, refusals: 1, holds: 1, shutoffs: 2, breakers: 1, transitions: 2, alerts: 2, drift: 1, scopes: 1 });
  expect(rows.transitions.map((t) => [t.id, t.cause, t.streak_tenants_many])).toEqual([[7n, 'probe_claimed', true], [6n, 'failures', false]]);
  expect(rows.spend[0]).toMatchObject({ spent_micros: 85000000n, cap_micros: 100000000n, user_id: null });
  expect(rows.alerts.map((a) => a.threshold_pct)).toEqual([95, 80]);
  expect(rows.drift[0]).toMatchObject({ usage_value: '85001234', ledger_value: '85000000', unit: 'micros' });
  expect(rows.limits[0]).toMatchObject({ meter_name: 'investigation_calls', window: 'scope', cap: '20', spent: '19', used_pct: 100,
    period_end: null }); // 'infinity': open-ended
  const { rows: b } = await loadSections(pool, SECTION_NAMES, B);
  expect({ spend: b.spend.length, hourly: b.hourly.length, holds: b.holds.length, shutoffs: b.shutoffs.length, alerts: b.alerts.length,
    drift: b.drift.length, transitions: b.transitions.length }).toEqual({ spend: 1, hourly: 1, holds: 0, shutoffs: 2, alerts: 0, drift: 1, transitions: 2 });
});

test('a database without llm.reconciliation_status (not yet migrated to 000040): the drift is unknown, the other metrics are read', async () => {
  // (review of f9512fe) The status was read inside the metrics' one query: its absence (42P01) failed every metric.
  const status = (await pool.query(`select pg_get_viewdef('llm.reconciliation_status'::regclass) as d`)).rows[0].d as string;
  await pool.query('drop view llm.reconciliation_status');
  try {
    const s = await loadMetricsSnapshot(pool);
    expect(s).toMatchObject({ open_holds: 1n, holds_overdue: 1n, drift_rows: null, drift_check_age_seconds: null, role_settings_drift: 1n });
    const { server, port } = await serveMetrics(new Metrics(pool, { auditPool: pool }), 0);
    try {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(text).toMatch(/^llm_reconciliation_check_age_seconds \+Inf$/m);
      expect(text).toMatch(/^llm_reconciliation_drift_rows Nan$/m);
      expect(text).toMatch(/^llm_metrics_read_errors_total 0$/m);
      expect(text).toMatch(/^llm_open_holds 1$/m);
    } finally {
      server.close();
    }
    const { rows, reconciliation } = await loadSections(pool, ['breakers'], null, { reconciliation: true });
    expect([rows.breakers.length, reconciliation]).toEqual([1, null]);
  } finally {
    await pool.query(`create view llm.reconciliation_status as ${status}; grant select on llm.reconciliation_status to llm_viewer`);
  }
});

test('a database not yet migrated to this release (no llm.breaker_transitions, no llm.partition_coverage): the page says so, the rest is read', async () => {
  // (adopter's review 76) npm run dashboard of a newer release against an older database answered 500 to /, /index.json
  // and /transitions (42P01), and a scrape lost every database-derived metric.
  const views = (await pool.query(`select c.relname, pg_get_viewdef(c.oid) as d from pg_class c
    where c.relnamespace = 'llm'::regnamespace and c.relname in ('breaker_transitions', 'partition_coverage')`)).rows as { relname: string; d: string }[];
  expect(views.map((v) => v.relname).sort()).toEqual(['breaker_transitions', 'partition_coverage']);
  const holds = (await pool.query(`select pg_get_functiondef('llm.watched_open_holds(uuid,integer)'::regprocedure) as d`)).rows[0].d as string;
  await pool.query('drop view llm.breaker_transitions, llm.partition_coverage; drop function llm.watched_open_holds(uuid, integer)');
  const dash = await startDashboard({ pool, port: 0 });
  try {
    const all = await (await fetch(new URL('index.json', dash.url))).json() as Json;
    expect(all.missing_sections).toEqual(['holds', 'transitions']); // a missing view (42P01), a missing function (42883)
    expect([all.transitions, all.holds]).toEqual([null, null]);
    expect(all.breakers).toHaveLength(1);
    const page = await (await fetch(dash.url)).text();
    expect(page).toContain('id="transitions-missing"');
    expect(page).toContain('id="breakers-table"');
    const one = await fetch(new URL('transitions', dash.url));
    expect(one.status).toBe(200);
    expect(await one.text()).toMatch(/not migrated to this release/);
    const s = await loadMetricsSnapshot(pool);
    expect(s).toMatchObject({ open_holds: 1n, drift_rows: 1n, partitions: [] });
  } finally {
    await dash.close();
    for (const v of views) await pool.query(`create view llm.${v.relname} as ${v.d}; grant select on llm.${v.relname} to llm_viewer`);
    await pool.query(holds);
  }
});

test('a metrics read slower than its timeout fails within it (57014): the scrape counts a failed read, its metrics NaN, and answers', async () => {
  // (soak review 85) llm.limit_usage took seconds with many budget scopes, the whole scrape past Prometheus's timeout: a
  // healthy worker paged as down. The read has its own statement timeout (METRICS_READ_TIMEOUT_MS, 5 s; 300 ms here).
  const def = (await pool.query(`select pg_get_viewdef('llm.breaker_state'::regclass) as d`)).rows[0].d as string;
  await pool.query(`create or replace view llm.breaker_state as select * from (${def.replace(/;\s*$/, '')}) v where pg_sleep(2) is not null`);
  try {
    const t0 = Date.now();
    await expect(loadMetricsSnapshot(pool, 'llm_viewer', 300)).rejects.toMatchObject({ code: '57014' });
    expect(Date.now() - t0).toBeLessThan(1_500);
  } finally {
    await pool.query(`create or replace view llm.breaker_state as ${def}`);
  }
  expect((await loadMetricsSnapshot(pool)).open_holds).toBe(1n);
});

test('a section that fails with 42703 although its view has every column is an error, not "not migrated" (review 77)', async () => {
  // PL/pgSQL raises 42703 for a record without the field, and a typo in a section's SQL does too: neither is fixed by a migrate.
  const def = (await pool.query(`select pg_get_viewdef('llm.breaker_state'::regclass) as d`)).rows[0].d as string;
  await pool.query(`create function llm.broken() returns boolean language plpgsql as $f$
                      begin raise exception using errcode = '42703', message = 'record "r" has no field "x"'; end $f$;
                    grant execute on function llm.broken() to llm_viewer;
                    create or replace view llm.breaker_state as select * from (${def.replace(/;\s*$/, '')}) v where llm.broken()`);
  const errors: unknown[] = [];
  const dash = await startDashboard({ pool, port: 0, onError: (e) => errors.push(e) });
  try {
    expect((await fetch(new URL('breakers.json', dash.url))).status).toBe(500);
    expect(errors).toHaveLength(1);
    expect((await fetch(new URL('spend.json', dash.url))).status).toBe(200);
  } finally {
    await dash.close();
    await pool.query(`create or replace view llm.breaker_state as ${def}; drop function llm.broken()`);
  }
});

test('a database whose status has 000040\'s columns (no drift_rows_kept): the drift metric is read all the same', async () => {
  // (review of e4b0999) Naming the new column, the status read failed with 42703, and with it every metric of the scrape.
  const status = (await pool.query(`select pg_get_viewdef('llm.reconciliation_status'::regclass) as d`)).rows[0].d as string;
  await pool.query(`drop view llm.reconciliation_status;
                    create view llm.reconciliation_status as select * from (values
                      (now() - interval '2 minutes', 1::bigint, 40, 120::double precision)) v(checked_at, drift_rows, duration_ms, age_seconds);
                    grant select on llm.reconciliation_status to llm_viewer`);
  try {
    const s = await loadMetricsSnapshot(pool);
    expect(s).toMatchObject({ open_holds: 1n, drift_rows: 1n, drift_check_age_seconds: 120 });
    const { reconciliation } = await loadSections(pool, ['breakers'], null, { reconciliation: true });
    expect(reconciliation).toMatchObject({ drift_rows: 1n, drift_rows_kept: null });
  } finally {
    await pool.query(`drop view llm.reconciliation_status;
                      create view llm.reconciliation_status as ${status}; grant select on llm.reconciliation_status to llm_viewer`);
  }
});

test('the metrics snapshot and a scrape read SPEC.md\'s views; the scrape passes promtool', async () => {
  const s = await loadMetricsSnapshot(pool);
  expect(s).toMatchObject({ open_holds: 1n, holds_overdue: 1n, drift_rows: 1n, drift_check_age_seconds: 120, role_settings_drift: 1n });
  expect(s.alerts.sort((x, y) => x.threshold.localeCompare(y.threshold))).toEqual([{ threshold: '80', n: 1n }, { threshold: '95', n: 1n }]);
  expect(Object.fromEntries(s.used_ratio_max.map((u) => [u.scope, u.ratio]))).toEqual({ tenant: 0.8504, user: 0.5, budget_scope: 1 });
  const { server, port } = await serveMetrics(new Metrics(pool, { auditPool: pool }), 0);
  try {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(text).toMatch(/^llm_limit_alerts_total\{threshold="80"\} 1$/m);
    expect(text).toMatch(/^llm_limit_alerts_total\{threshold="95"\} 1$/m);
    expect(text).toMatch(/^llm_breaker_state\{model="openai:gpt-4o-mini"\} 1$/m);
    expect(text).toMatch(/^llm_limit_used_ratio_max\{scope="tenant"\} 0\.8504$/m);
    expect(text).toMatch(/^llm_limit_used_ratio_max\{scope="budget_scope"\} 1$/m);
    expect(text).toMatch(/^llm_budget_scope_crossings_unread 1$/m);
    expect(text).toMatch(/^llm_reconciliation_drift_rows 1$/m);
    expect(text).toMatch(/^llm_reconciliation_check_age_seconds 120$/m);
    expect(text).toMatch(/^llm_role_settings_drift 1$/m);
    expect(text).toMatch(/^llm_holds_overdue 1$/m);
    expect(text).toMatch(/^llm_partition_months_ahead\{table="attempts"\} 3$/m);
    expect(text).toMatch(/^llm_partition_months_ahead\{table="usage"\} 0$/m);
    expect(text).toMatch(/^llm_partition_months_ahead\{table="alerts"\} -Inf$/m);
    expect(text).toMatch(/^llm_partition_months_ahead_wanted 3$/m);
    expect(promtool(['check', 'metrics'], text)).toEqual({ status: 0, output: '' });
  } finally {
    server.close();
  }
});

test('the page renders every section from SPEC.md\'s views, alerts and budget scopes included', async () => {
  const dash = await startDashboard({ pool, port: 0 });
  try {
    const html = await (await fetch(dash.url)).text();
    expect(html).toContain('id="drift-banner"');
    expect(html).toMatch(/<tr data-id="2">.*95 %.*investigation_calls/);
    expect(html).toMatch(/class="scope-open" data-tenant="[^"]+" data-scope="inv-7".*19 \/ 20.*\$0\.12<\/td>/);
    expect(html).toContain('<td class="state">half_open</td>');
    expect(html).toMatch(/data-meter="tenant_monthly_spend".*\$85\.00<\/td>.*\$100\.00<\/td><td class="num used">85\.0 %/);
    expect(html).toMatch(/data-meter="investigation_calls".*19 calls<\/td>.*20 calls<\/td>/);
    // The drift's amounts in their meter's unit: dollars, not 85001234 bare micro-USD.
    const drift = await (await fetch(new URL('drift', dash.url))).text();
    expect(drift).toMatch(/tenant_monthly_spend.*<td class="num">\$85\.001234<\/td><td class="num">\$85\.00<\/td><\/tr>/);
    const json = await getJson(new URL('scopes.json', dash.url));
    expect(json.scopes).toEqual([expect.objectContaining({ budget_scope: 'inv-7', calls: '19', calls_cap: '20', spent_micros: '120000' })]);
  } finally {
    await dash.close();
  }
});

/**
 * What Grafana puts in a SQL panel for `${tenant}`, by its own rules (not ours): a custom "All" value goes in as written,
 * unformatted (TemplateSrv: "skip formatting of custom all values"); any other string value of a variable that is multi or
 * has includeAll is quoted as a literal, quotes doubled (SqlDatasource.interpolateVariable); else it goes in with its quotes
 * doubled and no quotes around it. A panel that quotes `'${tenant}'` itself breaks on a picked tenant: ''<uuid>''.
 */
function grafanaSqlValue(v: { multi?: boolean; includeAll?: boolean; allValue?: string }, value: string): string {
  if (value === '$__all' && v.allValue) return v.allValue;
  const escaped = value.replace(/'/g, "''");
  return v.multi || v.includeAll ? `'${escaped}'` : escaped;
}

test('every Grafana SQL panel runs on SPEC.md\'s views as llm_viewer', async () => {
  const dashboard = JSON.parse(readFileSync(join(__dirname, '..', '..', 'ops', 'grafana', 'pg-llm-governor.json'), 'utf8'));
  const sqls: string[] = dashboard.panels.flatMap((p: { targets?: { rawSql?: string }[] }) => (p.targets ?? []).map((t) => t.rawSql))
    .filter(Boolean);
  sqls.push(dashboard.templating.list[0].query);
  expect(sqls.length).toBeGreaterThanOrEqual(10);
  const variable = dashboard.templating.list[0];
  const c = await pool.connect();
  try {
    const tenantsSeen = new Map<string, Set<string>>();
    for (const tenant of ['$__all', A, NO_ROWS]) {
      const seen = new Set<string>();
      tenantsSeen.set(tenant, seen);
      for (const sql of sqls) {
        const runnable = sql.replace(/\$__timeFilter\(([a-z_]+)\)/g, `$1 > now() - interval '48 hours'`).replace(/\$\{tenant\}/g, () => grafanaSqlValue(variable, tenant));
        await c.query('begin; set local role llm_viewer');
        try {
          const r = await c.query(runnable);
          // A row of a tenant panel without a tenant (an hourly total, a refusal count) is counted as '(no tenant column)'.
          if (sql !== variable.query && sql.includes('${tenant}')) {
            for (const row of r.rows) if (row.tenant_id || !('tenant_id' in row)) seen.add(row.tenant_id ?? '(no tenant column)');
          }
        } catch (e) {
          throw new Error(`${(e as Error).message} in:\n${runnable}`);
        } finally {
          await c.query('rollback');
        }
      }
    }
    // The filter filters: B's shutoff window shows under All, and no tenant panel shows another tenant's row when A is picked.
    expect(tenantsSeen.get('$__all')).toContain(B);
    expect([...tenantsSeen.get(A)!].sort()).toEqual(['(no tenant column)', A]);
    // A tenant with no rows: every tenant panel is empty, but for global rows (no tenant): a panel that ignored the
    // variable (the hourly totals, the refusals by reason) would show the others' rows here.
    expect([...tenantsSeen.get(NO_ROWS)!]).toEqual([]);
  } finally {
    c.release();
  }
});
