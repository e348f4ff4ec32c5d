/**
 * Maintenance: every worker cron task is in the crontab graphile-worker reads and does its job as
 * llm_operator on a real database (sharded limits evaluated, holds expired, retention purged).
 * Partitions are the owner's (`npm run maintain-partitions`): created ahead as months pass, so
 * nothing lands in the DEFAULT partitions, and out of every runtime role's reach.
 */
import { parseCrontab } from 'graphile-worker';
import { Writable } from 'node:stream';
import { Client, Pool } from 'pg';
import { maintainPartitions } from '../../src/db/migrate';
import { createLogger } from '../../src/logger';
import type { WorkerDeps } from '../../src/worker/deps';
import { crontab, expireHoldsTask, MAINTENANCE_TASKS, RECONCILIATION_TIMEOUT_MS, taskFor } from '../../src/worker/tasks';
import { createTestDb, TestDb } from '../support/db';

let db: TestDb;
let deps: WorkerDeps;
const lines: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  db = await createTestDb();
  await db.pool('admin', 1).query('select tests.seed()');
  const sink = new Writable({ write(chunk, _e, cb) { for (const l of String(chunk).trim().split('\n')) lines.push(JSON.parse(l)); cb(); } });
  deps = { pool: db.pool('llm_worker', 2), logger: createLogger({ level: 'debug', destination: sink }) } as unknown as WorkerDeps;
});
afterAll(async () => db.drop());

const run = (name: (typeof MAINTENANCE_TASKS)[number]) => taskFor(deps, name)({}, {} as never);
const months = async () => (await db.pool('admin', 1).query<{ relname: string }>(
  `select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid
    where i.inhparent = 'llm_private.attempts'::regclass and c.relname ~ '_m[0-9]{6}$' order by 1`)).rows.map((r) => r.relname);

test('every maintenance task is scheduled in the crontab graphile-worker parses', () => {
  const items = parseCrontab(crontab());
  expect([...new Set(items.map((item) => item.task))].sort()).toEqual([...MAINTENANCE_TASKS].sort());
  // The reconciliation in a queue of its own: two checks never run at once (one may take minutes at scale).
  // And under one job key: at most one check waits behind the one running (without it, one more queued at every tick).
  expect(items.filter((i) => i.task === 'llm__check_reconciliation').map((i) => [i.options.queueName, i.options.jobKey, i.options.jobKeyMode]))
    .toEqual([['llm_reconciliation', 'llm__check_reconciliation', 'preserve_run_at']]);
  // The expiry sweep twice: every minute from its watermark, and daily over every hold (payload {full: true}).
  expect(items.filter((i) => i.task === 'llm__expire_holds').map((i) => [i.identifier, i.payload ?? null])).toEqual([
    ['llm__expire_holds', null], ['llm__expire_holds_full', { full: true }],
  ]);
});

test("the daily expiry pass (the crontab's payload {full: true}) charges a hold the minute's sweep no longer reads", async () => {
  // (tenth review) A hold committed after the watermark had passed its expiry (the money role kept its transaction open) was
  // never read again. The watermark is moved past it here, as that open transaction let happen.
  const admin = db.pool('admin', 1);
  await admin.query(`select tests.freeze_clock('2026-11-26 12:00:00+00')`);
  await admin.query(`select tests.call(tests.tenant_b(), tests.user_b1(), 'late-hold-1')`);
  await admin.query(`update llm_private.settings set swept_until = '2026-11-26 14:50:00+00'`);
  await admin.query(`select tests.freeze_clock('2026-11-26 15:00:00+00')`);
  const state = async () => (await admin.query(
    `select state::text from llm_private.attempts where request_pk = tests.request_pk('late-hold-1')`)).rows[0].state;
  await taskFor(deps, 'llm__expire_holds')({ _cron: { ts: '2026-11-26T15:00:00Z', backfilled: false } }, {} as never);
  expect(await state()).toBe('held');
  await taskFor(deps, 'llm__expire_holds')({ full: true, _cron: { ts: '2026-11-26T03:41:00Z', backfilled: false } }, {} as never);
  expect(await state()).toBe('expired');
  expect(lines).toContainEqual(expect.objectContaining({ event: 'expire_holds', full: true, expired: 1 }));
});

