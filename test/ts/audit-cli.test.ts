/**
 * The audit CLI: money formatting, argument checks, and each command on a v0.2 ledger seeded through
 * the real functions (operator limits and shutoffs, enqueue, reserve, settle), its output compared
 * with the audit view it reads; injected drift exits 2.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Client, type Pool } from 'pg';
import { main, run as runCommand, type Io } from '../../src/cli/audit';
import { urlForRole } from '../../src/db/urls';
import { parseAuditArgs, UsageError } from '../../src/audit/args';
import { formatPercent, formatUsd, toJson } from '../../src/audit/format';
import * as q from '../../src/audit/queries';
import { renderTable } from '../../src/audit/table';
import { createTestDb, type TestDb } from '../support/db';

const TENANT_A = 'a0000000-0000-0000-0000-00000000000a';
const TENANT_B = 'b0000000-0000-0000-0000-00000000000b';
const USER_A1 = 'a1000000-0000-0000-0000-000000000001';
const USER_A2 = 'a2000000-0000-0000-0000-000000000002';
const USER_B1 = 'b1000000-0000-0000-0000-000000000001';
const MARCH = new Date('2026-03-01T00:00:00Z');
const NOW = new Date('2026-03-15T10:30:00Z');
const ROOT = join(__dirname, '..', '..');

describe('formatUsd (bigint micro-USD -> USD, 6 decimals)', () => {
  test('positive, zero and sub-dollar amounts', () => {
    expect(formatUsd(25_000_000n)).toBe('25.000000');
    expect(formatUsd(40_000n)).toBe('0.040000');
    expect(formatUsd(1n)).toBe('0.000001');
    expect(formatUsd(0n)).toBe('0.000000');
  });
  test('negative amounts carry a leading minus, also below one dollar', () => {
    expect(formatUsd(-70_000n)).toBe('-0.070000');
    expect(formatUsd(-25_500_001n)).toBe('-25.500001');
  });
  test('amounts beyond 2^53 micros stay exact', () => {
    expect(formatUsd(2n ** 53n + 1n)).toBe('9007199254.740993');
    expect(formatUsd(2n ** 63n - 1n)).toBe('9223372036854.775807');
    expect(formatUsd(-(2n ** 63n))).toBe('-9223372036854.775808');
  });
  test('percent of a cap, and JSON with bigints as strings', () => {
    expect(formatPercent(80_000n, 25_000_000n)).toBe('0.32%');
    expect(formatPercent(3_000n, 5_000n)).toBe('60.00%');
    expect(formatPercent(1n, 0n)).toBe('-');
    expect(JSON.parse(toJson({ a: 2n ** 63n - 1n }))).toEqual({ a: '9223372036854775807' });
  });
});

describe('table and arguments', () => {
  test('the table aligns columns, numbers to the right', () => {
    const t = renderTable([{ header: 'name' }, { header: 'USD', align: 'right' }], [['a', '1.000000'], ['long name', '10.000000']]);
    expect(t.split('\n')).toEqual([
      'name             USD',
      '---------  ---------',
      'a           1.000000',
      'long name  10.000000',
    ]);
    expect(renderTable([{ header: 'x' }], [])).toBe('(no rows)');
  });

  test('valid command lines parse into typed options', () => {
    expect(parseAuditArgs(['spend', '--month', '2026-03', '--tenant', TENANT_A, '--json'])).toEqual({
      command: 'spend', json: true, month: MARCH, tenantId: TENANT_A,
    });
    expect(parseAuditArgs(['alerts'])).toEqual({ command: 'alerts', json: false, month: undefined, tenantId: undefined });
    expect(parseAuditArgs(['scopes', '--month', '2026-03'])).toEqual({ command: 'scopes', json: false, month: MARCH, tenantId: undefined });
    expect(parseAuditArgs(['limits', '--tenant', TENANT_B])).toEqual({ command: 'limits', json: false, tenantId: TENANT_B });
    expect(parseAuditArgs(['shutoffs', '--active'])).toEqual({ command: 'shutoffs', json: false, active: true });
    expect(parseAuditArgs(['drift'])).toEqual({ command: 'drift', json: false });
    expect(parseAuditArgs(['--help'])).toEqual({ command: 'help' });
  });

  test.each([
    [[]],
    [['nope']],
    [['spend', '--bogus']],
    [['spend', '--month', '2026-13']],
    [['spend', '--month', '2026-3']],
    [['spend', '--tenant', 'not-a-uuid']],
    [['limits', '--month', '2026-03']],
    [['holds', '--active']],
    [['breakers', '--tenant', TENANT_A]],
    [['transitions', '--tenant', TENANT_A]],
    [['transitions', '--month', '2026-3']],
    [['drift', 'extra']],
  ])('%j is a usage error', (argv) => {
    expect(() => parseAuditArgs(argv)).toThrow(UsageError);
  });
});

/*
 * The ledger, at the fixtures' frozen clock (2026-03-15 10:30 UTC):
 *   A1: user_monthly capped at 0.10 USD, alerting at 20 and 50 %. Investigation inv-1: r1 settled at
 *       25 000 (1 000 in + 500 out of mock:large; the 20 % alert fires), r2 still holds its 40 000.
 *       Three explanation calls to mock:small fail (provider error): its breaker opens (one tenant may open it here:
 *       settings.breaker_single_tenant_opens).
 *   A2: user_monthly capped at 0.005 USD: a 40 000 worst case is refused (user_monthly);
 *       a user shutoff is scheduled for tomorrow.
 *   B:  a tenant shutoff until noon refuses both of B1's reserves (shutoff).
 */
