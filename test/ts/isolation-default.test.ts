/**
 * A database whose default isolation is not READ COMMITTED (`ALTER DATABASE ... SET default_transaction_isolation`, a DBA's
 * routine setting) changes nothing for the product: every transaction it opens names READ COMMITTED, or REPEATABLE READ
 * where an audit asks for one snapshot. Before, every enqueue failed with 0A000 (review 79).
 */
import type { Pool } from 'pg';
import { withApp, withRole } from '../../src/db/context';
import { enqueueCall } from '../../src/db/enqueue';
import { sqlLedger } from '../../src/db/ledger';
import { TEST_CONTEXT_SECRET } from '../support/admin';
import { createTestDb, type TestDb } from '../support/db';

const TENANT = 'a0000000-0000-0000-0000-00000000000a';
const USER = 'a1000000-0000-0000-0000-000000000001';

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
  await db.pool('admin', 1).query('select tests.seed()');
});
afterAll(async () => db.drop());

test.each(['serializable', 'repeatable read'])('with the database default %s, a claim, a reserve and a settle run under READ COMMITTED', async (level) => {
  const admin = db.pool('admin', 1);
  await admin.query(`alter database ${db.name} set default_transaction_isolation = '${level}'`);
  // Pools opened after the setting: their sessions start at that level.
  const app: Pool = db.pool('llm_app', 1);
  const worker: Pool = db.pool('llm_worker', 1);
  const viewer: Pool = db.pool('llm_viewer', 1);
  expect((await app.query('show default_transaction_isolation')).rows[0].default_transaction_isolation).toBe(level);
  const token = (await admin.query('select llm.sign_context($1, $2, $3) as t', [TEST_CONTEXT_SECRET, TENANT, USER])).rows[0].t as string;
  expect(await withApp(app, token, async (c) => (await c.query('show transaction_isolation')).rows[0].transaction_isolation)).toBe('read committed');
  const e = await enqueueCall(app, { secret: TEST_CONTEXT_SECRET, tenantId: TENANT, userId: USER }, {
    request_id: `iso-${level}`, endpoint: 'route', model: 'mock:small', messages: [{ role: 'user', content: 'hello' }], max_output_tokens: 16 });
  expect(e.created).toBe(true);
  const ledger = sqlLedger(worker);
  const ctx = { tenantId: TENANT, userId: USER };
  const d = await ledger.reserve(ctx, { requestPk: e.request_pk, jobAttempt: 1, inputTokens: 10, callTimeoutMs: 30_000, traceId: null });
  expect(d.decision).toBe('allow');
  const s = await ledger.settle(ctx, { requestPk: e.request_pk, attemptNo: d.attempt_no!, status: 'ok',
    usage: { inputTokens: 10, cachedInputTokens: 0, outputTokens: 5 }, latencyMs: 3, output: 'ok', outputValid: true });
  expect(s).toMatchObject({ state: 'settled', request_state: 'done' });
  // The operator's sweeps and the reconciliation check (which refuses anything but READ COMMITTED, 25000).
  const drift = await withRole(worker, 'llm_operator', async (c) => (await c.query('select drift_rows::int as n from llm.check_reconciliation()')).rows[0].n);
  expect(drift).toBe(0);
  // An audit that asks for one snapshot still gets it.
  expect(await withRole(viewer, 'llm_viewer', async (c) => (await c.query('show transaction_isolation')).rows[0].transaction_isolation,
    { isolation: 'repeatable read' })).toBe('repeatable read');
});
