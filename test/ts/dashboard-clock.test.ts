/**
 * The dashboard's "this month", its 48 hours and its 7 days are the product's clock (llm_private.now(), the time every
 * money rule uses), not the server's: under a shifted or frozen clock (a demo, a test, a replay of a past month) it had
 * shown the server's month, empty, beside views whose figures are the product's (finance review 86).
 */
import type { Pool } from 'pg';
import { loadSections } from '../../src/dashboard/queries';
import { createTestDb, type TestDb } from '../support/db';

let db: TestDb;
let admin: Pool;
let viewer: Pool;

beforeAll(async () => {
  db = await createTestDb();
  admin = db.pool('admin', 1);
  viewer = db.pool('llm_viewer', 1);
  // tests.seed() freezes the product's clock at 2026-03-15 10:30 UTC: a month the server's clock is not in.
  const c = await admin.connect();
  try {
    await c.query('select tests.seed()');
    await c.query(`begin`);
    const { rows: [r] } = await c.query(`select attempt_no from tests.call(tests.tenant_a(), tests.user_a1(), 'clock-1')`);
    await c.query(`select * from tests.settle(tests.request_pk('clock-1'), $1)`, [r.attempt_no]);
    await c.query(`select tests.as_admin(); commit`);
  } finally {
    c.release();
  }
});
afterAll(async () => {
  await db?.drop();
});

test('the spend and hourly sections and the page\'s time follow the product\'s frozen clock', async () => {
  expect((await admin.query(`select date_trunc('month', now(), 'UTC') <> '2026-03-01 00:00+00' as other`)).rows[0].other).toBe(true);
  const { readAt, rows } = await loadSections(viewer, ['spend', 'hourly'], null);
  expect(readAt.toISOString()).toBe('2026-03-15T10:30:00.000Z');
  const spend = rows.spend as Array<{ month_start: Date; tenant_id: string; spent_micros: bigint | string }>;
  expect(spend.length).toBeGreaterThan(0);
  for (const s of spend) expect(s.month_start.toISOString()).toBe('2026-03-01T00:00:00.000Z');
  expect(spend.some((s) => s.tenant_id === 'a0000000-0000-0000-0000-00000000000a' && BigInt(s.spent_micros) > 0n)).toBe(true);
  const hourly = rows.hourly as Array<{ hour_start: Date; spent_micros: bigint | string }>;
  expect(hourly.map((h) => h.hour_start.toISOString())).toEqual(['2026-03-15T10:00:00.000Z']);
});
