/**
 * The worker's money transactions go to the server in ONE round trip (src/db/context.ts
 * moneyStatement, src/db/literals.ts): BEGIN, the context, the call and COMMIT as one query with
 * the parameters written as literals. What that must keep: every value arrives exactly as given
 * (quotes, backslashes, `$n` inside values, NULL, int8, vectors), a refused call commits nothing
 * and leaves the pooled connection clean, and a resolved call is committed.
 */
import type { Pool, PoolClient } from 'pg';
import { sqlLedger } from '../../src/db/ledger';
import { inlineParams } from '../../src/db/literals';
import { createTestDb, TestDb } from '../support/db';

const TENANT = 'a0000000-0000-0000-0000-00000000000a';
const USER = 'a1000000-0000-0000-0000-000000000001';
const ctx = { tenantId: TENANT, userId: USER };
const esc = (s: string): string => `'${s.replace(/'/g, "''")}'`;

describe('inlineParams', () => {
  test('writes each value type as its literal', () => {
    expect(inlineParams('select $1::bigint, $2::int, $3::text, $4::boolean, $5::text, $6::real[]',
      [123456789012345678n, 7, "it's", false, null, [0.5, -1, 1e-7]], esc))
      .toBe("select 123456789012345678::bigint, 7::int, 'it''s'::text, false::boolean, NULL::text, '{0.5,-1,1e-7}'::real[]");
  });
  test('does not expand a placeholder that appears inside a value', () => {
    expect(inlineParams('select $1::text, $2::text', ['costs $2', 'x'], esc)).toBe("select 'costs $2'::text, 'x'::text");
    const ten = Array.from({ length: 10 }, (_x, i) => i + 1);
    expect(inlineParams(`select ${ten.map((i) => `$${i}`).reverse().join(', ')}`, ten.map((i) => i * 11), esc))
      .toBe('select 110, 99, 88, 77, 66, 55, 44, 33, 22, 11');
  });
  test('refuses what it cannot write exactly, before anything is sent', () => {
    expect(() => inlineParams('select $1', [1.5], esc)).toThrow(/safe integer/);
    expect(() => inlineParams('select $1', [Number.NaN], esc)).toThrow(/safe integer/);
    expect(() => inlineParams('select $1', [[1, Number.POSITIVE_INFINITY]], esc)).toThrow(/finite/);
    expect(() => inlineParams('select $1', [{} as never], esc)).toThrow(/unsupported/);
    expect(() => inlineParams('select $1', ['an answer\u0000 cut short'], esc)).toThrow(/NUL/);
    expect(() => inlineParams('select $2', [1], esc)).toThrow(/no parameter/);
    expect(() => inlineParams('select $1', [1, 2], esc)).toThrow(/without a placeholder/);
  });
});

