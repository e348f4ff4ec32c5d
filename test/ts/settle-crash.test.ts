/**
 * A settle within its hold commits without waiting for its WAL flush (settings.settle_commit =
 * deferred, sql/api/090-settle.sql). This test makes the server lose exactly such a commit, and
 * checks that money is still not under-counted: the attempt is held again after recovery, and the
 * expiry charges the hold in full, more than the lost settle. An overrun and a settle under
 * settle_commit = durable, made before it, survive the same crash.
 *
 * How the commit is lost, deterministically: a PostgreSQL 15 cluster of its own (initdb in a temp
 * directory), whose WAL writer, checkpointer and background writer are stopped (SIGSTOP) before the
 * deferred settle, so that its commit record stays in shared memory; then every process of the
 * cluster is killed (SIGKILL) and the cluster restarted, which replays only the WAL on disk.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { migrateAll } from '../../src/db/migrate';
import { TEST_CONTEXT_SECRET } from '../support/admin';
import { createPrivateCluster, type PrivateCluster } from '../support/private-cluster';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function rows<T>(c: Client, sql: string, params: unknown[] = []): Promise<T[]> {
  return (await c.query(sql, params)).rows as T[];
}

interface Call { state: string; held_micros: string; charged_micros: string; overrun_micros: string }
const CALL_SQL = `select state, held_micros::text, charged_micros::text, overrun_micros::text from llm.calls where request_id = $1`;

jest.setTimeout(180_000);

test('a deferred settle lost in a crash leaves its hold, charged in full by the expiry; an overrun and a durable settle survive', async () => {
  let cluster: PrivateCluster | null = null;
  let c: Client | null = null;
  try {
    cluster = await createPrivateCluster('crash', ['wal_writer_delay=10000', 'bgwriter_lru_maxpages=0', 'autovacuum=off',
      'checkpoint_timeout=86400', 'max_wal_size=4GB']);
    const { data, dir } = cluster;
    const url = cluster.url('llmgov_crash');
    await migrateAll(url, { includeCurrent: true, contextSecret: TEST_CONTEXT_SECRET });
    c = new Client({ connectionString: url });
    c.on('error', () => {}); // the crash below ends this connection
    await c.connect();
    await c.query(readFileSync(join(__dirname, '..', 'support', 'fixtures.sql'), 'utf8'));
    await c.query('select tests.seed()');

    // Made durably, before the deferred settle: every synchronous commit flushes all WAL before it.
    await c.query(`select llm.set_setting('settle_commit', 'durable')`);
    await c.query(`select tests.call(tests.tenant_a(), tests.user_a1(), 'durable-1')`);
    await c.query(`select tests.settle(tests.request_pk('durable-1'), 1, 'ok', 1000, 0, 100)`);
    await c.query(`select llm.set_setting('settle_commit', 'deferred')`);
    await c.query(`select tests.call(tests.tenant_a(), tests.user_a2(), 'overrun-1')`);
    await c.query(`select tests.settle(tests.request_pk('overrun-1'), 1, 'ok', 3000, 0, 2000)`);

    // Nothing may write the WAL out from here: the processes that would are stopped.
    const aux = await rows<{ pid: number; backend_type: string }>(c,
      `select pid, backend_type from pg_stat_activity where backend_type in ('walwriter', 'checkpointer', 'background writer')`);
    expect(aux.map((a) => a.backend_type).sort()).toEqual(['background writer', 'checkpointer', 'walwriter']);
    for (const a of aux) process.kill(a.pid, 'SIGSTOP');
    await c.query(`select tests.call(tests.tenant_b(), tests.user_b1(), 'deferred-1')`); // the reserve: synchronous, flushed by the backend
    await c.query(`select tests.settle(tests.request_pk('deferred-1'), 1, 'ok', 1000, 0, 100)`);
    expect((await rows<Call>(c, CALL_SQL, ['deferred-1']))[0]).toMatchObject({ state: 'settled', held_micros: '40000', charged_micros: '13000' });

    // The crash: every process of the cluster killed at once; shared memory (and the WAL not yet written) is gone.
    const pids = [Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]),
      ...(await rows<{ pid: number }>(c, 'select pid from pg_stat_activity')).map((r) => r.pid)];
    for (const pid of pids) process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 100 && pids.some(alive); i++) await new Promise((r) => setTimeout(r, 50));
    expect(pids.filter(alive)).toEqual([]);
    await c.end().catch(() => {});
    c = null;

    cluster.start(); // crash recovery replays the WAL on disk
    expect(readFileSync(join(dir, 'log'), 'utf8')).toMatch(/database system was not properly shut down; automatic recovery in progress/);
    c = new Client({ connectionString: url });
    await c.connect();
    expect((await rows<Call>(c, CALL_SQL, ['durable-1']))[0]).toMatchObject({ state: 'settled', charged_micros: '13000' });
    expect((await rows<Call>(c, CALL_SQL, ['overrun-1']))[0]).toMatchObject({ state: 'settled', charged_micros: '90000', overrun_micros: '50000' });
    // The deferred settle is gone: the attempt is held again, its 40 000 still counted against every limit.
    expect((await rows<Call>(c, CALL_SQL, ['deferred-1']))[0]).toMatchObject({ state: 'held', held_micros: '40000', charged_micros: '0' });

    // After its expiry the sweep charges the hold in full: 40 000, not the 13 000 the lost settle charged.
    await c.query(`select tests.freeze_clock('2026-03-15 10:45:00+00')`);
    expect((await rows<{ n: number }>(c, 'select llm.expire_holds() as n'))[0]!.n).toBe(1);
    expect((await rows<Call>(c, CALL_SQL, ['deferred-1']))[0]).toMatchObject({ state: 'expired', charged_micros: '40000' });
    expect((await rows<{ n: string }>(c, 'select tests.drift_rows()::text as n'))[0]!.n).toBe('0');
  } finally {
    await c?.end().catch(() => {});
    cluster?.destroy();
  }
});
