/**
 * Single flight under a real race: two identical requests (same cache key) reserve at the same
 * moment on two connections. Exactly one may call the provider; the other must be told to wait
 * for its fill, whatever the interleaving. The second reserve is started while the first one's
 * transaction is still open, which is the interleaving where a check-then-insert lets both through.
 */
import { Client, type PoolClient } from 'pg';
import { createTestDb, TestDb } from '../support/db';

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
  const admin = db.pool('admin', 1);
  await admin.query('select tests.seed()');
  for (const id of ['sf-1', 'sf-2', 'sf-3']) {
    await admin.query(`select tests.enqueue(tests.tenant_a(), tests.user_a1(), $1, 'explanation', 'mock:small', 100,
      'Why did spend rise in March?', '{"source_watermark": "w1"}')`, [id]);
  }
});
afterAll(async () => db.drop());

async function reserveIn(c: PoolClient, requestId: string): Promise<{ decision: string; reason: string }> {
  await c.query('begin');
  await c.query('select tests.act_as_money(tests.tenant_a(), tests.user_a1())');
  const { rows } = await c.query(
    `select decision, reason from llm.reserve_call((select id from llm_private.requests where request_id = $1), 1, 100, 30000)`, [requestId]);
  return rows[0];
}

test('two identical reserves racing: one allow, the other waits for its fill (the second started before the first committed)', async () => {
  const pool = db.pool('admin', 2);
  const a = await pool.connect();
  const b = await pool.connect();
  try {
    const first = await reserveIn(a, 'sf-1');
    expect(first).toEqual({ decision: 'allow', reason: 'ok' });
    // The second reserve runs while the first transaction is open; it must not answer before that commit.
    let answered = false;
    const second = reserveIn(b, 'sf-2').then((r) => ((answered = true), r));
    await new Promise((r) => setTimeout(r, 300));
    expect(answered).toBe(false);
    await a.query('commit');
    expect(await second).toEqual({ decision: 'wait', reason: 'cache_fill_in_flight' });
    await b.query('commit');
    const { rows } = await a.query(`select count(*)::int as n from llm_private.attempts a join llm_private.requests q
      on q.tenant_id = a.tenant_id and q.id = a.request_pk where q.request_id in ('sf-1', 'sf-2')`);
    expect(rows[0].n).toBe(1);
  } finally {
    await a.query('rollback').catch(() => {});
    await b.query('rollback').catch(() => {});
    a.release();
    b.release();
  }
});

test('a third identical request waits while the fill is live, and is served from its entry once it settles', async () => {
  const pool = db.pool('admin', 1);
  const c = await pool.connect();
  try {
    expect(await reserveIn(c, 'sf-3')).toEqual({ decision: 'wait', reason: 'cache_fill_in_flight' });
    await c.query('rollback');
    const { rows: [fill] } = await c.query(`select f.cache_key as key, f.token::text as token,
        encode(sha256(convert_to(f.tenant_id::text || '/' || f.owner_user_id::text || '/' || f.cache_key, 'UTF8')), 'hex') as guessable
      from llm_private.cache_fills f join llm_private.requests q on q.tenant_id = f.tenant_id and q.id = f.request_pk where q.request_id = 'sf-1'`);
    // Any role may LISTEN: what it hears is the fill's token, never the key (review of 2026-11-26).
    const listener = new Client({ connectionString: db.url('llm_app') });
    const heard: string[] = [];
    await listener.connect();
    listener.on('notification', (n) => heard.push(n.payload ?? ''));
    await listener.query('listen llm_cache_filled');
    // sf-1 settles (its fill ends, its answer becomes the entry); sf-3 is served from it.
    await c.query('begin');
    await c.query('select tests.act_as_money(tests.tenant_a(), tests.user_a1())');
    await c.query(`select * from llm.settle_call((select id from llm_private.requests where request_id = 'sf-1'), 1, 'ok', 100, 0, 50, 5,
      '{"answer": "it rose"}', null, true)`);
    await c.query('commit');
    for (const t0 = Date.now(); !heard.length && Date.now() - t0 < 3000;) await new Promise((r) => setTimeout(r, 20));
    await listener.end();
    expect(heard).toEqual([fill.token]);
    expect(heard).not.toContain(fill.key);
    expect(heard).not.toContain(fill.guessable); // (seventh review) the earlier token, computable from a guessed prompt
    expect(await reserveIn(c, 'sf-3')).toEqual({ decision: 'cached', reason: 'cache_hit' });
    await c.query('commit');
  } finally {
    await c.query('rollback').catch(() => {});
    c.release();
  }
});

test('the expiry sweep, as the operator, ends an overdue fill and sends its token to the waiters', async () => {
  // (eighth review) A token derived with the tenant's salt needed lock_salt, which the operator may not run: the sweep
  // failed for every tenant as soon as one filling hold was overdue. Each step is its own transaction, as in production
  // (within one transaction PL/pgSQL keeps an expression's permission check from its first call).
  const admin = db.pool('admin', 1);
  await admin.query(`select tests.enqueue(tests.tenant_a(), tests.user_a1(), 'sf-x', 'explanation', 'mock:small', 100,
    'Which team overspent?', '{"source_watermark": "w1"}')`);
  const c = await admin.connect();
  try {
    expect(await reserveIn(c, 'sf-x')).toEqual({ decision: 'allow', reason: 'ok' });
    await c.query('commit');
  } finally {
    c.release();
  }
  const { rows: [fill] } = await admin.query(`select f.token::text as token from llm_private.cache_fills f
    join llm_private.requests q on q.tenant_id = f.tenant_id and q.id = f.request_pk where q.request_id = 'sf-x'`);
  expect(fill?.token).toMatch(/^[0-9a-f-]{36}$/);
  const listener = new Client({ connectionString: db.url('llm_app') });
  const heard: string[] = [];
  await listener.connect();
  listener.on('notification', (n) => heard.push(n.payload ?? ''));
  await listener.query('listen llm_cache_filled');
  await admin.query(`update llm_private.clock set frozen_at = coalesce(frozen_at, now()) + interval '3 hours', offset_ms = 0`);
  try {
    const operator = new Client({ connectionString: db.url('llm_operator') });
    await operator.connect();
    try {
      const { rows } = await operator.query('select llm.expire_holds(10000) as n');
      expect(rows[0].n).toBeGreaterThanOrEqual(1);
    } finally {
      await operator.end();
    }
    for (const t0 = Date.now(); !heard.length && Date.now() - t0 < 3000;) await new Promise((r) => setTimeout(r, 20));
    expect(heard).toEqual([fill!.token]);
    const { rows: [a] } = await admin.query(`select a.state from llm_private.attempts a join llm_private.requests q
      on q.tenant_id = a.tenant_id and q.id = a.request_pk where q.request_id = 'sf-x'`);
    expect(a.state).toBe('expired');
  } finally {
    await listener.end();
    await admin.query(`update llm_private.clock set frozen_at = null, offset_ms = 0`);
  }
});