test('the expiry sweep runs in short transactions, one batch after another until fewer holds are due than a batch', async () => {
  // (review at scale) 10 000 due holds were expired in one 3.8 s transaction holding the usage rows of every subject they
  // touched. Here a batch of 2 and 5 due holds: three transactions (2, 2, 1), and every hold expired.
  const admin = db.pool('admin', 1);
  await admin.query(`select tests.freeze_clock('2026-11-27 12:00:00+00')`);
  for (let i = 0; i < 5; i++) await admin.query(`select tests.call(tests.tenant_a(), tests.user_a2(), $1)`, [`batch-hold-${i}`]);
  await admin.query(`select tests.freeze_clock('2026-11-27 12:10:00+00')`);
  lines.length = 0;
  await expireHoldsTask(deps, 2)({ _cron: { ts: '2026-11-27T12:10:00Z', backfilled: false } }, {} as never);
  const { rows } = await admin.query(`select count(*)::int as n from llm_private.attempts a join llm_private.requests q
    on q.tenant_id = a.tenant_id and q.id = a.request_pk where q.request_id like 'batch-hold-%' and a.state = 'expired'`);
  expect(rows[0].n).toBe(5);
  expect(lines).toContainEqual(expect.objectContaining({ event: 'expire_holds', expired: 5, batches: 3 }));
});

test('the daily pass also ends a request lost more than two days after its claim, which the minute\'s pass no longer reads', async () => {
  // (review at scale) Finding lost requests read every partition each minute (0.5 s at 2x10^6 requests); the minute's pass
  // now reads the last two days' claims.
  const admin = db.pool('admin', 1);
  await admin.query(`select tests.freeze_clock('2026-11-28 12:00:00+00')`);
  await admin.query(`select tests.enqueue(tests.tenant_a(), tests.user_a1(), 'lost-days-later', 'route')`);
  await admin.query(`select tests.freeze_clock('2026-12-01 12:00:00+00')`);
  await admin.query(`delete from graphile_worker._private_jobs j using llm_private.requests q
                      where q.request_id = 'lost-days-later' and j.id = q.job_id`);
  const state = async () => (await admin.query(
    `select state::text || coalesce('/' || reason::text, '') as s from llm_private.requests where request_id = 'lost-days-later'`)).rows[0].s;
  await taskFor(deps, 'llm__expire_holds')({ _cron: { ts: '2026-12-01T12:00:00Z', backfilled: false } }, {} as never);
  expect(await state()).toBe('queued');
  await taskFor(deps, 'llm__expire_holds')({ full: true, _cron: { ts: '2026-12-01T03:41:00Z', backfilled: false } }, {} as never);
  expect(await state()).toBe('failed/job_lost');
  expect(lines).toContainEqual(expect.objectContaining({ event: 'expire_holds', full: true, lost_requests_failed: 1 }));
});

test('the daily pass ends lost requests even when its expiry fails (the crontab runs it once, without retry)', async () => {
  const admin = db.pool('admin', 1);
  await admin.query(`select tests.freeze_clock('2026-12-01 13:00:00+00')`);
  await admin.query(`select tests.enqueue(tests.tenant_a(), tests.user_a1(), 'lost-expiry-failed', 'route')`);
  await admin.query(`delete from graphile_worker._private_jobs j using llm_private.requests q
                      where q.request_id = 'lost-expiry-failed' and j.id = q.job_id`);
  await admin.query(`select tests.freeze_clock('2026-12-04 13:00:00+00')`);
  // A batch of 0 makes llm.expire_holds refuse (22023): the expiry fails as any error would.
  await expect(expireHoldsTask(deps, 0)({ full: true, _cron: { ts: '2026-12-04T03:41:00Z', backfilled: false } }, {} as never))
    .rejects.toMatchObject({ code: '22023' });
  const { rows } = await admin.query(
    `select state::text || '/' || reason::text as s from llm_private.requests where request_id = 'lost-expiry-failed'`);
  expect(rows[0].s).toBe('failed/job_lost');
});

