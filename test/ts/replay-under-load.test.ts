/**
 * `npm run migrate` while the worker runs: the replay of sql/api (functions, triggers and views re-created) with
 * reserves and settles going on. (review of the upgrade path, 2026-11-26) The replay dropped and re-created the triggers
 * table after table, each with its ACCESS EXCLUSIVE lock, while a reserve held one ledger table and read the next: two of
 * three replays failed with 40P01, and worker transactions were killed as deadlock victims. Now the replay locks every
 * table and view it touches first, in one statement whose tries wait less than deadlock_timeout.
 * Asserted: every replay succeeds, no call fails at all (none is a deadlock victim), and the ledger has no drift.
 */
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { applyApi } from '../../src/db/migrate';
import { signContext, withApp, withMoney } from '../../src/db/context';
import { createTestDb, TestDb } from '../support/db';
import { TEST_CONTEXT_SECRET } from '../support/admin';

const CLIENTS = 6;
const REPLAYS = 3;
const TENANT = 'c0000000-0000-0000-0000-0000000000aa';
const USERS = Array.from({ length: CLIENTS }, () => randomUUID());

let db: TestDb;
let admin: Pool;
let app: Pool;
let worker: Pool;

beforeAll(async () => {
  db = await createTestDb();
  admin = db.pool('admin', 2);
  app = db.pool('llm_app', CLIENTS);
  worker = db.pool('llm_worker', CLIENTS);
  await admin.query('select tests.seed()');
  await admin.query(`select llm.upsert_tenant($1, 'replay tenant')`, [TENANT]);
  await admin.query(`select llm.set_limit('tenant_monthly', 1000000000000, $1), llm.set_limit('user_monthly', 1000000000000, $1)`, [TENANT]);
});
afterAll(async () => db.drop());

async function pair(client: number, call: number): Promise<string | null> {
  const user = USERS[client]!;
  try {
    const pk = await withApp(app, signContext(TEST_CONTEXT_SECRET, TENANT, user), async (c) => {
      const { rows } = await c.query(`select request_pk::text from llm.enqueue_call($1::jsonb)`, [JSON.stringify({
        request_id: `replay-${client}-${call}`, endpoint: 'investigation', model: 'mock:small', max_output_tokens: 100,
        messages: [{ role: 'user', content: `question ${client}/${call}` }],
      })]);
      return rows[0].request_pk as string;
    });
    await withMoney(worker, { tenantId: TENANT, userId: user }, async (c) => {
      const { rows } = await c.query(`select decision, attempt_no from llm.reserve_call($1::bigint, 1, 100, 30000)`, [pk]);
      if (rows[0].decision !== 'allow') throw new Error(`decision ${rows[0].decision}`);
      await c.query(`select * from llm.settle_call($1::bigint, $2, 'ok', 100, 0, 50, 5)`, [pk, rows[0].attempt_no]);
    });
    return null;
  } catch (e) {
    return `${(e as { code?: string }).code ?? ''} ${(e as Error).message}`;
  }
}

test('the replay of sql/api while reserves and settles run: every replay succeeds, no call is a deadlock victim', async () => {
  let running = true;
  const errors: string[] = [];
  let pairs = 0;
  const clients = Array.from({ length: CLIENTS }, async (_, client) => {
    for (let call = 0; running; call++) {
      const err = await pair(client, call);
      if (err) errors.push(err);
      else pairs++;
    }
  });
  const replays: boolean[] = [];
  try {
    await new Promise((r) => setTimeout(r, 500));
    for (let i = 0; i < REPLAYS; i++) {
      replays.push(await applyApi(db.adminUrl, true));
      await new Promise((r) => setTimeout(r, 300));
    }
  } finally {
    running = false;
    await Promise.all(clients);
  }
  expect(replays).toEqual(Array(REPLAYS).fill(true));
  expect(errors).toEqual([]);
  expect(pairs).toBeGreaterThan(CLIENTS * 5);
  expect((await admin.query('select * from llm.reconciliation_drift')).rows).toEqual([]);
}, 120000);
