/**
 * `npm run migrate` while the worker runs: the replay of sql/api (functions, triggers and views re-created) with
 * traffic going on. (review of the upgrade path, 2026-11-26) The replay dropped and re-created the triggers table after
 * table, each with its ACCESS EXCLUSIVE lock, while a reserve held one ledger table and read the next: two of three
 * replays failed with 40P01, and worker transactions were killed as deadlock victims. (review of the fixes) The first fix
 * dropped the views before its bounded tries and kept their locks while it tried: an application transaction that
 * enqueued and then read llm.request_results, and readers of nested views, were deadlock victims again. Now each try
 * takes the tables' locks and drops the views, every statement bounded below deadlock_timeout, and gives all back.
 * Traffic: reserve+settle pairs; the application enqueueing and reading its results in one transaction; a DBA reading
 * nested audit views. Asserted: every replay succeeds, no statement of the traffic fails, and the ledger has no drift.
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
let auditor: Pool;

beforeAll(async () => {
  db = await createTestDb();
  admin = db.pool('admin', 2);
  app = db.pool('llm_app', CLIENTS);
  worker = db.pool('llm_worker', CLIENTS);
  auditor = db.pool('llm_auditor', 2);
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

/** The application: enqueue, then read its results, in one transaction (a table, then a view). */
async function enqueueAndRead(client: number, call: number): Promise<string | null> {
  try {
    await withApp(app, signContext(TEST_CONTEXT_SECRET, TENANT, USERS[client]!), async (c) => {
      await c.query(`select llm.enqueue_call($1::jsonb)`, [JSON.stringify({
        request_id: `replay-app-${client}-${call}`, endpoint: 'investigation', model: 'mock:small', max_output_tokens: 100,
        messages: [{ role: 'user', content: `app question ${client}/${call}` }],
      })]);
      await c.query(`select count(*) from llm.request_results`);
    });
    return null;
  } catch (e) {
    return `app ${(e as { code?: string }).code ?? ''} ${(e as Error).message}`;
  }
}

/** A DBA: views over views (decision_log and open_holds read calls; budget_scopes and monthly_spend read limit_usage). */
async function auditRead(): Promise<string | null> {
  try {
    await auditor.query(`select (select count(*) from llm.decision_log), (select count(*) from llm.open_holds),
                                (select count(*) from llm.monthly_spend), (select count(*) from llm.budget_scopes)`);
    return null;
  } catch (e) {
    return `audit ${(e as { code?: string }).code ?? ''} ${(e as Error).message}`;
  }
}

test('the replay of sql/api while pairs, enqueues with reads and audit reads run: every replay succeeds, nothing fails', async () => {
  let running = true;
  const errors: string[] = [];
  let pairs = 0;
  let reads = 0;
  const clients = Array.from({ length: CLIENTS }, async (_, client) => {
    for (let call = 0; running; call++) {
      const err = client < 2 ? await enqueueAndRead(client, call) : await pair(client, call);
      if (err) errors.push(err);
      else pairs++;
    }
  });
  const readers = Array.from({ length: 2 }, async () => {
    while (running) {
      const err = await auditRead();
      if (err) errors.push(err);
      else reads++;
      await new Promise((r) => setTimeout(r, 100)); // a dashboard refreshing, not a reader that never stops (see README)
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
    await Promise.all([...clients, ...readers]);
  }
  expect(replays).toEqual(Array(REPLAYS).fill(true));
  expect(errors).toEqual([]);
  expect(pairs).toBeGreaterThan(CLIENTS * 5);
  expect(reads).toBeGreaterThan(10);
  expect((await admin.query('select * from llm.reconciliation_drift')).rows).toEqual([]);
}, 120000);
