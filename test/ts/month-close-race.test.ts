/**
 * Closed months under concurrency (test/sql/month_close.sql has the rules): a close and an adjustment dated in its month
 * never both land with the adjustment after the close. An adjustment in flight is waited for by the close (so it is in the
 * month the close vouches for); a close in flight is waited for by the adjustment, which then sees it and is refused.
 * Both refuse a transaction other than READ COMMITTED, whose snapshot would predate what it waited for.
 */
import type { Pool, PoolClient } from 'pg';
import { createTestDb, type TestDb } from '../support/db';

let db: TestDb;
let admin: Pool;
let login: Pool; // an administrator's login that sets the operator role (the worker's login may make no adjustment)
beforeAll(async () => {
  db = await createTestDb();
  admin = db.pool('admin', 2);
  login = db.pool('admin', 4);
  await admin.query('select tests.seed()'); // the clock: 2026-03-15 10:30 UTC
});
afterAll(async () => {
  await db?.drop();
});

async function asOperator(isolation = 'read committed'): Promise<PoolClient> {
  const c = await login.connect();
  await c.query(`begin isolation level ${isolation}; set local role llm_operator; set local lock_timeout = '20s'`);
  return c;
}
const adjust = (c: PoolClient, at: string, micros: number) =>
  c.query(`select llm.adjust_usage(tests.tenant_a(), tests.user_a1(), $2, 'race', $1::timestamptz)`, [at, micros]);
const februarySpend = async () => (await admin.query(`select spent_micros::int as n from llm.monthly_spend
  where month_start = '2026-02-01 00:00+00' and tenant_id = tests.tenant_a() and user_id = tests.user_a1()`)).rows[0]?.n as number | undefined;
/** Whether the promise is still pending after ms. */
async function pendingAfter(p: Promise<unknown>, ms: number): Promise<boolean> {
  return Promise.race([p.then(() => false, () => false), new Promise<boolean>((r) => setTimeout(() => r(true), ms))]);
}

test('a close waits for an adjustment in flight in its month, which then counts in the month it closed', async () => {
  const adj = await asOperator();
  const close = await asOperator();
  try {
    await adjust(adj, '2026-02-20 12:00+00', 1234);
    const closing = close.query(`select * from llm.close_month('2026-02-01 00:00+00', 'February invoiced')`);
    expect(await pendingAfter(closing, 500)).toBe(true);
    await adj.query('commit');
    await closing;
    await close.query('commit');
  } finally {
    adj.release();
    close.release();
  }
  expect(await februarySpend()).toBe(1234);
  const after = await asOperator();
  try {
    await expect(adjust(after, '2026-02-21 00:00+00', 1)).rejects.toMatchObject({ code: 'LG001' });
  } finally {
    await after.query('rollback');
    after.release();
  }
  expect(await februarySpend()).toBe(1234);
});

test('an adjustment dated in a month being closed waits for the close, then is refused', async () => {
  await admin.query(`select tests.freeze_clock('2026-04-10 00:00+00')`);
  const close = await asOperator();
  let adj: PoolClient | null = null;
  try {
    await close.query(`select * from llm.close_month('2026-03-01 00:00+00', 'March invoiced')`);
    // Begun after the close's check (one begun before it is waited for: test/ts/month-close-reserve-race.test.ts).
    adj = await asOperator();
    const adjusting = adjust(adj, '2026-03-20 00:00+00', 999);
    expect(await pendingAfter(adjusting, 500)).toBe(true);
    await close.query('commit');
    await expect(adjusting).rejects.toMatchObject({ code: 'LG001' });
  } finally {
    await adj?.query('rollback');
    adj?.release();
    await close.query('rollback').catch(() => {});
    close.release();
  }
  expect((await admin.query(`select count(*)::int as n from llm_private.adjustments where amount_micros = 999`)).rows[0].n).toBe(0);
});

test('neither runs outside READ COMMITTED', async () => {
  for (const isolation of ['repeatable read', 'serializable']) {
    const c = await asOperator(isolation);
    try {
      await expect(adjust(c, '2026-04-05 00:00+00', 5)).rejects.toMatchObject({ code: '25000' });
    } finally {
      await c.query('rollback');
      c.release();
    }
    const k = await asOperator(isolation);
    try {
      await expect(k.query(`select * from llm.close_month('2026-03-01 00:00+00', 'x')`)).rejects.toMatchObject({ code: '25000' });
    } finally {
      await k.query('rollback');
      k.release();
    }
  }
});