test('npm run maintain-partitions (as the owner): as months pass, the months ahead are created before they start', async () => {
  const admin = db.pool('admin', 1);
  await admin.query(`select tests.freeze_clock('2027-02-10 00:00:00+00')`);
  expect(await months()).not.toContain('attempts_m202705');
  const r = await maintainPartitions(db.adminUrl, { dropExpired: true });
  expect(r.created).toBeGreaterThan(0);
  expect(await months()).toEqual(expect.arrayContaining(['attempts_m202702', 'attempts_m202703', 'attempts_m202704', 'attempts_m202705']));
  // A request enqueued in the new month lands in its own partition, not the default one.
  await admin.query(`select tests.enqueue(tests.tenant_a(), tests.user_a1(), 'feb-1')`);
  const { rows } = await admin.query(`select tableoid::regclass::text as part from llm_private.requests where request_id = 'feb-1'`);
  expect(rows).toEqual([{ part: 'llm_private.requests_m202702' }]);
});

test('no runtime role can create or drop a partition: the operator, the worker and the application are refused', async () => {
  for (const role of ['llm_operator', 'llm_worker', 'llm_app', 'llm_money'] as const) {
    const c = await db.pool(role === 'llm_money' || role === 'llm_operator' ? 'llm_worker' : role, 1).connect();
    try {
      if (role === 'llm_money' || role === 'llm_operator') await c.query(`set role ${role}`);
      await expect(c.query('select llm_maint.ensure_partitions()')).rejects.toMatchObject({ code: '42501' });
      await expect(c.query('select llm_maint.drop_expired_partitions()')).rejects.toMatchObject({ code: '42501' });
    } finally {
      c.release();
    }
  }
});

test('retention forgets budget scopes under READ COMMITTED only (an older snapshot could miss a reserve committed before its lock)', async () => {
  // (review of c99c829) Under REPEATABLE READ the snapshot is taken at the transaction's first statement, before
  // drop_expired_partitions takes the ledger tables: a scope reserved (and holding money) in between looked unused.
  const c = await db.pool('admin', 1).connect();
  try {
    for (const level of ['repeatable read', 'serializable']) {
      await c.query(`begin isolation level ${level}`);
      await c.query('set local role llm_owner');
      await c.query('lock table llm_private.budget_scopes in access exclusive mode');
      await expect(c.query(`select llm_maint.forget_unused_budget_scopes('2030-01-01 00:00+00')`))
        .rejects.toMatchObject({ code: '55000', message: 'llm_maint: retention runs under READ COMMITTED' });
      await c.query('rollback');
    }
    await c.query('begin');
    await c.query('set local role llm_owner');
    await c.query('lock table llm_private.budget_scopes in access exclusive mode');
    await expect(c.query(`select llm_maint.forget_unused_budget_scopes('2000-01-01 00:00+00') as n`)).resolves.toMatchObject({ rows: [{ n: 0 }] });
    await c.query('rollback');
  } finally {
    c.release();
  }
});

test('llm__evaluate_limits and llm__expire_holds run as llm_operator without error', async () => {
  await expect(run('llm__evaluate_limits')).resolves.toBeUndefined();
  await expect(run('llm__expire_holds')).resolves.toBeUndefined();
  await expect(run('llm__purge_expired')).resolves.toBeUndefined();
  expect(lines).toContainEqual(expect.objectContaining({ event: 'evaluate_limits', subjects: expect.any(Number) }));
});