const SEED = `
  begin;
  select tests.seed();
  select tests.act_as_role('llm_operator');
  select llm.set_setting('breaker_single_tenant_opens', 'true');
  select llm.set_limit('user_monthly', 100000, tests.tenant_a(), tests.user_a1(), p_alert_pcts => '{20,50}');
  select llm.set_limit('user_monthly', 5000, tests.tenant_a(), tests.user_a2());
  select llm.trip_shutoff('tenant', tests.tenant_b(), null, '2026-03-15 12:00:00+00', 'incident 42');
  select llm.schedule_shutoff('user', tests.tenant_a(), tests.user_a2(), '2026-03-16 00:00:00+00', '2026-03-16 06:00:00+00',
    'planned maintenance');
  select tests.as_admin();
  select tests.call(tests.tenant_a(), tests.user_a1(), 'r1', p_extra => '{"budget_scope": "inv-1"}');
  select tests.settle(tests.request_pk('r1'), 1, 'ok', 1000, 0, 500);
  select tests.call(tests.tenant_a(), tests.user_a1(), 'r2', p_extra => '{"budget_scope": "inv-1"}');
  select tests.call(tests.tenant_a(), tests.user_a2(), 'a2-1');
  select tests.call(tests.tenant_b(), tests.user_b1(), 'b-1');
  select tests.call(tests.tenant_b(), tests.user_b1(), 'b-2');
  select tests.call(tests.tenant_a(), tests.user_a1(), 'f-1', 'explanation', 'mock:small', 100);
  select tests.settle(tests.request_pk('f-1'), 1, 'error', 0, 0, 0);
  select tests.call(tests.tenant_a(), tests.user_a1(), 'f-2', 'explanation', 'mock:small', 100);
  select tests.settle(tests.request_pk('f-2'), 1, 'error', 0, 0, 0);
  select tests.call(tests.tenant_a(), tests.user_a1(), 'f-3', 'explanation', 'mock:small', 100);
  select tests.settle(tests.request_pk('f-3'), 1, 'error', 0, 0, 0);
  commit;`;

