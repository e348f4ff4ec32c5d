/**
 * One claim per (tenant, request_id, endpoint) whatever the caller's isolation level. The claim
 * check runs after the key's claim row (llm_private.lock_claim) and must read the claims committed up to it: under
 * REPEATABLE READ or SERIALIZABLE the transaction's snapshot predates the claim's wait, so it would miss a
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

test('another tenant cannot hold up a claim: no advisory lock to take, and the key rows are the tenant\'s own (RLS)', async () => {
  const TENANT_B = 'b0000000-0000-0000-0000-00000000000b';
  const USER_B = 'b1000000-0000-0000-0000-000000000001';
  const attacker = await app.connect();
  const victim = await app.connect();
  const attempt = async (sql: string, params: unknown[] = []): Promise<string> => {
    await attacker.query('savepoint s');
    try {
      await attacker.query(sql, params);
      await attacker.query('release savepoint s');
      return 'ok';
    } catch (e) {
      await attacker.query('rollback to savepoint s');
      return (e as { code?: string }).code ?? String(e);
    }
  };
  try {
    // The attacker, in tenant A's valid context, tries every way to B's key it has: the lock that ordered claims until
    // 2026-11-27 (keyed with B's salt, which it cannot read, or none), B's key row, and the function that writes it.
    await begin(attacker, 'read committed', USER);
    expect(await attempt(`select pg_advisory_xact_lock(hashtextextended(format('%s/%s/%s', $1::text, 'route', 'victim-1'), s))
                            from unnest(array[0, 7420011]::bigint[]) s`, [TENANT_B])).toBe('42501');
    expect(await attempt(`insert into llm_private.claim_mutexes values ($1, hashtextextended('route/victim-1', 0))`, [TENANT_B])).toBe('42501');
    expect(await attempt('select llm_private.lock_claim($1, $2, $3)', [TENANT_B, 'route', 'victim-1'])).toBe('42501');
    // Its own tenant's claim of the same request id stays open meanwhile.
    expect(await attempt('select * from llm.enqueue_call($1::jsonb)', [payload('victim-1')])).toBe('ok');
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

test('an SQL injection cannot fill the cluster\'s shared lock table, and claims take no entry in it', async () => {
  // (review of 2026-11-27) As llm_app, a loop of subtransactions took ~12,700 transaction-level advisory locks and kept them:
  // every new connection of every role then failed with "out of shared memory" until the transaction ended.
  const c = await app.connect();
  try {
    await begin(c, 'read committed', USER);
    await expect(c.query(`do $$ declare i bigint := 0; b int := 1000; begin
      loop
        begin
          perform pg_advisory_xact_lock(g) from generate_series(i, i + b - 1) g;
          i := i + b;
        exception when out_of_memory then
          exit when b = 1;
          b := greatest(1, b / 10);
        end;
      end loop;
    end $$`)).rejects.toMatchObject({ code: '42501' });
    await c.query('rollback');
    // Claims in one transaction (an application's batch) take as many lock-table entries for 300 as for 10: the claim's
    // order is a row's (llm_private.claim_mutexes), kept in the tuples, where each advisory lock was one more shared entry
    // until commit.
    const batch = async (prefix: string, n: number) => {
      await begin(c, 'read committed', USER);
      const { rows: [r] } = await c.query(`select count(*)::int as claims from generate_series(1, $2::int) g,
        llm.enqueue_call(jsonb_build_object('request_id', $1::text || g, 'endpoint', 'route', 'model', 'mock:small', 'max_output_tokens', 10,
          'messages', jsonb_build_array(jsonb_build_object('role', 'user', 'content', 'batch question ' || g)))) e where e.created`, [prefix, n]);
      // Relation locks depend on the session's cached plans (a new session's first batch locked 49 more indexes and
      // partitions than a warm one's, for any number of claims); every other kind would grow with the claims.
      const { rows: [locks] } = await c.query(`select count(*) filter (where locktype = 'advisory')::int as advisory,
        count(*) filter (where locktype <> 'relation')::int as per_claim_kinds from pg_locks where pid = pg_backend_pid()`);
      await c.query('commit');
      return { ...r, ...locks };
    };
    const small = await batch('small-', 10);
    const large = await batch('large-', 300);
    expect(small).toMatchObject({ claims: 10, advisory: 0 });
    expect(large).toMatchObject({ claims: 300, advisory: 0 });
    expect(large.per_claim_kinds).toBe(small.per_claim_kinds); // the transaction's own ids, not one per claim
  } finally {
    await c.query('rollback').catch(() => {});
    c.release();
  }
  const { rows: [left] } = await admin.query(`select count(*)::int as n from llm_private.claim_mutexes
    where key_hash in (select hashtextextended('route/' || p || g, 0) from unnest(array['small-', 'large-']) p, generate_series(1, 300) g)`);
  expect(left).toEqual({ n: 0 }); // a new claim's key row is deleted in its own transaction: never seen committed
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

test('a duplicate while the window grows waits for the newer claim in flight, not the older one the window now holds', async () => {
  // (review of the lookup before the claim's order, 2026-11-27) With the window at one month, a claim of last month is
  // outside it; B claims the key this month and has not committed; the window grows to two months. A duplicate of B found
  // the old claim without waiting, and answered LG409 naming it. It waits for B now, and returns B.
  const operator = db.pool('llm_operator', 1);
  const { rows: [old] } = await admin.query(
    `insert into llm_private.requests (tenant_id, id, user_id, request_id, endpoint, fingerprint, created_at)
     values ($1, ((llm_private.month_index(llm_private.now()) - 1)::bigint << 40) + 990000000001, $2, 'win-1', 'route',
             sha256('another payload'::bytea), llm_private.month_start(llm_private.month_index(llm_private.now()) - 1) + interval '1 day')
     returning id::text`, [TENANT, USER]);
  await operator.query(`select llm.set_setting('idempotency_months', '1')`);
  const b = await app.connect();
  const a = await app.connect();
  try {
    await begin(b, 'read committed', USER);
    const { rows: [made] } = await b.query('select request_pk::text, created from llm.enqueue_call($1::jsonb)', [payload('win-1')]);
    expect(made.created).toBe(true);
    await operator.query(`select llm.set_setting('idempotency_months', '2')`);
    await begin(a, 'read committed', USER);
    const dup = a.query('select request_pk::text, created from llm.enqueue_call($1::jsonb)', [payload('win-1')])
      .then((r) => r.rows[0], (e: { code?: string }) => ({ error: e.code }));
    await new Promise((r) => setTimeout(r, 300)); // A waits for B's claim
    await b.query('commit');
    expect(await dup).toEqual({ request_pk: made.request_pk, created: false });
    expect(made.request_pk).not.toBe(old.id);
    await a.query('commit');
  } finally {
    await b.query('rollback').catch(() => {});
    await a.query('rollback').catch(() => {});
    b.release();
    a.release();
    await operator.query(`select llm.set_setting('idempotency_months', '2')`);
  }
});

test('two duplicates of a claim made by hand: one adds its job, the other waits and returns it', async () => {
  // (same review) A claim inserted by hand has no job; the first duplicate enqueue completes it. A second one, concurrent,
  // did not wait (the claim was committed) and failed with 55000 in the enqueue wrapper.
  const a = await app.connect();
  const b = await app.connect();
  try {
    await begin(a, 'read committed', USER);
    await a.query(`insert into llm_private.requests (tenant_id, user_id, request_id, endpoint, fingerprint, created_at)
                   values ($1, $2, 'hand-1', 'route', llm_private.fingerprint($2, $3::jsonb), now())`, [TENANT, USER, payload('hand-1')]);
    await a.query('commit');
    await begin(a, 'read committed', USER);
    await begin(b, 'read committed', USER);
    const { rows: [first] } = await a.query('select request_pk::text, created from llm.enqueue_call($1::jsonb)', [payload('hand-1')]);
    const second = b.query('select request_pk::text, created from llm.enqueue_call($1::jsonb)', [payload('hand-1')])
      .then((r) => r.rows[0], (e: { code?: string }) => ({ error: e.code }));
    await new Promise((r) => setTimeout(r, 300)); // B waits for A's claim
    await a.query('commit');
    expect(await second).toEqual({ request_pk: first.request_pk, created: false });
    await b.query('commit');
  } finally {
    await a.query('rollback').catch(() => {});
    await b.query('rollback').catch(() => {});
    a.release();
    b.release();
  }
  const { rows } = await admin.query<{ jobs: number }>(
    `select count(j.id)::int as jobs from llm_private.requests q join graphile_worker.jobs j on j.id = q.job_id where q.request_id = 'hand-1'`);
  expect(rows[0]).toEqual({ jobs: 1 });
});