test('llm__check_reconciliation records the drift once for every worker to report, under its own statement timeout', async () => {
  // The metrics scrape reads the newest check (llm.reconciliation_status), not the view: the view reads two months of the
  // ledger, about 2 minutes at 10^7 calls a month, past the 30 s every other worker statement gets.
  const admin = db.pool('admin', 1);
  await admin.query(`select tests.call(tests.tenant_a(), tests.user_a1(), 'mt-drift')`);
  const status = async () => (await admin.query('select drift_rows::int as drift_rows, age_seconds from llm.reconciliation_status')).rows;
  const checksBefore = (await admin.query('select count(*)::int as n from llm_private.reconciliation_checks')).rows[0].n;
  await run('llm__check_reconciliation');
  expect(await status()).toEqual([{ drift_rows: 0, age_seconds: expect.any(Number) }]);
  expect(lines).toContainEqual(expect.objectContaining({ event: 'check_reconciliation', drift_rows: 0, level: 'info' }));
  await admin.query(`begin; set local session_replication_role = replica;
    update llm_private.usage set spent = spent + 7 where tenant_id = (select tests.tenant_a()); commit`);
  const drift = (await admin.query('select count(*)::int as n from llm.reconciliation_drift')).rows[0].n;
  expect(drift).toBeGreaterThan(0);
  await run('llm__check_reconciliation');
  expect((await status())[0].drift_rows).toBe(drift);
  expect(lines).toContainEqual(expect.objectContaining({ event: 'check_reconciliation', drift_rows: drift, level: 'error' }));
  expect((await admin.query('select count(*)::int as n from llm_private.reconciliation_checks')).rows[0].n).toBe(checksBefore + 2);
  await admin.query(`begin; set local session_replication_role = replica;
    update llm_private.usage set spent = spent - 7 where tenant_id = (select tests.tenant_a()); commit`);
  // Its transaction's statement timeout is the task's own: the worker login's 30 s would end the count at 10^7 calls a month.
  const sent: string[] = [];
  const original = Client.prototype.query;
  (Client.prototype as { query: unknown }).query = function (this: Client, ...args: unknown[]) {
    sent.push(typeof args[0] === 'string' ? args[0] : String((args[0] as { text?: string })?.text ?? ''));
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  };
  try {
    await run('llm__check_reconciliation');
  } finally {
    (Client.prototype as { query: unknown }).query = original;
  }
  // (review of f9512fe) A check counts the ledger as of its own statement: in REPEATABLE READ (where an exported snapshot from
  // before the drift can be imported) it is refused, and the status keeps the last real check.
  const stale = new Client({ connectionString: db.url('llm_worker') });
  await stale.connect();
  try {
    await stale.query('begin isolation level repeatable read; set local role llm_operator');
    await expect(stale.query('select * from llm.check_reconciliation()')).rejects.toMatchObject({ code: '25000' });
    await stale.query('rollback');
  } finally {
    await stale.end();
  }
  // (second review of the check) The task begins READ COMMITTED whatever the session's default: a default of REPEATABLE
  // READ (a login can set its own) failed every check with 25000.
  const rr = new Pool({ connectionString: db.url('llm_worker'), max: 1, options: '-c default_transaction_isolation=repeatable\\ read' });
  try {
    expect((await rr.query('show default_transaction_isolation')).rows[0].default_transaction_isolation).toBe('repeatable read');
    const before = (await admin.query('select count(*)::int as n from llm_private.reconciliation_checks')).rows[0].n;
    await taskFor({ ...deps, pool: rr } as WorkerDeps, 'llm__check_reconciliation')({}, {} as never);
    expect((await admin.query('select count(*)::int as n from llm_private.reconciliation_checks')).rows[0].n).toBe(before + 1);
  } finally {
    await rr.end();
  }
  expect(RECONCILIATION_TIMEOUT_MS).toBe(600_000);
  expect(sent.filter((t) => t.includes('llm.check_reconciliation')).length).toBe(1);
  expect(sent.some((t) => t.includes(`set_config('statement_timeout', '600000ms', true)`) && t.includes('set local role llm_operator'))).toBe(true);
});

