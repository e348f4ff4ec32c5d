/** The audit CLI: money formatting, argument checks, each view query on a seeded ledger, drift exit code. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Pool } from 'pg';
import { main, type Io } from '../../src/cli/audit';
import { parseAuditArgs, UsageError } from '../../src/audit/args';
import { formatPercent, formatUsd, toJson } from '../../src/audit/format';
import * as q from '../../src/audit/queries';
import { renderTable } from '../../src/audit/table';
import { createTestDb, type TestDb } from '../support/db';

const TENANT_A = 'a0000000-0000-0000-0000-00000000000a';
const TENANT_B = 'b0000000-0000-0000-0000-00000000000b';
const USER_A1 = 'a1000000-0000-0000-0000-000000000001';
const USER_A2 = 'a2000000-0000-0000-0000-000000000002';
const MARCH = new Date('2026-03-01T00:00:00Z');
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
    [['holds', '--active']],
    [['drift', 'extra']],
  ])('%j is a usage error', (argv) => {
    expect(() => parseAuditArgs(argv)).toThrow(UsageError);
  });
});

describe('against a seeded ledger (as llm_auditor)', () => {
  let db: TestDb;
  let admin: Pool;
  let auditor: Pool;

  function capture(): Io & { stdout: string[]; stderr: string[] } {
    const stdout: string[] = [];
    const stderr: string[] = [];
    return { stdout, stderr, out: (t) => stdout.push(t), err: (t) => stderr.push(t) };
  }
  const env = () => ({ ...process.env, DATABASE_URL: db.adminUrl });

  beforeAll(async () => {
    db = await createTestDb();
    admin = db.pool('admin', 2);
    auditor = db.pool('llm_auditor', 2);
    // A1: one call settled at its 40 000 hold, one still held. A2: refused by a 5 000 cap.
    // B: a manual shutoff refuses two reservations.
    await admin.query(`
      begin;
      select tests.seed();
      select llm.set_user_caps(tests.tenant_a(), tests.user_a2(), 5000);
      select tests.act_as(tests.tenant_a(), tests.user_a1());
      select * from llm.settle_call((select reservation_id from tests.reserve('r1')), 1000, 0, 1000, 100, 'ok');
      select * from tests.reserve('r2');
      select tests.act_as(tests.tenant_a(), tests.user_a2());
      select * from tests.reserve('a2-1');
      select tests.act_as_role('llm_operator');
      select llm.trip_shutoff('tenant', tests.tenant_b(), null, null, 'incident 42');
      select tests.act_as(tests.tenant_b(), tests.user_b1());
      select * from tests.reserve('b-1');
      select * from tests.reserve('b-2');
      commit;`);
  });
  afterAll(async () => {
    await db.drop();
  });

  test('the default month is the current UTC month of the product clock', async () => {
    expect(await q.currentMonth(auditor)).toEqual(MARCH);
  });

  test('spend: spent and held per tenant and user against caps', async () => {
    const rows = await q.monthlySpend(auditor, { month: MARCH });
    expect(rows).toEqual([
      { scope: 'tenant', tenant_id: TENANT_A, user_id: null, month_start: MARCH, cap_micros: 500_000_000n,
        spent_micros: 40_000n, held_micros: 40_000n, remaining_micros: 499_920_000n, overrun_micros: 0n },
      { scope: 'user', tenant_id: TENANT_A, user_id: USER_A1, month_start: MARCH, cap_micros: 25_000_000n,
        spent_micros: 40_000n, held_micros: 40_000n, remaining_micros: 24_920_000n, overrun_micros: 0n },
      // A2's refusal left a zero row against its own 5 000 cap.
      { scope: 'user', tenant_id: TENANT_A, user_id: USER_A2, month_start: MARCH, cap_micros: 5_000n,
        spent_micros: 0n, held_micros: 0n, remaining_micros: 5_000n, overrun_micros: 0n },
    ]);
    expect(await q.monthlySpend(auditor, { month: MARCH, tenantId: TENANT_B })).toEqual([]);
    expect(await q.monthlySpend(auditor, { month: new Date('2026-02-01T00:00:00Z') })).toEqual([]);
  });

  test('refusals: counted per tenant and reason', async () => {
    const rows = await q.refusalsByReason(auditor, { month: MARCH });
    expect(rows.map((r) => [r.tenant_id, r.reason, r.refusals])).toEqual([
      [TENANT_A, 'user_monthly_cap', 1n],
      [TENANT_B, 'manual_shutoff', 2n],
    ]);
    expect((await q.refusalsByReason(auditor, { month: MARCH, tenantId: TENANT_B })).length).toBe(1);
  });

  test('holds: the open hold, not yet past expiry', async () => {
    const rows = await q.openHolds(auditor);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ request_id: 'r2', user_id: USER_A1, model_ref: 'mock:large', held_micros: 40_000n, past_expiry: false });
  });

  test('shutoffs: the tripped window is active', async () => {
    const all = await q.shutoffWindows(auditor);
    const active = await q.shutoffWindows(auditor, { activeOnly: true });
    expect(all).toHaveLength(1);
    expect(active).toEqual(all);
    expect(active[0]).toMatchObject({ scope: 'tenant', tenant_id: TENANT_B, kind: 'manual', reason: 'incident 42', active: true });
  });

  test('breakers: null while llm.breaker_state does not exist, its rows once it does', async () => {
    await admin.query('drop view if exists llm.breaker_state cascade');
    expect(await q.breakerState(auditor)).toBeNull();
    const io = capture();
    expect(await main(['breakers'], env(), io)).toBe(0);
    expect(io.stderr.join('\n')).toMatch(/llm\.breaker_state does not exist/);

    // A stand-in for the lead's view, in this throwaway database only.
    await admin.query(`
      insert into llm_private.provider_breakers (provider, model, state, consecutive_failures, open_until)
      values ('mock', 'small', 'closed', 0, null), ('mock', 'large', 'open', 5, '2026-03-15 10:35:00+00');
      create view llm.breaker_state with (security_invoker = true) as
        select provider, model, state, consecutive_failures, open_until from llm_private.provider_breakers;
      grant select on llm.breaker_state to llm_auditor;`);
    const state = await q.breakerState(auditor);
    expect(state?.columns).toEqual(['provider', 'model', 'state', 'consecutive_failures', 'open_until']);
    expect(state?.rows.map((r) => [r.model, r.state, r.consecutive_failures])).toEqual([['large', 'open', 5], ['small', 'closed', 0]]);
  });

  test('the CLI in-process: tables, --json that parses, usage errors', async () => {
    let io = capture();
    expect(await main(['spend', '--month', '2026-03'], env(), io)).toBe(0);
    const text = io.stdout.join('\n');
    expect(text).toContain('monthly spend 2026-03');
    expect(text).toMatch(/user\s+a0000000-0000-0000-0000-00000000000a\s+a1000000-0000-0000-0000-000000000001\s+25\.000000\s+0\.040000\s+0\.040000\s+24\.920000\s+0\.000000\s+0\.32%/);

    io = capture();
    expect(await main(['holds', '--json'], env(), io)).toBe(0);
    expect(JSON.parse(io.stdout.join('\n'))).toEqual([expect.objectContaining({ request_id: 'r2', held_micros: '40000', past_expiry: false })]);

    io = capture();
    expect(await main(['nope'], env(), io)).toBe(1);
    expect(io.stderr.join('\n')).toMatch(/unknown command 'nope'[\s\S]*usage:/);

    io = capture();
    expect(await main(['drift'], { DATABASE_URL: '' }, io)).toBe(1);
    expect(io.stderr).toEqual([expect.stringMatching(/DATABASE_URL is not set/)]);

    // Connection errors name the server, never a password.
    const bad = new URL(db.adminUrl);
    bad.password = 'admin-s3cret';
    bad.pathname = '/no_such_database_for_audit';
    io = capture();
    expect(await main(['holds'], { DATABASE_URL: bad.toString(), LLM_AUDITOR_PASSWORD: 'auditor-s3cret' }, io)).toBe(1);
    expect(io.stderr).toEqual([expect.stringMatching(/^audit: postgres:\/\/llm_auditor:\*\*\*@.*no_such_database_for_audit/)]);
    expect(io.stderr.join('')).not.toMatch(/s3cret/);
  });

  test('drift: empty on a consistent ledger', async () => {
    expect(await q.reconciliationDrift(auditor)).toEqual([]);
    const io = capture();
    expect(await main(['drift'], env(), io)).toBe(0);
    expect(io.stdout).toEqual(['reconciliation: no drift']);
  });

  test('drift: a corrupted rollup is reported, and the CLI exits 2', async () => {
    await admin.query(`update llm_private.spend_rollups set held_micros = held_micros + 1
                        where scope = 'user' and period = 'month' and user_id = $1`, [USER_A1]);
    const rows = await q.reconciliationDrift(auditor);
    expect(rows).toEqual([
      { scope: 'user', tenant_id: TENANT_A, user_id: USER_A1, period: 'month', period_start: MARCH, request_id: null,
        ledger_held_micros: 40_000n, rollup_held_micros: 40_001n, ledger_spent_micros: 40_000n, rollup_spent_micros: 40_000n },
    ]);

    const [table, json] = await Promise.all([cli(['drift']), cli(['drift', '--json'])]);
    expect(table.code).toBe(2);
    expect(table.stdout).toContain('reconciliation: DRIFT in 1 row');
    expect(table.stdout).toContain('0.040001');
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toEqual([expect.objectContaining({ rollup_held_micros: '40001', ledger_held_micros: '40000' })]);
  });

  /** The real entry point through tsx, as cron would run it. */
  function cli(argv: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn('npx', ['tsx', 'src/cli/audit.ts', ...argv], { cwd: ROOT, env: env() });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }
});
