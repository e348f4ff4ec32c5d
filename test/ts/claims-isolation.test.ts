/**
 * One claim per (tenant, request_id, endpoint) whatever the caller's isolation level. The claim
 * check runs after the key's advisory lock and must read the claims committed up to it: under
 * REPEATABLE READ or SERIALIZABLE the transaction's snapshot predates the lock, so it would miss a
 * claim committed meanwhile (by a READ COMMITTED transaction, against which SERIALIZABLE does not
 * protect) and make a second claim with a second job. Such a claim is refused (0A000); READ
 * COMMITTED (the default) returns the existing request.
 */
import type { Pool, PoolClient } from 'pg';
import { signContext } from '../../src/db/context';
import { TEST_CONTEXT_SECRET } from '../support/admin';
import { createTestDb, TestDb } from '../support/db';

const TENANT = 'a0000000-0000-0000-0000-00000000000a';
const USER = 'a1000000-0000-0000-0000-000000000001';
const USER2 = 'a2000000-0000-0000-0000-000000000002';

let db: TestDb;
let app: Pool;
let admin: Pool;

beforeAll(async () => {
  db = await createTestDb();
  admin = db.pool('admin', 1);
  await admin.query('select tests.seed()');
  app = db.pool('llm_app', 2);
});
afterAll(async () => db.drop());

const payload = (id: string) => JSON.stringify({ request_id: id, endpoint: 'route', model: 'mock:small', max_output_tokens: 10,
  messages: [{ role: 'user', content: 'same question' }] });

async function begin(c: PoolClient, isolation: string, user: string): Promise<void> {
  await c.query(`begin isolation level ${isolation}`);
  await c.query('select llm.use_context($1)', [signContext(TEST_CONTEXT_SECRET, TENANT, user)]);
}

/** A opens its transaction (and snapshot) first; B claims the key and commits; then A enqueues the same key. */
async function race(isolation: string, id: string, userA = USER, userB = USER): Promise<{ error: string | null; claims: number; jobs: number }> {
  const a = await app.connect();
  const b = await app.connect();
  let error: string | null = null;
  try {
    await begin(a, isolation, userA);
    await begin(b, 'read committed', userB);
    await b.query('select * from llm.enqueue_call($1::jsonb)', [payload(id)]);
    await b.query('commit');
    try {
      await a.query('select * from llm.enqueue_call($1::jsonb)', [payload(id)]);
      await a.query('commit');
    } catch (e) {
      error = (e as { code?: string }).code ?? String(e);
      await a.query('rollback');
    }
  } finally {
    a.release();
    b.release();
  }
  const { rows } = await admin.query<{ claims: number; jobs: number }>(
    `select count(*)::int as claims, count(j.id)::int as jobs from llm_private.requests q
       left join graphile_worker.jobs j on j.id = q.job_id where q.request_id = $1`, [id]);
  return { error, ...rows[0]! };
}

test('REPEATABLE READ: the late claim of a key committed meanwhile is refused (0A000), one claim, one job', async () => {
  expect(await race('repeatable read', 'rr-1')).toEqual({ error: '0A000', claims: 1, jobs: 1 });
});

test('REPEATABLE READ, another user of the tenant: refused too', async () => {
  expect(await race('repeatable read', 'rr-2', USER2, USER)).toEqual({ error: '0A000', claims: 1, jobs: 1 });
});

test('SERIALIZABLE against a READ COMMITTED claimant: refused too (0A000), one claim, one job', async () => {
  expect(await race('serializable', 'sr-1')).toEqual({ error: '0A000', claims: 1, jobs: 1 });
});

test('READ COMMITTED (the default): the same request comes back, one claim, one job', async () => {
  expect(await race('read committed', 'rc-1')).toEqual({ error: null, claims: 1, jobs: 1 });
});

test('another tenant cannot take a claim lock: the key is seeded with the claiming tenant\'s own salt', async () => {
  const TENANT_B = 'b0000000-0000-0000-0000-00000000000b';
  const USER_B = 'b1000000-0000-0000-0000-000000000001';
  const attacker = await app.connect();
  const victim = await app.connect();
  try {
    // The attacker, in tenant A's valid context, locks every key it can compute for B's next request id.
    await begin(attacker, 'read committed', USER);
    const { rows: [seen] } = await attacker.query(
      `select count(*)::int as n from llm_private.tenants where id = $1`, [TENANT_B]);
    expect(seen).toEqual({ n: 0 }); // B's row, and so its salt, is invisible here
    await attacker.query(`select pg_advisory_xact_lock(hashtextextended(format('%s/%s/%s', $1::text, 'route', 'victim-1'), s))
                            from unnest(array[0, 7420011]::bigint[]) s`, [TENANT_B]);
    await attacker.query('select llm_private.lock_claim($1, $2, $3)', [TENANT_B, 'route', 'victim-1']);
    // B enqueues meanwhile, and is not held up.
    await victim.query('begin');
    await victim.query(`set local statement_timeout = '3s'`);
    await victim.query('select llm.use_context($1)', [signContext(TEST_CONTEXT_SECRET, TENANT_B, USER_B)]);
    const { rows: [claimed] } = await victim.query('select state, created from llm.enqueue_call($1::jsonb)', [payload('victim-1')]);
    expect(claimed).toEqual({ state: 'queued', created: true });
    await victim.query('commit');
  } finally {
    await attacker.query('rollback').catch(() => {});
    await victim.query('rollback').catch(() => {});
    attacker.release();
    victim.release();
  }
});

test('two enqueue transactions of one tenant that cross keys do not deadlock: the fair share of the queue locks nothing', async () => {
  // The fair share (migration 000024) reads the tenant's queued requests; a per-tenant counter row held to commit had made
  // this order a deadlock: A holds key x's claim lock and the counter, B holds key y's claim lock and waits for the
  // counter, A then waits for key y. Without a counter, A waits for B's claim of y, B commits, A returns B's request.
  const a = await app.connect();
  const b = await app.connect();
  try {
    await begin(a, 'read committed', USER);
    await begin(b, 'read committed', USER);
    await a.query('select * from llm.enqueue_call($1::jsonb)', [payload('cross-x')]);
    await b.query('select * from llm.enqueue_call($1::jsonb)', [payload('cross-y')]);
    const aSecond = a.query('select request_pk::text, created from llm.enqueue_call($1::jsonb)', [payload('cross-y')]);
    await new Promise((r) => setTimeout(r, 300)); // A is waiting now (on y's claim lock)
    await b.query('select * from llm.enqueue_call($1::jsonb)', [payload('cross-z')]);
    await b.query('commit');
    const { rows } = await aSecond;
    expect(rows[0].created).toBe(false); // B's claim of y, returned to A
    await a.query('commit');
  } finally {
    a.release();
    b.release();
  }
  const { rows } = await admin.query<{ n: number }>(
    `select count(*)::int as n from llm_private.requests where request_id in ('cross-x', 'cross-y', 'cross-z')`);
  expect(rows[0]!.n).toBe(3);
});
