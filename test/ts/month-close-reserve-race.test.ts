/**
 * Closed months and a reserve in flight at the month's end (re-attack 88). A reserve stamps reserved_at with
 * llm_private.now() when its row is built and commits later (a lock wait on a hot usage row, a slow commit). A close run
 * meanwhile counted only committed holds: it closed the month, then the reserve committed a hold dated in it, which its
 * settle (or expiry) charged into the closed month. The close now waits for every transaction of the database that was
 * running when it began (as CREATE INDEX CONCURRENTLY does), then sees the hold and refuses.
 */
import type { Pool } from 'pg';
import { createTestDb, type TestDb } from '../support/db';

let db: TestDb;
let admin: Pool;
let sessions: Pool;
beforeAll(async () => {
  db = await createTestDb();
  admin = db.pool('admin', 2);
  sessions = db.pool('admin', 4);
  await admin.query('select tests.seed()');
});
afterAll(async () => {
  await db?.drop();
});

const januarySpend = async () => Number((await admin.query(`select coalesce(sum(spent_micros), 0)::bigint as n from llm.monthly_spend
  where month_start = '2026-01-01 00:00+00' and tenant_id = tests.tenant_a() and user_id is null`)).rows[0].n);

test('a hold reserved before the month\'s end and committed after its close cannot be charged in the closed month', async () => {
  await admin.query(`select tests.freeze_clock('2026-01-31 23:59:59+00')`);
  const reserving = await sessions.connect();
  const closing = await sessions.connect();
  let closed = false;
  try {
    await reserving.query('begin');
    const r = await reserving.query(`select decision from tests.call(tests.tenant_a(), tests.user_a1(), 'h88-race-jan')`);
    expect(r.rows[0].decision).toBe('allow');
    // The month ends while the reserve's transaction is still open; the operator closes January.
    await admin.query(`select tests.freeze_clock('2026-02-01 00:00:30+00')`);
    await closing.query(`begin isolation level read committed; set local role llm_operator; set local lock_timeout = '3s'`);
    const closeP = closing.query(`select * from llm.close_month('2026-01-01 00:00+00', 'January invoiced')`)
      .then(() => closing.query('commit')).then(() => { closed = true; }, async () => { await closing.query('rollback'); });
    // Either the close waits for the reserve (then sees its hold and refuses), or it refuses now: it must not close January
    // while a hold reserved in January can still be committed.
    await new Promise((res) => setTimeout(res, 500));
    await reserving.query('commit');
    await closeP;
  } finally {
    reserving.release();
    closing.release();
  }
  const before = await januarySpend();
  await admin.query(`select * from tests.settle(tests.request_pk('h88-race-jan'), 1)`);
  const after = await januarySpend();
  const closes = (await admin.query(`select month_start, late_settles_after::int from llm.month_closes`)).rows;
  const lateCalls = Number((await admin.query(`select count(*)::int as n from llm.calls where late`)).rows[0].n);
  // What a user expects: January is not closed while its hold is open, or January's figures stay as invoiced.
  expect({ closed, januaryChangedAfterClose: closed && after !== before })
    .toEqual({ closed, januaryChangedAfterClose: false });
  // And late_settles_after counts late settles only.
  for (const c of closes) expect(c.late_settles_after).toBeLessThanOrEqual(lateCalls);
}, 30_000);