test('partition DDL waits at most its lock timeout behind an open transaction, then gives up: the other tenants are not stopped', async () => {
  // (review of 2026-11-26) An application transaction left open (one SQL injection can) made ensure_partitions wait for its
  // ACCESS EXCLUSIVE lock, and every other tenant's enqueue queued behind that wait for as long as the transaction lasted.
  await db.pool('admin', 1).query(`select tests.freeze_clock('2028-01-10 00:00:00+00')`);
  const holder = new Client({ connectionString: db.adminUrl });
  const other = new Client({ connectionString: db.adminUrl });
  await holder.connect();
  await other.connect();
  try {
    await holder.query('begin');
    await holder.query('select count(*) from llm_private.requests');
    const t0 = Date.now();
    const ddl = maintainPartitions(db.adminUrl, { lockTimeoutMs: 300 }).then(() => 'created', (e: { code?: string }) => e.code);
    await new Promise((r) => setTimeout(r, 100));
    const read = other.query('select count(*) from llm_private.requests').then(() => Date.now() - t0);
    expect(await ddl).toBe('55P03');
    expect(await read).toBeLessThan(3000); // behind the DDL's wait, which ended at 300 ms; not behind the open transaction
  } finally {
    await holder.query('rollback');
    await holder.end();
    await other.end();
  }
  // Run again later: done. (With its own default wait: each try is one statement bounded by the wait, and creating four
  // months of six tables took more than 300 ms on a loaded machine, so a 300 ms run failed with nothing in its way.)
  expect((await maintainPartitions(db.adminUrl)).created).toBeGreaterThan(0);
});

test('creating partitions never makes a reader a deadlock victim: each try lets go before a waiter\'s deadlock check', async () => {
  // (review of the upgrade path's fixes) ensure_partitions created the months table after table (requests, request_inputs,
  // attempts, ...), each with an ACCESS EXCLUSIVE lock kept to the end: a reader holding attempts that then read requests
  // waited behind it first, and when the creation reached attempts the reader's deadlock check found the cycle: the reader
  // was the victim. Here: h holds request_inputs, so the creation waits there holding requests; the reader, holding
  // attempts, asks for requests; h lets go; the creation reaches attempts.
  const admin = db.pool('admin', 1);
  await admin.query(`select tests.freeze_clock('2029-06-10 00:00:00+00')`); // months ahead to create in every table
  const h = new Client({ connectionString: db.adminUrl });
  const reader = new Client({ connectionString: db.adminUrl });
  await h.connect();
  await reader.connect();
  try {
    await h.query('begin');
    await h.query('select count(*) from llm_private.request_inputs');
    await reader.query('begin');
    await reader.query('select count(*) from llm_private.attempts');
    const ddl = maintainPartitions(db.adminUrl, { lockTimeoutMs: 10_000 }).then((r) => r.created, (e: { code?: string }) => e.code);
    await new Promise((r) => setTimeout(r, 300)); // the creation holds requests, waits for request_inputs
    const read = reader.query('select count(*) from llm_private.requests').then(() => 'read', (e: { code?: string }) => e.code);
    await new Promise((r) => setTimeout(r, 200));
    await h.query('commit');
    expect(await read).toBe('read');
    await reader.query('commit');
    expect(typeof (await ddl)).toBe('number');
  } finally {
    await h.query('rollback').catch(() => {});
    await reader.query('rollback').catch(() => {});
    await h.end();
    await reader.end();
  }
});

/**
 * The interleaving both retention lock tests start from: t holds attempts (as the expiry sweep does first), then m, the
 * owner, runs drop_expired_partitions; 300 ms later, gives the drop's pending result (partitions dropped, or its SQLSTATE).
 */