describe('against a seeded v0.2 ledger (as llm_viewer)', () => {
  let db: TestDb;
  let admin: Pool;
  let auditor: Pool;

  function capture(): Io & { stdout: string[]; stderr: string[] } {
    const stdout: string[] = [];
    const stderr: string[] = [];
    return { stdout, stderr, out: (t) => stdout.push(t), err: (t) => stderr.push(t) };
  }
  const env = () => ({ ...process.env, DATABASE_URL: db.adminUrl });

  /** Runs the CLI in-process; its exit code, stdout and stderr. */
  async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const io = capture();
    const code = await main(argv, env(), io);
    return { code, stdout: io.stdout.join('\n'), stderr: io.stderr.join('\n') };
  }

  /** The CLI's --json output of a command. */
  test('a server or login whose DateStyle is not ISO: the CLI reads its dates all the same', async () => {
    const io = capture();
    const saved = process.env.PGOPTIONS; // node-pg reads the startup options from the process's environment
    process.env.PGOPTIONS = '-c DateStyle=SQL,DMY -c TimeZone=Asia/Kathmandu';
    let code: number;
    try {
      code = await main(['spend', '--json'], env(), io);
    } finally {
      if (saved === undefined) delete process.env.PGOPTIONS;
      else process.env.PGOPTIONS = saved;
    }
    expect({ code, stderr: io.stderr.join('\n') }).toEqual({ code: 0, stderr: '' });
    const rows = JSON.parse(io.stdout.join('\n')) as Array<{ month_start: string }>;
    expect(rows.length).toBeGreaterThan(0);
    expect(new Set(rows.map((r) => r.month_start))).toEqual(new Set(['2026-03-01T00:00:00.000Z']));
  });

  async function json(argv: string[]): Promise<unknown> {
    const r = await run([...argv, '--json']);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    return JSON.parse(r.stdout);
  }

  /** Rows of an audit view read as llm_viewer, as JSON carries them (int8 and numeric as strings, dates ISO, infinity null). */
  async function view(sql: string, params: unknown[] = []): Promise<unknown> {
    return JSON.parse(JSON.stringify((await auditor.query(sql, params)).rows));
  }

  beforeAll(async () => {
    db = await createTestDb();
    admin = db.pool('admin', 2);
    auditor = db.pool('llm_viewer', 2);
    await admin.query(SEED);
  });
  afterAll(async () => {
    await db.drop();
  });

  test('the default month is the current UTC month of the product clock', async () => {
    expect(await q.currentMonth(auditor)).toEqual(MARCH);
  });

  test('spend: spent and held per tenant (user NULL = total) and user, against the monthly caps', async () => {
    expect(await q.monthlySpend(auditor, { month: MARCH })).toEqual([
      { month_start: MARCH, tenant_id: TENANT_A, user_id: null, spent_micros: 25_000n, held_micros: 40_000n, cap_micros: 500_000_000n, adjusted_micros: 0n },
      { month_start: MARCH, tenant_id: TENANT_A, user_id: USER_A1, spent_micros: 25_000n, held_micros: 40_000n, cap_micros: 100_000n, adjusted_micros: 0n },
      { month_start: MARCH, tenant_id: TENANT_A, user_id: USER_A2, spent_micros: 0n, held_micros: 0n, cap_micros: 5_000n, adjusted_micros: 0n },
      // B was refused before any meter counted it: no usage row, so no cap in the view.
      { month_start: MARCH, tenant_id: TENANT_B, user_id: null, spent_micros: 0n, held_micros: 0n, cap_micros: null, adjusted_micros: 0n },
      { month_start: MARCH, tenant_id: TENANT_B, user_id: USER_B1, spent_micros: 0n, held_micros: 0n, cap_micros: null, adjusted_micros: 0n },
    ]);
    expect(await json(['spend'])).toEqual(await view(
      `select * from llm.monthly_spend where month_start = '2026-03-01 00:00+00' order by tenant_id, user_id nulls first`));
    expect(await json(['spend', '--month', '2026-03', '--tenant', TENANT_B])).toEqual(await view(
      `select * from llm.monthly_spend where month_start = '2026-03-01 00:00+00' and tenant_id = $1 order by user_id nulls first`, [TENANT_B]));
    expect(await json(['spend', '--month', '2026-02'])).toEqual([]);

    const { code, stdout } = await run(['spend']);
    expect(code).toBe(0);
    expect(stdout).toContain('monthly spend 2026-03 (UTC)');
    expect(stdout).toMatch(new RegExp(`${TENANT_A}\\s+-\\s+500\\.000000\\s+0\\.025000\\s+0\\.040000\\s+499\\.935000\\s+0\\.01%`));
    expect(stdout).toMatch(new RegExp(`${TENANT_A}\\s+${USER_A1}\\s+0\\.100000\\s+0\\.025000\\s+0\\.040000\\s+0\\.035000\\s+65\\.00%`));
    expect(stdout).toMatch(new RegExp(`${TENANT_B}\\s+${USER_B1}\\s+-\\s+0\\.000000\\s+0\\.000000\\s+-\\s+-`));
  });

  test('refusals: counted per tenant and reason (a limit refuses with its meter name)', async () => {
    const rows = await q.refusalsByReason(auditor, { month: MARCH });
    expect(rows.map((r) => [r.tenant_id, r.reason, r.refusals])).toEqual([
      [TENANT_A, 'user_monthly', 1n],
      [TENANT_B, 'shutoff', 2n],
    ]);
    expect(await json(['refusals', '--month', '2026-03'])).toEqual(await view(
      `select * from llm.refusals_by_reason where month_start = '2026-03-01 00:00+00' order by tenant_id, refusals desc, reason`));
    expect(await json(['refusals', '--tenant', TENANT_B])).toEqual([
      { month_start: MARCH.toISOString(), tenant_id: TENANT_B, reason: 'shutoff', refusals: '2' },
    ]);
    expect((await run(['refusals'])).stdout).toMatch(new RegExp(`${TENANT_B}\\s+shutoff\\s+2`));
  });

  test('limits: usage against every limit in its current period, in the meter\'s unit', async () => {
    const rows = await q.limitUsage(auditor);
    expect(rows.map((r) => [r.meter_name, r.unit, r.tenant_id, r.user_id, r.budget_scope, r.cap, r.held, r.spent, r.used_pct])).toEqual([
      ['investigation_budget', 'micros', TENANT_A, null, 'inv-1', 300_000n, 40_000n, 25_000n, '21.67'],
      ['investigation_calls', 'calls', TENANT_A, null, 'inv-1', 10n, 1n, 1n, '20.00'],
      ['tenant_monthly', 'micros', TENANT_A, null, null, 500_000_000n, 40_000n, 25_000n, '0.01'],
      ['user_monthly', 'micros', TENANT_A, USER_A1, null, 100_000n, 40_000n, 25_000n, '65.00'],
      ['user_monthly', 'micros', TENANT_A, USER_A2, null, 5_000n, 0n, 0n, '0.00'],
    ]);
    // A budget scope's period ends at its deadline (investigation_deadline: 60 s from its first call).
    expect(rows[0]).toMatchObject({ scope: 'budget_scope', window: 'budget_scope', period_start: NOW,
      period_end: new Date(NOW.getTime() + 60_000), kind: 'hard' });
    const current = ((await view(`select * from llm.limit_usage where current
      order by tenant_id nulls first, meter_name, user_id nulls first, budget_scope nulls first, period_start`)) as Record<string, unknown>[])
      .map(({ current: _, ...r }) => r);
    expect(await json(['limits'])).toEqual(current);
    expect(await json(['limits', '--tenant', TENANT_B])).toEqual([]);

    const { stdout } = await run(['limits']);
    expect(stdout).toMatch(/^limits, current periods/);
    expect(stdout).toMatch(new RegExp(`user_monthly\\s+user\\s+month\\s+USD\\s+${TENANT_A} / ${USER_A1}\\s+2026-03-01 00:00:00Z\\s+`
      + `2026-04-01 00:00:00Z\\s+0\\.100000\\s+hard\\s+0\\.040000\\s+0\\.025000\\s+65\\.00%`));
    expect(stdout).toMatch(new RegExp(`investigation_calls\\s+budget_scope\\s+budget_scope\\s+calls\\s+${TENANT_A} / inv-1\\s+`
      + `2026-03-15 10:30:00Z\\s+2026-03-15 10:31:00Z\\s+10\\s+hard\\s+1\\s+1\\s+20\\.00%`));
  });

  test('alerts: a threshold crossed by money spent, once', async () => {
    const rows = await q.alerts(auditor, { month: MARCH });
    expect(rows).toEqual([expect.objectContaining({ fired_at: NOW, tenant_id: TENANT_A, user_id: USER_A1, budget_scope: null,
      meter_name: 'user_monthly', unit: 'micros', period_start: MARCH, threshold_pct: 20, used: 25_000n, cap: 100_000n })]);
    expect(await json(['alerts'])).toEqual(await view(
      `select id, fired_at, tenant_id, user_id, budget_scope, limit_id, meter_name, unit, period_start, threshold_pct, used, cap
         from llm.alerts order by fired_at, id`));
    expect(await json(['alerts', '--month', '2026-04'])).toEqual([]);
    expect(await json(['alerts', '--tenant', TENANT_B])).toEqual([]);
    expect((await run(['alerts'])).stdout).toMatch(
      new RegExp(`user_monthly\\s+${TENANT_A} / ${USER_A1}\\s+2026-03-01 00:00:00Z\\s+20%\\s+0\\.025000\\s+0\\.100000\\s+USD`));
  });

  test('scopes: the investigation\'s calls, spend, holds and deadline', async () => {
    expect(await q.budgetScopes(auditor, { month: MARCH })).toEqual([{
      tenant_id: TENANT_A, budget_scope: 'inv-1', endpoint: 'investigation', started_at: NOW,
      last_reserve_month: new Date('2026-03-01T00:00:00Z'), deadline_at: new Date('2026-03-15T10:31:00Z'), calls: 2n, calls_cap: 10n, spent_micros: 25_000n, held_micros: 40_000n,
      cap_micros: 300_000n, state: 'open',
    }]);
    expect(await json(['scopes'])).toEqual(await view(`select * from llm.budget_scopes order by started_at, tenant_id, budget_scope`));
    expect(await json(['scopes', '--month', '2026-02'])).toEqual([]);
    expect((await run(['scopes'])).stdout).toMatch(new RegExp(`${TENANT_A}\\s+inv-1\\s+investigation\\s+2026-03-15 10:30:00Z\\s+`
      + `2026-03-15 10:31:00Z\\s+2\\s+10\\s+0\\.025000\\s+0\\.040000\\s+0\\.300000\\s+open`));
  });

  test('holds: the open hold, not yet overdue', async () => {
    const rows = await q.openHolds(auditor);
    expect(rows).toEqual([{ tenant_id: TENANT_A, user_id: USER_A1, request_id: 'r2', endpoint: 'investigation', attempt_no: 1,
      model_ref: 'mock:large', held_micros: 40_000n, reserved_at: NOW, expires_at: expect.any(Date), overdue: false }]);
    expect(await json(['holds'])).toEqual(await view(`select * from llm.open_holds order by expires_at, tenant_id, request_id, attempt_no`));
    expect((await run(['holds'])).stdout).toMatch(/r2\s+investigation\s+1\s+mock:large\s+0\.040000\s+2026-03-15 10:30:00Z\s+\S+ \S+\s+no/);
  });

  test('shutoffs: the manual window is active, the scheduled one upcoming', async () => {
    const all = await q.shutoffWindows(auditor);
    expect(all.map((w) => [w.scope, w.tenant_id, w.user_id, w.kind, w.reason, w.created_by, w.active, w.upcoming])).toEqual([
      ['user', TENANT_A, USER_A2, 'scheduled', 'planned maintenance', 'llm_operator', false, true],
      ['tenant', TENANT_B, null, 'manual', 'incident 42', 'llm_operator', true, false],
    ]);
    expect(await json(['shutoffs'])).toEqual(await view(`select * from llm.shutoff_windows order by starts_at desc, id desc`));
    expect(await json(['shutoffs', '--active'])).toEqual(await view(`select * from llm.shutoff_windows where active`));
    expect((await run(['shutoffs', '--active'])).stdout).toMatch(
      new RegExp(`tenant\\s+${TENANT_B}\\s+-\\s+manual\\s+2026-03-15 10:30:00Z\\s+2026-03-15 12:00:00Z\\s+yes\\s+no\\s+incident 42`));
  });

  test('breakers: three provider failures opened mock:small', async () => {
    expect(await q.breakerState(auditor)).toEqual([expect.objectContaining({ model_ref: 'mock:small', state: 'open',
      consecutive_failures: 3, open_until: new Date('2026-03-15T10:30:30Z'), opened_count: 1, last_failure_at: NOW, last_success_at: null })]);
    expect(await json(['breakers'])).toEqual(await view(`select * from llm.breaker_state order by provider, model`));
    expect((await run(['breakers'])).stdout).toMatch(/mock:small\s+open\s+3\s+2026-03-15 10:30:30Z\s+1\s+2026-03-15 10:30:00Z\s+-/);
  });

  test('transitions: the breaker of mock:small opened by failures, who and why, in the month', async () => {
    expect(await q.breakerTransitions(auditor, MARCH)).toEqual([expect.objectContaining({ model_ref: 'mock:small', from_state: 'closed',
      to_state: 'open', cause: 'failures', changed_at: NOW, consecutive_failures: 3, open_until: new Date('2026-03-15T10:30:30Z') })]);
    expect(await json(['transitions'])).toEqual(await view(`select id, model_ref, from_state, to_state, cause, changed_at, consecutive_failures,
      open_until, streak_tenant_id, streak_tenants_many, call_tenant_id, changed_by from llm.breaker_transitions order by changed_at desc, id desc`));
    expect(await json(['transitions', '--month', '2026-02'])).toEqual([]);
    expect((await run(['transitions'])).stdout).toMatch(/2026-03-15 10:30:00Z\s+mock:small\s+closed\s+open\s+failures\s+3\s+2026-03-15 10:30:30Z/);
  });

  test('errors: usage errors and connection errors exit 1, naming the server but never a password', async () => {
    let r = await run(['nope']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/unknown command 'nope'[\s\S]*usage:/);

    const io = capture();
    expect(await main(['drift'], { DATABASE_URL: '' }, io)).toBe(1);
    expect(io.stderr).toEqual([expect.stringMatching(/DATABASE_URL is not set/)]);

    const bad = new URL(db.adminUrl);
    bad.password = 'admin-s3cret';
    bad.pathname = '/no_such_database_for_audit';
    const io2 = capture();
    expect(await main(['holds'], { DATABASE_URL: bad.toString(), LLM_VIEWER_PASSWORD: 'viewer-s3cret' }, io2)).toBe(1);
    expect(io2.stderr).toEqual([expect.stringMatching(/^audit: postgres:\/\/llm_viewer:\*\*\*@.*no_such_database_for_audit/)]);
    expect(io2.stderr.join('')).not.toMatch(/s3cret/);

    r = await run(['--help']);
    expect(r.code).toBe(0);
    for (const v of ['monthly_spend', 'refusals_by_reason', 'limit_usage', 'alerts', 'budget_scopes', 'open_holds', 'shutoff_windows',
      'breaker_state', 'reconciliation_drift', 'decision_log']) expect(r.stdout).toContain(`llm.${v}`);
  });

  // (adopter's review, 2026-11-27) Why a call was allowed or refused, from the CLI: it had no command over llm.decision_log.
  test('decisions: each decision with the limit and figures that made it, newest first, filtered by tenant, user and request', async () => {
    const all = await q.decisionLog(auditor, { month: MARCH, limit: 50 });
    expect(all.map((r) => r.request_id).sort()).toEqual(['a2-1', 'b-1', 'b-2', 'f-1', 'f-2', 'f-3', 'r1', 'r2']);
    const b1 = all.find((r) => r.request_id === 'b-1')!;
    const window = (await auditor.query(`select id from llm.shutoff_windows where reason = 'incident 42'`)).rows[0]!.id as string;
    expect(b1).toMatchObject({ tenant_id: TENANT_B, decision: 'block', reason: 'shutoff', shutoff_window_id: BigInt(window), limit_id: null });
    expect(await json(['decisions'])).toEqual(await view(
      `select decided_at, tenant_id, user_id, request_id, endpoint, attempt_no, purpose, decision, reason, model_ref, worst_case_micros,
              limit_id, limit_scope, limit_window, limit_cap, limit_used, limit_asked, limit_unit, shutoff_window_id
         from llm.decision_log where decided_at >= '2026-03-01 00:00+00' and decided_at < '2026-04-01 00:00+00'
        order by decided_at desc, request_id, attempt_no desc`));
    expect((await json(['decisions', '--tenant', TENANT_A, '--user', USER_A2]) as { request_id: string }[]).map((r) => r.request_id))
      .toEqual(['a2-1']);
    expect((await json(['decisions', '--tenant', TENANT_A, '--request', 'r2']) as { request_id: string; user_id: string }[]))
      .toEqual([expect.objectContaining({ request_id: 'r2', user_id: USER_A1 })]);
    expect((await json(['decisions', '--tenant', TENANT_B, '--request', 'r2']))).toEqual([]); // another tenant's request id
    expect(await json(['decisions', '--limit', '2'])).toHaveLength(2);
    expect(await json(['decisions', '--month', '2026-02'])).toEqual([]);

    const { code, stdout } = await run(['decisions', '--tenant', TENANT_B]);
    expect(code).toBe(0);
    expect(stdout).toContain('decisions 2026-03 (UTC), newest first, at most 50');
    expect(stdout).toMatch(new RegExp(`${TENANT_B}\\s+${USER_B1}\\s+b-2\\s+1\\s+block\\s+shutoff\\s+.*\\s${window}$`, 'm'));
  });

  test('decisions: a user or a request without its tenant, and a bad limit, are usage errors', async () => {
    for (const [argv, message] of [
      [['decisions', '--user', USER_A1], '--user needs --tenant'],
      [['decisions', '--request', 'r1'], '--request needs --tenant'],
      [['decisions', '--limit', '0'], '--limit is 1 .. 10000'],
      [['decisions', '--limit', 'all'], '--limit must be a whole number'],
      [['spend', '--user', USER_A1], "'spend' takes no --user option"],
    ] as const) {
      const r = await run([...argv]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`audit: ${message}`);
    }
  });

  test('drift: empty on a consistent ledger', async () => {
    expect(await q.reconciliationDrift(auditor)).toEqual([]);
    const r = await run(['drift']);
    expect(r).toEqual({ code: 0, stdout: 'reconciliation: no drift', stderr: '' });
  });

  test('drift: a usage counter changed behind the ledger\'s back is reported, and the CLI exits 2', async () => {
    const c = await admin.connect();
    try {
      // The guard trigger forbids exactly this; a superuser skips triggers in replica mode.
      await c.query(`begin; set local session_replication_role = replica;
        update llm_private.usage set held = held + 1
         where meter_id = (select id from llm_private.meters where name = 'user_monthly') and user_id = '${USER_A1}';
        commit;`);
    } finally {
      c.release();
    }
    const rows = await q.reconciliationDrift(auditor);
    expect(rows).toEqual([{ kind: 'held', tenant_id: TENANT_A, meter_name: 'user_monthly', user_id: USER_A1, budget_scope: null,
      period_start: MARCH, shard: 0, usage_value: 40_001n, ledger_value: 40_000n, unit: 'micros' }]);
    const drift = (await view(`select * from llm.reconciliation_drift`)) as Record<string, unknown>[];
    expect(drift).toHaveLength(1);

    const [table, asJson] = await Promise.all([cli(['drift']), cli(['drift', '--json'])]);
    expect(table.code).toBe(2);
    expect(table.stdout).toContain('reconciliation: DRIFT in 1 row');
    expect(table.stdout).toContain("repair it from the ledger as llm_operator: select * from llm.repair_usage_drift('why')");
    expect(table.stdout).toMatch(new RegExp(`held\\s+user_monthly\\s+USD\\s+${TENANT_A} / ${USER_A1}\\s+2026-03-01 00:00:00Z\\s+0\\s+0\\.040001\\s+0\\.040000`));
    expect(asJson.code).toBe(2);
    expect(JSON.parse(asJson.stdout)).toEqual([{ ...drift[0], unit: 'micros' }]);
    expect(JSON.parse(asJson.stdout)).toEqual([expect.objectContaining({ usage_value: '40001', ledger_value: '40000' })]);
  });

  test('drift: the read may take as long as the scheduled check (10 minutes), not the viewer\'s 60 s', async () => {
    // At 10^7 calls a month the view reads ~2×10^7 calls: about two minutes, past llm_viewer's 60 s. What is in effect
    // when the drift view is read, on the CLI's connection as llm_viewer:
    const c = new Client({ connectionString: urlForRole(db.adminUrl, 'llm_viewer') });
    await c.connect();
    try {
      const seen: string[] = [];
      const spy = {
        query: async (text: string, values?: unknown[]) => {
          if (text.includes('llm.reconciliation_drift')) {
            const { rows } = await c.query(
              `select current_setting('statement_timeout') || ' ' || current_setting('enable_sort') || ' ' || current_setting('work_mem') as s`);
            seen.push(rows[0].s);
          }
          return c.query(text, values);
        },
      };
      expect(await runCommand(spy, { command: 'drift', json: true }, capture())).toBe(2); // the drift injected above
      // aggregated by hashing (sorted, 648 MB of temp files at 10^6 calls), with the check's memory for the usage keys
      expect(seen).toEqual(['10min off 64MB']);
      // and only there: the session keeps the login's 60 s for whatever it runs next
      expect((await c.query('show statement_timeout')).rows[0].statement_timeout).toBe('1min');
      expect(await runCommand(spy, { command: 'holds', json: true }, capture())).toBe(0);
    } finally {
      await c.end();
    }
  });

  /** The real entry point through tsx, as cron would run it. */
  function cli(argv: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(join(ROOT, 'node_modules', '.bin', 'tsx'), ['src/cli/audit.ts', ...argv], { cwd: ROOT, env: env() });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  test('what the application wrote reaches the terminal without its control characters (last: it adds a hold)', async () => {
    // (review of 2026-11-26) A request id with escape sequences retitled and cleared the operator's terminal.
    await admin.query(`select tests.call(tests.tenant_a(), tests.user_a1(), E'evil\\x1b]0;PWNED\\x07\\x1b[2J\\x1b[31mFAKE\\r' || chr(127) || chr(133),
      'explanation', 'mock:tiny', 10)`);
    const r = await run(['holds']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('evil\\u001b]0;PWNED\\u0007\\u001b[2J\\u001b[31mFAKE\\u000d\\u007f\\u0085');
    expect(r.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    // --json stays valid JSON with the exact value (JSON.stringify leaves DEL and C1 raw; \u00NN is JSON's own escape).
    const rows = (await json(['holds'])) as Array<{ request_id: string }>;
    expect(rows.map((x) => x.request_id)).toContain('evil\u001b]0;PWNED\u0007\u001b[2J\u001b[31mFAKE\r\u007f\u0085');
  });
});
