/**
 * 32 connections race reserve + settle for one user whose monthly cap admits only part of them.
 * Over 20 rounds: the month never passes the cap by a single micro-dollar (checked by a sampler
 * during the race and at the end), every request ends in exactly one final state, and the
 * reconciliation view stays empty.
 */
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { withContext } from '../../src/db/context';
import { createTestDb, TestDb } from '../support/db';

const CLIENTS = 32;
const ROUNDS = 20;
const TENANT = 'c0000000-0000-0000-0000-00000000000c';
const WORST = 40000n; // mock:large, 1 000 in + 1 000 out (see test/support/fixtures.sql)
const CAP = 10n * WORST + 12345n; // room for 10 worst cases at once

let db: TestDb;
let admin: Pool;
let app: Pool;
let auditor: Pool;

beforeAll(async () => {
  db = await createTestDb();
  admin = db.pool('admin', 4);
  app = db.pool('llm_app', CLIENTS);
  auditor = db.pool('llm_auditor', 2);
  await admin.query('select tests.seed()');
  await admin.query(`select llm.upsert_tenant($1, 'race tenant', 1000000000000, $2)`, [TENANT, CAP.toString()]);
});
afterAll(async () => db.drop());

async function raceOne(userId: string, requestId: string, n: number): Promise<string> {
  return withContext(app, { tenantId: TENANT, userId }, async (c) => {
    const { rows } = await c.query(
      `select decision, reservation_id from llm.reserve_call($1, $2, $3, 'investigation', 'mock', 'large', 1000, 1000, 1, 60000)`,
      [TENANT, userId, requestId],
    );
    const d = rows[0] as { decision: string; reservation_id: string | null };
    if (d.reservation_id) {
      // Real usage below the worst case, so settles release money that later reserves may use.
      await c.query(`select * from llm.settle_call($1, 1000, 0, $2, 5, 'ok')`, [d.reservation_id, 100 + (n % 7) * 100]);
    }
    return d.decision;
  });
}

/** Polls the user's month while the race runs; returns the highest spent + held seen. */
function sampleWhile(userId: string, until: Promise<unknown>): Promise<bigint> {
  let done = false;
  void until.finally(() => (done = true));
  return (async () => {
    let max = 0n;
    while (!done) {
      const { rows } = await auditor.query(
        `select coalesce(max(spent_micros + held_micros), 0)::text as used from llm.monthly_spend
          where scope = 'user' and tenant_id = $1 and user_id = $2`,
        [TENANT, userId],
      );
      const used = BigInt(rows[0].used);
      if (used > max) max = used;
      await new Promise((r) => setTimeout(r, 2));
    }
    return max;
  })();
}

test(`${ROUNDS} rounds of ${CLIENTS} racing reserve+settle never pass a user's cap`, async () => {
  const totals = { allow: 0, block: 0 };
  for (let round = 0; round < ROUNDS; round++) {
    const userId = randomUUID();
    const race = Promise.all(Array.from({ length: CLIENTS }, (_, n) => raceOne(userId, `race-${round}-${n}`, n)));
    const sampled = await sampleWhile(userId, race);
    const decisions = await race;
    for (const d of decisions) totals[d as 'allow' | 'block']++;

    const { rows } = await admin.query(
      `select ro.spent_micros::text as spent, ro.held_micros::text as held,
              (select count(*) from llm_private.requests q where q.user_id = $1)::int as requests,
              (select count(*) from llm_private.requests q where q.user_id = $1 and q.state = 'done')::int as done,
              (select count(*) from llm_private.requests q where q.user_id = $1 and q.state = 'refused')::int as refused,
              (select count(*) from llm_private.reservations r where r.user_id = $1 and r.state <> 'settled')::int as unsettled,
              (select count(*) from llm_private.decisions d where d.user_id = $1)::int as decided
         from llm_private.spend_rollups ro
        where ro.user_id = $1 and ro.scope = 'user' and ro.period = 'month'`,
      [userId],
    );
    const r = rows[0];
    expect(sampled).toBeLessThanOrEqual(CAP);
    expect(BigInt(r.spent) + BigInt(r.held)).toBeLessThanOrEqual(CAP);
    expect(BigInt(r.held)).toBe(0n);
    expect(r.requests).toBe(CLIENTS);
    expect(r.done + r.refused).toBe(CLIENTS); // exactly one final state each
    expect(r.done).toBe(decisions.filter((d) => d === 'allow').length);
    expect(r.unsettled).toBe(0);
    expect(r.decided).toBe(CLIENTS);
    expect(r.done).toBeGreaterThanOrEqual(10); // the cap admits at least 10 worst cases
    expect(r.refused).toBeGreaterThan(0); // and not all 32
  }
  const drift = await auditor.query('select * from llm.reconciliation_drift');
  expect(drift.rows).toEqual([]);
  // For the closing note: how the races split.
  console.log(`concurrency: ${ROUNDS} rounds x ${CLIENTS} clients: ${totals.allow} allowed, ${totals.block} refused`);
});

test('the runtime role, logged in as itself, cannot become another role', async () => {
  await expect(app.query('set role llm_owner')).rejects.toMatchObject({ code: '42501' });
  await expect(app.query('set role llm_operator')).rejects.toMatchObject({ code: '42501' });
});
