/**
 * Closes and adjustments under concurrency, as review 87 tried them: llm.close_month takes SHARE ROW EXCLUSIVE on
 * month_closes before its INSERT. Its trigger took it after the INSERT's ROW EXCLUSIVE: two sessions that both held ROW
 * EXCLUSIVE (an INSERT of a close, or an adjustment earlier in the transaction) and both asked for SHARE ROW EXCLUSIVE
 * deadlocked (40P01): every time for an adjustment then a close beside another close, 3 times in 40 for two closes.
 */
import type { Pool, PoolClient } from 'pg';
import { createTestDb, type TestDb } from '../support/db';

let db: TestDb;
let admin: Pool;
let login: Pool;
beforeAll(async () => {
  db = await createTestDb();
  admin = db.pool('admin', 2);
  login = db.pool('admin', 8);
  await admin.query('select tests.seed()');
  await admin.query(`select tests.freeze_clock('2026-04-10 00:00+00')`);
});
afterAll(async () => {
  await db?.drop();
});

async function asOperator(): Promise<PoolClient> {
  const c = await login.connect();
  await c.query(`begin isolation level read committed; set local role llm_operator; set local lock_timeout = '10s'`);
  return c;
}

test('an operator who adjusts and then closes, beside another close, is not deadlocked', async () => {
  const a = await asOperator();
  const b = await asOperator();
  try {
    await a.query(`select llm.adjust_usage(tests.tenant_a(), tests.user_a1(), 10, 'March debit', '2026-03-20 00:00+00')`);
    const other = b.query(`select * from llm.close_month('2026-02-01 00:00+00', 'February invoiced')`).then(() => 'ok', (e) => e.code);
    await new Promise((r) => setTimeout(r, 300));
    const mine = a.query(`select * from llm.close_month('2026-03-01 00:00+00', 'March invoiced')`).then(() => 'ok', (e) => e.code);
    const first = await mine;
    if (first === 'ok') await a.query('commit'); else await a.query('rollback');
    const second = await other;
    await b.query(second === 'ok' ? 'commit' : 'rollback');
    // What an operator expects: one waits for the other, and neither fails with a deadlock.
    expect([first, second]).not.toContain('40P01');
  } finally {
    a.release();
    b.release();
  }
});

test('two closes started together are not deadlocked', async () => {
  const codes: string[] = [];
  for (let i = 0; i < 40; i++) {
    const cs = await Promise.all([asOperator(), asOperator()]);
    try {
      // Each ends its transaction as soon as its close returns, so the other is not kept waiting on it.
      const rs = await Promise.all(cs.map((c) => c.query(`select * from llm.close_month('2026-03-01 00:00+00', 'March')`)
        .then(() => 'ok', (e) => e.code as string).then(async (code) => { await c.query('rollback'); return code; })));
      codes.push(...rs);
    } finally {
      for (const c of cs) {
        await c.query('rollback').catch(() => {});
        c.release();
      }
    }
  }
  // One close wins, the other sees it and is refused 55000 (already closed); never 40P01.
  expect(codes.filter((c) => c === '40P01')).toEqual([]);
});