describe('one round trip per money transaction', () => {
  let db: TestDb;
  let worker: Pool;
  let admin: Pool;
  const sent: string[] = [];

  beforeAll(async () => {
    db = await createTestDb();
    admin = db.pool('admin', 1);
    await admin.query('select tests.seed()');
    worker = db.pool('llm_worker', 1);
    // Count what each checked-out client sends.
    worker.on('acquire', (c: PoolClient & { __counted?: boolean }) => {
      if (c.__counted) return;
      c.__counted = true;
      const query = c.query.bind(c) as (...a: unknown[]) => unknown;
      (c as unknown as { query: (...a: unknown[]) => unknown }).query = (...a: unknown[]) => {
        sent.push(typeof a[0] === 'string' ? a[0] : String((a[0] as { text?: string }).text));
        return query(...a);
      };
    });
  });
  afterAll(async () => db.drop());

  test('reserve and settle are one query each, and what they wrote is committed, the output byte for byte', async () => {
    const pk = BigInt((await admin.query(`select tests.enqueue($1, $2, 'one-trip-1', 'route', 'mock:small') as pk`, [TENANT, USER])).rows[0].pk);
    const ledger = sqlLedger(worker);
    sent.length = 0;
    const d = await ledger.reserve(ctx, { requestPk: pk, jobAttempt: 1, inputTokens: 100, callTimeoutMs: 30_000, traceId: null });
    expect(d.decision).toBe('allow');
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatch(/^begin isolation level read committed; .*llm\.reserve_call.*; commit$/s);
    const output = "it's \\ a back$1slash, 'quoted', $$dollar$$ and ünïcode";
    sent.length = 0;
    const s = await ledger.settle(ctx, { requestPk: pk, attemptNo: d.attempt_no!, status: 'ok',
      usage: { inputTokens: 90, cachedInputTokens: 0, outputTokens: 10 }, latencyMs: 12.4, output, outputValid: true });
    expect(sent).toHaveLength(1);
    expect(s).toMatchObject({ state: 'settled', replayed: false, request_state: 'done' });
    // Seen from another connection: committed.
    const { rows } = await admin.query(
      `select a.state, a.latency_ms, o.output from llm_private.attempts a join llm_private.call_outputs o using (tenant_id, request_pk, attempt_no)
        where a.request_pk = $1`, [pk.toString()]);
    expect(rows).toEqual([{ state: 'settled', latency_ms: 12, output }]);
  });

  test('the per-transaction statement timeout applies to the call sent in the same query', async () => {
    const pk = BigInt((await admin.query(`select tests.enqueue($1, $2, 'one-trip-3', 'route', 'mock:small') as pk`, [TENANT, USER])).rows[0].pk);
    const holder = await db.pool('admin', 1).connect();
    try {
      // Another transaction holds the request row: reserve_call waits for it (FOR UPDATE) until its timeout.
      await holder.query('begin');
      await holder.query('select 1 from llm_private.requests where id = $1 for update', [pk.toString()]);
      const started = Date.now();
      await expect(sqlLedger(worker, { statementTimeoutMs: 300 }).reserve(ctx,
        { requestPk: pk, jobAttempt: 1, inputTokens: 100, callTimeoutMs: 30_000, traceId: null })).rejects.toMatchObject({ code: '57014' });
      expect(Date.now() - started).toBeLessThan(5_000);
      await holder.query('rollback');
    } finally {
      holder.release();
    }
    expect((await admin.query('select count(*)::int as n from llm_private.attempts where request_pk = $1', [pk.toString()])).rows[0].n).toBe(0);
  });

  test('a refused call rejects with its SQLSTATE, commits nothing, and the connection is clean for the next one', async () => {
    const ledger = sqlLedger(worker);
    await expect(ledger.reserve(ctx, { requestPk: 999n, jobAttempt: 1, inputTokens: 1, callTimeoutMs: 30_000, traceId: null }))
      .rejects.toMatchObject({ code: 'P0002' });
    // An argument the database refuses after the context was set: the same.
    const pk = BigInt((await admin.query(`select tests.enqueue($1, $2, 'one-trip-2', 'route', 'mock:small') as pk`, [TENANT, USER])).rows[0].pk);
    await expect(ledger.reserve(ctx, { requestPk: pk, jobAttempt: 1, inputTokens: 1, callTimeoutMs: 10, traceId: null }))
      .rejects.toMatchObject({ code: '22023' });
    expect((await admin.query('select count(*)::int as n from llm_private.attempts where request_pk = $1', [pk.toString()])).rows[0].n).toBe(0);
    // The one pooled connection is usable, outside any transaction, with no role or context left over.
    const c = await worker.connect();
    try {
      const { rows } = await c.query(`select current_user::text as u, current_setting('app.current_tenant_id', true) as t,
        now() = statement_timestamp() as own_tx`);
      expect(rows[0]).toEqual({ u: 'llm_worker', t: expect.not.stringMatching(/^a0/), own_tx: true });
    } finally {
      c.release();
    }
    const d = await ledger.reserve(ctx, { requestPk: pk, jobAttempt: 1, inputTokens: 100, callTimeoutMs: 30_000, traceId: null });
    expect(d.decision).toBe('allow');
  });
});