async function dropBehindAttemptsReader(t: Client, m: Client): Promise<{ drop: Promise<number | string | undefined> }> {
  await t.query('begin');
  await t.query('select 1 from llm_private.attempts limit 1');
  await m.query('begin');
  await m.query('set local role llm_owner');
  const drop = m.query('select llm_maint.drop_expired_partitions() as n').then((r) => Number(r.rows[0].n), (e: { code?: string }) => e.code);
  await new Promise((r) => setTimeout(r, 300));
  return { drop }; // wrapped: an async function returning the promise itself would wait for the drop
}

test('retention takes its locks in one order: an application query reading requests then attempts does not deadlock it', async () => {
  // (eleventh review) drop_expired_partitions took each partition's lock as it came to it, attempts_m before requests_m: a
  // transaction on attempts made it wait there, an application query then read requests and waited behind it on attempts,
  // and the drop, next wanting requests_m, deadlocked (40P01) and rolled back every month it had dropped.
  const admin = db.pool('admin', 1);
  await admin.query(`select tests.freeze_clock('2029-01-15 10:00:00+00')`);
  await maintainPartitions(db.adminUrl, {});
  await admin.query(`select tests.settle(tests.request_pk('ret-1'), 1) from tests.call(tests.tenant_a(), tests.user_a1(), 'ret-1')`);
  await admin.query(`update llm_private.settings set idempotency_months = 1, ledger_retention_months = 2`);
  await admin.query(`select tests.freeze_clock('2029-03-02 00:00:00+00')`);
  const t = new Client({ connectionString: db.adminUrl });
  const m = new Client({ connectionString: db.adminUrl });
  const s = new Client({ connectionString: db.adminUrl });
  await Promise.all([t.connect(), m.connect(), s.connect()]);
  try {
    const { drop } = await dropBehindAttemptsReader(t, m);
    await s.query('begin');
    await s.query(`select tests.act_as_app(tests.tenant_a(), tests.user_a1())`);
    const read = s.query(`select state from llm.request_results where request_id = 'ret-1'`).then((r) => r.rows.length, (e: { code?: string }) => e.code);
    // The read does not queue behind the drop (which holds no table while it waits): it answers at once, January's
    // request still there; the drop goes through once both transactions have ended.
    expect(await read).toBe(1);
    await s.query('commit');
    await t.query('commit');
    expect(await drop).toBeGreaterThan(0);
    await m.query('commit');
  } finally {
    await Promise.all([t.end(), m.end(), s.end()]);
    await admin.query(`update llm_private.settings set ledger_retention_months = 13, idempotency_months = 2`);
  }
});

test('retention gives way to the expiry sweep (attempts, then requests): no deadlock, the sweep goes on at once', async () => {
  // (twelfth review) Locked in one order (requests first), the tables still deadlocked with a transaction that holds
  // attempts and then reads requests, as the expiry sweep does (40P01 for the sweep or the drop). Now each of the drop's
  // waits gives up well before the deadlock detector looks, releasing what it took, and the drop tries again: the
  // sweep-like transaction reads requests within a try's wait and ends first.
  const admin = db.pool('admin', 1);
  await admin.query(`select tests.freeze_clock('2029-06-15 00:00:00+00')`);
  await admin.query(`update llm_private.settings set idempotency_months = 1, ledger_retention_months = 2`);
  const t = new Client({ connectionString: db.adminUrl });
  const m = new Client({ connectionString: db.adminUrl });
  await Promise.all([t.connect(), m.connect()]);
  try {
    const { drop } = await dropBehindAttemptsReader(t, m);
    const t0 = Date.now();
    await t.query('select 1 from llm_private.requests limit 1'); // at most one try's wait (a tenth of deadlock_timeout)
    expect(Date.now() - t0).toBeLessThan(1000);
    await t.query('commit');
    expect(await drop).toBeGreaterThan(0);
    await m.query('commit');
  } finally {
    await t.query('rollback').catch(() => {});
    await Promise.all([t.end(), m.end()]);
    await admin.query(`update llm_private.settings set ledger_retention_months = 13, idempotency_months = 2`);
  }
});

