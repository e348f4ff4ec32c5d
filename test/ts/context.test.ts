/**
 * A context cannot leak from one transaction to the next on a pooled connection, even when it was
 * set for the whole session (set_config(..., false)): the database honours a context only in the
 * transaction whose stamp it carries. Both kinds: the application's signed token, the worker's settings.
 */
import { Pool as PgPool, type Pool, type PoolClient } from 'pg';
import { signContext, withApp, withMoney, withRole } from '../../src/db/context';
import { sqlLedger } from '../../src/db/ledger';
import { createTestDb, TestDb } from '../support/db';
import { TEST_CONTEXT_SECRET } from '../support/admin';

const TENANT = 'a0000000-0000-0000-0000-00000000000a';
const USER = 'a1000000-0000-0000-0000-000000000001';

let db: TestDb;
let app: Pool;
let worker: Pool;

beforeAll(async () => {
  db = await createTestDb();
  const admin = db.pool('admin', 1);
  await admin.query('select tests.seed()');
  await admin.query(`select tests.enqueue($1, $2, 'leak-1')`, [TENANT, USER]);
  app = db.pool('llm_app', 1);
  worker = db.pool('llm_worker', 1);
});
afterAll(async () => db.drop());

async function onOneConnection<T>(pool: Pool, fn: (c: PoolClient) => Promise<T>): Promise<T> {
  const c = await pool.connect();
  try {
    return await fn(c);
  } finally {
    c.release();
  }
}

test('an application token set for the whole session is honoured only in the transaction that set it', async () => {
  await onOneConnection(app, async (c) => {
    await c.query('begin');
    await c.query(`select set_config('app.context', $1, false), set_config('app.context_tx', llm_private.tx_stamp()::text, false)`,
      [signContext(TEST_CONTEXT_SECRET, TENANT, USER)]);
    expect((await c.query('select count(*)::int as n from llm.request_results')).rows[0].n).toBe(1);
    await c.query('commit');
    // The next transaction on the same pooled connection: the setting is still there, and ignored.
    expect((await c.query(`select current_setting('app.context') <> '' as still_set`)).rows[0].still_set).toBe(true);
    expect((await c.query('select count(*)::int as n from llm.request_results')).rows[0].n).toBe(0);
    await expect(c.query(`select * from llm.enqueue_call('{"request_id": "x", "endpoint": "route", "model": "mock:small",
      "messages": [{"role": "user", "content": "x"}], "max_output_tokens": 1}')`)).rejects.toMatchObject({ code: '42501' });
  });
});

test('a worker context set for the whole session is honoured only in the transaction that set it', async () => {
  await onOneConnection(worker, async (c) => {
    await c.query('begin');
    await c.query('set local role llm_money');
    await c.query(`select set_config('app.current_tenant_id', $1, false), set_config('app.current_user_id', $2, false),
      set_config('app.context_tx', llm_private.tx_stamp()::text, false)`, [TENANT, USER]);
    expect((await c.query('select count(*)::int as n from llm_private.requests')).rows[0].n).toBe(1);
    await c.query('commit');
    await c.query('begin');
    await c.query('set local role llm_money');
    expect((await c.query('select count(*)::int as n from llm_private.requests')).rows[0].n).toBe(0);
    await expect(c.query(`select * from llm.reserve_call(1, 1, 1, 1000)`)).rejects.toMatchObject({ code: '42501' });
    await c.query('rollback');
  });
});

/*
 * statement_timeout and idle_in_transaction_session_timeout are per transaction (role defaults do
 * not apply after SET ROLE): each helper sets the configured values inside its transaction, and
 * the next transaction on the same pooled connection is back to the session's own values.
 */
