/**
 * llm.repair_usage_drift while calls run on the very counters it moves: the calls move a counter and its ledger together,
 * so the drift the repair read is still the drift when it reaches the row; afterwards there is none, nothing was lost,
 * and neither side deadlocked (the repair locks usage rows in the money path's order).
 */
import type { Pool } from 'pg';
import { withRole } from '../../src/db/context';
import { createTestDb, type TestDb } from '../support/db';

let db: TestDb;
let admin: Pool;
beforeAll(async () => {
  db = await createTestDb();
  admin = db.pool('admin', 8);
  await admin.query('select tests.seed()');
});
afterAll(async () => db.drop());

const drift = async () => (await admin.query('select tests.drift_rows()::int as n')).rows[0].n as number;

test('a repair during a burst of reserves and settles on the same tenant and users leaves no drift, and nothing deadlocks', async () => {
  // A first call of each user makes their counters; then drift written by hand, as only a superuser can.
  for (const u of ['user_a1', 'user_a2']) {
    await admin.query(`select tests.call(tests.tenant_a(), tests.${u}(), 'warm-${u}')`);
    await admin.query(`select tests.settle(tests.request_pk('warm-${u}'), 1)`);
  }
  const c = await admin.connect();
  try {
    await c.query('begin; set local session_replication_role = replica');
    await c.query(`update llm_private.usage u set spent = u.spent + 7777, held = u.held + 11 from llm_private.meters m
                    where m.id = u.meter_id and m.name = 'user_monthly' and u.user_id = tests.user_a1()`);
    await c.query(`update llm_private.usage u set spent = u.spent - 3333 from llm_private.meters m
                    where m.id = u.meter_id and m.name = 'tenant_monthly' and u.tenant_id = tests.tenant_a()`);
    await c.query('commit');
  } finally {
    c.release();
  }
  expect(await drift()).toBeGreaterThan(0);

  const errors: string[] = [];
  let stop = false;
  let pairs = 0;
  const loop = async (user: 'user_a1' | 'user_a2', n: number) => {
    for (let i = 0; !stop; i++) {
      const id = `load-${user}-${n}-${i}`;
      try {
        await admin.query(`select tests.call(tests.tenant_a(), tests.${user}(), $1)`, [id]);
        // Every other call stays held for a while: the repair then meets live holds too.
        if (i % 2 === 0) await admin.query(`select tests.settle(tests.request_pk($1), 1)`, [id]);
        pairs++;
      } catch (e) {
        errors.push(`${(e as { code?: string }).code}: ${(e as Error).message}`);
      }
    }
  };
  const loops = [loop('user_a1', 1), loop('user_a1', 2), loop('user_a2', 3), loop('user_a2', 4)];
  const operator = db.pool('llm_operator', 2); // an operator's login: the worker's may not repair (review 87)
  const moves: number[] = [];
  try {
    for (let r = 0; r < 3; r++) {
      await new Promise((res) => setTimeout(res, 300));
      moves.push(await withRole(operator, 'llm_operator', async (k) =>
        (await k.query(`select count(*)::int as n from llm.repair_usage_drift('load test, round ${r}')`)).rows[0].n as number,
      { lockTimeoutMs: 30_000, statementTimeoutMs: 60_000 }));
    }
  } finally {
    stop = true; // a failed repair must not leave the loops running (the pool would never end)
    await Promise.all(loops);
  }
  expect(errors).toEqual([]); // no deadlock (40P01), no lock timeout, no refusal of a call
  expect(pairs).toBeGreaterThan(20);
  expect(moves[0]).toBeGreaterThan(0); // the first round repaired; the later ones found nothing left
  expect(moves.slice(1)).toEqual([0, 0]);
  expect(await drift()).toBe(0);
  // And the held calls, settled now, keep it so.
  await admin.query(`select tests.settle(a.request_pk, a.attempt_no) from llm_private.attempts a where a.state = 'held'`);
  expect(await drift()).toBe(0);
});

test('two repairs at once move a counter once: the second waits for the first, then finds nothing left', async () => {
  const c = await admin.connect();
  try {
    await c.query('begin; set local session_replication_role = replica');
    await c.query(`update llm_private.usage u set spent = u.spent + 4242 from llm_private.meters m
                    where m.id = u.meter_id and m.name = 'user_monthly' and u.user_id = tests.user_a2()`);
    await c.query('commit');
  } finally {
    c.release();
  }
  const spent = async () => BigInt((await admin.query(`select u.spent from llm_private.usage u join llm_private.meters m on m.id = u.meter_id
    where m.name = 'user_monthly' and u.user_id = tests.user_a2()`)).rows[0].spent);
  const before = await spent();
  const operator = db.pool('llm_operator', 2); // an operator's login: the worker's may not repair (review 87)
  const first = await operator.connect();
  const second = await operator.connect();
  try {
    await first.query(`begin; set local role llm_operator`);
    const a = (await first.query(`select count(*)::int as n from llm.repair_usage_drift('first')`)).rows[0].n as number;
    expect(a).toBe(1);
    // The second, while the first has not committed: it must wait, not read the same drift and move the counter again.
    const b = second.query(`begin; set local role llm_operator; select count(*)::int as n from llm.repair_usage_drift('second'); commit`)
      .then((r) => ((r as unknown as { rows: { n: number }[] }[])[2]!.rows[0]!.n));
    await new Promise((res) => setTimeout(res, 300));
    // (The worker's login does not report its queries: track_activities is off for it. Its lock request shows.)
    const waiting = (await admin.query(`select count(*)::int as n from pg_locks
      where relation = 'llm_private.usage_repairs'::regclass and mode = 'ShareRowExclusiveLock' and not granted`)).rows[0].n;
    expect(waiting).toBe(1);
    await first.query('commit');
    expect(await b).toBe(0);
  } finally {
    first.release();
    second.release();
  }
  expect(await spent()).toBe(before - 4242n);
  expect(await drift()).toBe(0);
});