test('retention gets into a ledger that always has a reader: its lock queues (new readers wait behind it), each wait short', async () => {
  // (thirteenth review) Taken NOWAIT, the six tables were never free at once under a steady stream of readers, and the drop
  // gave up (55P03) after its lock_timeout in 2 of 4 runs. Three readers here overlap so that one always holds attempts.
  const admin = db.pool('admin', 1);
  await admin.query(`select tests.freeze_clock('2029-07-15 00:00:00+00')`);
  await maintainPartitions(db.adminUrl, {});
  await admin.query(`select tests.freeze_clock('2029-12-15 00:00:00+00')`);
  await admin.query(`update llm_private.settings set idempotency_months = 1, ledger_retention_months = 2`);
  const readers = [0, 1, 2].map(() => new Client({ connectionString: db.adminUrl }));
  const m = new Client({ connectionString: db.adminUrl });
  await Promise.all([...readers, m].map((c) => c.connect()));
  let reading = true;
  const loops = readers.map(async (c, k) => {
    await new Promise((r) => setTimeout(r, 20 * k));
    while (reading) {
      await c.query('begin');
      await c.query('select 1 from llm_private.attempts limit 1');
      await new Promise((r) => setTimeout(r, 60));
      await c.query('commit');
    }
  });
  try {
    await new Promise((r) => setTimeout(r, 200));
    await m.query('begin');
    await m.query(`set local lock_timeout = '2s'`);
    await m.query('set local role llm_owner');
    const dropped = await m.query('select llm_maint.drop_expired_partitions() as n').then((r) => Number(r.rows[0].n), (e: { code?: string }) => e.code);
    await m.query('commit');
    expect(dropped).toBeGreaterThan(0);
  } finally {
    reading = false;
    await Promise.all(loops);
    await Promise.all([...readers, m].map((c) => c.end()));
    await admin.query(`update llm_private.settings set ledger_retention_months = 13, idempotency_months = 2`);
  }
});

test('the check\'s read of the ledger is hashed, not compiled, and has the memory the setting gives it, as the worker runs it', async () => {
  // (session of 2026-11-27, at 10^6 calls) The planner sorted every attempt and meter of the two months to aggregate them
  // (648 MB of temp files against the logins' 2 GB temp_file_limit); the check turns sorting off for its read. That made
  // the one sort left (the first 200 rows) carry the planner's penalty, and every check compiled its plan with JIT,
  // ~1.8 s on a ledger of a few calls (review of caab6d8): the worker's login keeps JIT on, and llm_operator's jit = off
  // does not apply after SET ROLE. Its hashes hold the usage keys in settings.reconciliation_work_mem_mb (review of
  // 8ac41bf: nothing showed the setting was applied). auto_explain reads the trigger's plan and settings from inside.
  const c = new Client({ connectionString: db.adminUrl });
  await c.connect();
  const plans: string[] = [];
  c.on('notice', (n) => { if (/Query Text:/.test(n.message ?? '')) plans.push(n.message ?? ''); });
  try {
    // Without JIT on this server the no-JIT assertion below holds anyway; the others do not depend on it.
    const jit = (await c.query('select pg_jit_available() as a')).rows[0].a as boolean;
    await c.query(`load 'auto_explain'`);
    await c.query(`set jit = on; set work_mem = '4MB'; set auto_explain.log_min_duration = 0; set auto_explain.log_nested_statements = on;
                   set auto_explain.log_settings = on; set auto_explain.log_level = notice; set client_min_messages = notice`);
    await c.query('begin; update llm_private.settings set reconciliation_work_mem_mb = 80; set local role llm_operator');
    await c.query('select * from llm.check_reconciliation()');
    const after = (await c.query(`select current_setting('jit') || ' ' || current_setting('enable_sort') || ' ' || current_setting('work_mem') as s`)).rows[0].s;
    await c.query('rollback');
    expect(after).toBe('on on 4MB');
    const read = plans.filter((p) => /Query Text:[\s\S]*with d as materialized/.test(p));
    expect(read).toHaveLength(1);
    expect(read[0]).toMatch(/^Settings: .*enable_sort = 'off'/m);
    expect(read[0]).toMatch(/^Settings: .*work_mem = '80MB'/m);
    if (jit) expect(read[0]).toMatch(/^Settings: .*jit = 'off'/m);
    expect(read[0]).not.toMatch(/^JIT:/m);
    expect(read[0]).toMatch(/HashAggregate/);
    expect(read[0]).not.toMatch(/GroupAggregate/);
  } finally {
    await c.end();
  }
});