describe('per-transaction timeouts', () => {
  const limits = { statementTimeoutMs: 12_345, idleInTransactionTimeoutMs: 23_456, lockTimeoutMs: 3_456 };
  const read = async (c: PoolClient) => (await c.query(`select current_setting('statement_timeout') as statement,
    current_setting('idle_in_transaction_session_timeout') as idle, current_setting('lock_timeout') as lock, current_user as role`)).rows[0] as
    { statement: string; idle: string; lock: string; role: string };

  async function check(pool: Pool, run: (fn: (c: PoolClient) => Promise<void>) => Promise<void>, role: string,
    expected = { statement: '12345ms', idle: '23456ms', lock: '3456ms' }): Promise<void> {
    const before = await onOneConnection(pool, read);
    expect(before.statement).not.toBe(expected.statement);
    let inside: { statement: string; idle: string; lock: string; role: string } | undefined;
    await run(async (c) => {
      inside = await read(c);
    });
    expect(inside).toEqual({ ...expected, role });
    // The pool has one connection: this is the connection the transaction ran on.
    expect(await onOneConnection(pool, read)).toEqual(before);
  }

  test('withMoney', async () => {
    await check(worker, (fn) => withMoney(worker, { tenantId: TENANT, userId: USER }, fn, limits), 'llm_money');
  });

  test('withRole, as llm_operator (the worker) and as llm_auditor (an administrator login)', async () => {
    await check(worker, (fn) => withRole(worker, 'llm_operator', fn, limits), 'llm_operator');
    const admin = db.pool('admin', 1);
    await check(admin, (fn) => withRole(admin, 'llm_auditor', fn, limits), 'llm_auditor');
  });

  test('withApp', async () => {
    await check(app, (fn) => withApp(app, signContext(TEST_CONTEXT_SECRET, TENANT, USER), fn, limits), 'llm_app');
  });

  test('without limits given, the defaults (30 s statements, 60 s idle in transaction, 5 s lock waits) apply', async () => {
    // An administrator login has no role defaults (statement_timeout 0), unlike llm_worker.
    const admin = db.pool('admin', 1);
    await check(admin, (fn) => withRole(admin, 'llm_operator', fn), 'llm_operator', { statement: '30s', idle: '1min', lock: '5s' });
  });

  test('a reserve waits at most its lock timeout behind an application transaction that locked its own request', async () => {
    // (review of 2026-11-26) llm_app may update its requests (to cancel them), so it can lock them: a reserve behind such a
    // lock held a worker slot for the whole 30 s statement timeout, and a few dozen locked requests starved every tenant.
    const admin = db.pool('admin', 1);
    const pk = (await admin.query<{ pk: string }>(`select tests.enqueue(tests.tenant_a(), tests.user_a1(), 'lock-1')::text as pk`)).rows[0]!.pk;
    const holder = await app.connect();
    try {
      await holder.query('begin');
      await holder.query(`select llm.use_context($1)`, [signContext(TEST_CONTEXT_SECRET, 'a0000000-0000-0000-0000-00000000000a',
        'a1000000-0000-0000-0000-000000000001')]);
      expect((await holder.query(`select count(*)::int as n from (select 1 from llm_private.requests for update) x`)).rows[0].n).toBeGreaterThan(0);
      const t0 = Date.now();
      await expect(withMoney(worker, { tenantId: 'a0000000-0000-0000-0000-00000000000a', userId: 'a1000000-0000-0000-0000-000000000001' },
        (c) => c.query(`select * from llm.reserve_call(${pk}, 1, 10, 30000)`), { lockTimeoutMs: 300 })).rejects.toMatchObject({ code: '55P03' });
      expect(Date.now() - t0).toBeLessThan(3000);
    } finally {
      await holder.query('rollback');
      holder.release();
    }
  });

  test('a settle outwaits the same lock (it records money already spent): it completes once the application lets go', async () => {
    // (second review of 2026-11-26) With the 5 s default, every settle try failed behind such a lock, the settle was given
    // up, and an overrun above the hold was never billed. sqlLedger gives settle, release and failRequest a 30 s wait.
    const admin = db.pool('admin', 1);
    const pk = BigInt((await admin.query<{ pk: string }>(
      `select tests.request_pk('lock-2') as pk from tests.call(tests.tenant_a(), tests.user_a1(), 'lock-2', 'explanation', 'mock:tiny', 10)`)).rows[0]!.pk);
    const holder = await app.connect();
    try {
      await holder.query('begin');
      await holder.query(`select llm.use_context($1)`, [signContext(TEST_CONTEXT_SECRET, TENANT, USER)]);
      await holder.query(`select 1 from llm_private.requests where id = $1 for update`, [pk.toString()]);
      const settled = sqlLedger(worker).settle({ tenantId: TENANT, userId: USER },
        { requestPk: pk, attemptNo: 1, status: 'ok', usage: { inputTokens: 5, cachedInputTokens: 0, outputTokens: 5 }, latencyMs: 1 });
      await new Promise((r) => setTimeout(r, 5_500)); // past the 5 s default
      await holder.query('rollback');
      expect((await settled).state).toBe('settled');
    } finally {
      await holder.query('rollback').catch(() => {});
      holder.release();
    }
  }, 20_000);

  test('a failed transaction rolls its timeouts back too', async () => {
    const before = await onOneConnection(worker, read);
    await expect(withRole(worker, 'llm_operator', async (c) => {
      expect((await read(c)).statement).toBe('12345ms');
      await c.query('select 1/0');
    }, limits)).rejects.toMatchObject({ code: '22012' });
    expect(await onOneConnection(worker, read)).toEqual(before);
  });
});

test('a connection lost while the helper holds it rejects the call and leaves the process running', async () => {
  // (soak review 85) pg-pool listens for errors on idle clients only: a connection ended by the server (a restart, a
  // terminated backend) while a helper held it emitted an 'error' nobody listened to, which ends a Node process. An
  // application pool as an application makes one: an 'error' listener on the pool, none per client.
  const pool = new PgPool({ connectionString: db.url('llm_viewer'), max: 1 });
  pool.on('error', () => {});
  const admin = db.pool('admin', 1);
  try {
    const call = withRole(pool, 'llm_viewer', async (c) => {
      const { rows: [{ pid }] } = await c.query('select pg_backend_pid() as pid');
      await admin.query('select pg_terminate_backend($1)', [pid]);
      await new Promise((r) => setTimeout(r, 300)); // the 'error' arrives while the client is checked out
      return c.query('select 1');
    });
    await expect(call).rejects.toThrow();
    // The broken client was discarded: the pool gives a working one.
    expect((await pool.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
  } finally {
    await pool.end();
  }
});