test('llm__release_dead_locks releases, as the worker\'s login, the LLM job a dead worker left locked past the longest job, and logs it', async () => {
  const admin = db.pool('admin', 1);
  // A request's job, as llm.enqueue_call adds it (a job of ours is one a request names: llm_private.job_is_ours).
  const { rows: [{ pk }] } = await admin.query(`select tests.enqueue(tests.tenant_a(), tests.user_a1(), 'dead-lock-1', 'explanation') as pk`);
  const { rows: [job] } = await admin.query(`select job_id as id, format('llm:%s:%s', tenant_id, id) as key from llm_private.requests where id = $1`, [pk]);
  const longest = 4 * 30_000 + 60_000 + 60_000;
  await admin.query(`update graphile_worker._private_jobs set locked_by = 'w-gone', locked_at = now() - make_interval(secs => $2::float8 / 1000 + 5)
                      where id = $1`, [job.id, longest]);
  // Its process beat until it died, 5 minutes ago (an id no heartbeat ever named is left to graphile-worker's 4 hours).
  await admin.query(`insert into llm_private.worker_heartbeats values ('pool-gone', '{pool-gone,w-gone,w-slow}', 'h', 1, now() - interval '1 hour',
                      now() - interval '5 minutes')`);
  // Not while this process's heartbeats are not steady for a minute (after a database outage every live worker's is stale).
  await taskFor({ ...deps, callTimeoutMs: 30_000, retryAfterMaxMs: 60_000, heartbeatSteadyFor: () => false } as WorkerDeps,
    'llm__release_dead_locks')({}, {} as never);
  expect((await admin.query(`select locked_by from graphile_worker._private_jobs where id = $1`, [job.id])).rows).toEqual([{ locked_by: 'w-gone' }]);
  const task = taskFor({ ...deps, callTimeoutMs: 30_000, retryAfterMaxMs: 60_000, heartbeatSteadyFor: () => true } as WorkerDeps,
    'llm__release_dead_locks');
  await task({}, {} as never);
  expect((await admin.query(`select locked_by from graphile_worker._private_jobs where id = $1`, [job.id])).rows).toEqual([{ locked_by: null }]);
  expect(lines).toContainEqual(expect.objectContaining({ event: 'dead_worker_locks_released', locked_by: ['w-gone'], jobs: 1, level: 'warn' }));
  // A lock younger than the longest job (4 x the call timeout + the Retry-After bound + a minute) stays.
  await admin.query(`update graphile_worker._private_jobs set locked_by = 'w-slow', locked_at = now() - make_interval(secs => $2::float8 / 1000 - 30)
                      where id = $1`, [job.id, longest]);
  await task({}, {} as never);
  expect((await admin.query(`select locked_by from graphile_worker._private_jobs where id = $1`, [job.id])).rows).toEqual([{ locked_by: 'w-slow' }]);
  await admin.query(`update graphile_worker._private_jobs set locked_by = null, locked_at = null where id = $1`, [job.id]);
  await admin.query(`select graphile_worker.remove_job($1)`, [job.key]);
});
