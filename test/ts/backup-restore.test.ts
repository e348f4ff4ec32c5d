/**
 * A backup restores onto another cluster and runs (README "Backups and restore"): `pg_dump -Fc` of a database while a
 * call is in flight and a job waits, restored on a cluster that has never seen our roles, by the runbook's steps (the
 * roles, an empty database, `pg_restore`, `npm run migrate`). The restored ledger is the dump's, with no drift; the waiting
 * job runs there; the call in flight at the dump is charged in full at its expiry and its job, locked by a worker of the
 * old cluster, runs once released; claims made before the dump still answer as the same request. A restore that drops what
 * the rules stand on (`--clean` over a database, `--no-acl`, `--no-owner`) is refused by migrate, naming what it lost.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Client, Pool } from 'pg';
import { parseConfig } from '../../src/config';
import { signContext, withApp } from '../../src/db/context';
import { enqueueCall } from '../../src/db/enqueue';
import { urlForRole } from '../../src/db/urls';
import { createLogger } from '../../src/logger';
import { localProviderConfig } from '../../src/provider/local-config';
import { checkSchemaVersion, startWorker, type StartedWorker } from '../../src/worker/run';
import { createPrivateCluster, PG_BINDIR, type PrivateCluster } from '../support/private-cluster';
import { CONTEXT_SECRET, createHarness, type Harness, payload, TENANT_A, USER_A1 } from '../support/worker-harness';

jest.setTimeout(180_000);

let h: Harness;
let cluster: PrivateCluster | null = null;
let dumpDir: string;
/** The dump the first test takes, which the second restores again. */
let dumpFile = '';
const pools: Pool[] = [];
const workers: StartedWorker[] = [];

beforeAll(async () => {
  h = await createHarness();
  dumpDir = mkdtempSync(join(tmpdir(), 'llmgov-dump-'));
});
afterAll(async () => {
  for (const w of workers) await w.stop().catch(() => {});
  await Promise.all(pools.map((p) => p.end().catch(() => {})));
  await h.close();
  cluster?.destroy();
  rmSync(dumpDir, { recursive: true, force: true });
});

/** The ledger as a DBA compares it: every call of every request, in a fixed order. */
const LEDGER_SQL = `select request_id, attempt_no, state, decision, held_micros::text, charged_micros::text, provider_status
                      from llm.calls order by request_id, attempt_no`;
const REQUESTS_SQL = `select request_id, state from llm_private.requests order by request_id`;

const restore = (db: string, ...opts: string[]) => execFileSync(join(PG_BINDIR, 'pg_restore'),
  ['--exit-on-error', ...opts, '-d', cluster!.url(db), dumpFile], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

async function createDb(db: string): Promise<void> {
  const k = new Client({ connectionString: cluster!.url('postgres') });
  await k.connect();
  try {
    await k.query(`create database ${db}`);
  } finally {
    await k.end();
  }
}

/** `npm run migrate [args]` on a database: its stdout lines (it throws on a non-zero exit). */
function migrateCli(databaseUrl: string, args: string[] = []): string[] {
  const cli = join(__dirname, '..', '..', 'src', 'cli', 'migrate.ts');
  return execFileSync(process.execPath, ['--import', 'tsx', cli, ...args], {
    env: { ...process.env, DATABASE_URL: databaseUrl, LLM_CONTEXT_SECRET: CONTEXT_SECRET }, encoding: 'utf8', timeout: 60_000,
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim().split('\n');
}

async function until<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('a dump taken while a call is in flight restores on a new cluster: same ledger, no drift, its jobs run there', async () => {
  // The source: three calls done, then a worker of one slot busy with a call that hangs, and a job waiting behind it.
  const first = await h.startWorker({ callTimeoutMs: 30_000, worker: { concurrency: 1, pollIntervalMs: 50 } });
  for (const id of ['dr-done-1', 'dr-done-2', 'dr-done-3']) await h.enqueue(payload(id));
  await h.waitForJobs();
  h.mock.addFaults('dr-inflight', [{ kind: 'hang' }]);
  await h.enqueue(payload('dr-inflight'));
  await until('the hanging call to hold its money', async () => (await h.calls('dr-inflight')).find((c) => c.state === 'held'));
  await h.enqueue(payload('dr-queued'));

  const ledgerBefore = (await h.admin.query(LEDGER_SQL)).rows;
  dumpFile = join(dumpDir, 'llm.dump');
  // As the administrator (graphile-worker's schema is llm_worker's, the ledger llm_owner's: only a superuser reads both).
  execFileSync(join(PG_BINDIR, 'pg_dump'), ['-Fc', '-f', dumpFile, '-d', h.db.adminUrl], { stdio: ['ignore', 'pipe', 'pipe'] });
  expect((await h.admin.query(LEDGER_SQL)).rows).toEqual(ledgerBefore); // nothing moved while it ran: the dump holds this ledger
  expect(ledgerBefore.filter((c) => c.request_id === 'dr-inflight')).toEqual([
    expect.objectContaining({ attempt_no: 1, state: 'held', provider_status: null })]);
  await first.stop(); // the old cluster's worker is gone; whatever it does now is not in the dump

  cluster = await createPrivateCluster('restore');
  const c = cluster;
  // Without our roles the restore stops at the first object owned by one of them: the runbook creates them first.
  await createDb('llm_noroles');
  expect(() => restore('llm_noroles')).toThrow(/role "llm_\w+" does not exist/);

  // The runbook: the roles, an empty database, pg_restore, then npm run migrate before anything else connects.
  const adminUrl = c.url('llm_restored');
  expect(migrateCli(adminUrl, ['--roles-only'])).toEqual(
    ['migrate: --roles-only: the roles of sql/bootstrap/roles.sql are created or re-asserted; no database was touched']);
  await createDb('llm_restored');
  restore('llm_restored');
  const admin = new Pool({ connectionString: adminUrl, max: 3 });
  pools.push(admin);
  const temporary = async () => (await admin.query(
    `select has_database_privilege('llm_app', current_database(), 'TEMPORARY') as t`)).rows[0].t;
  // pg_restore without --create leaves the database's own grants at PostgreSQL's defaults (PUBLIC may create temporary
  // tables, which the runtime roles must not); the migrate's database step puts ours back.
  expect(await temporary()).toBe(true);
  // The dump's schema is this release's: at head, nothing replayed (the database's grants and the partitions ahead are redone).
  expect(migrateCli(adminUrl).at(-1)).toBe('migrate: llm_restored is at head (nothing to do)');
  expect(await temporary()).toBe(false);

  // The same ledger, and the usage rows agree with it.
  expect((await admin.query(LEDGER_SQL)).rows).toEqual(ledgerBefore);
  const operator = new Pool({ connectionString: urlForRole(adminUrl, 'llm_operator'), max: 1 });
  pools.push(operator);
  const check = async () => (await operator.query('select drift_rows::int as n from llm.check_reconciliation()')).rows[0].n;
  expect(await check()).toBe(0);
  const locked = (await admin.query(
    `select locked_by from graphile_worker.jobs where key like 'llm:%' and locked_by is not null`)).rows.map((r) => r.locked_by as string);
  expect(locked).toHaveLength(1); // the in-flight call's job, locked by a worker of the old cluster

  // A worker on the restored cluster runs the job that was waiting.
  const logger = createLogger({ level: 'warn', destination: new Writable({ write: (_c, _e, cb) => cb() }) });
  const config = parseConfig({ databaseUrl: adminUrl, providers: [localProviderConfig(h.mock.baseUrl)], callTimeoutMs: 2000,
    worker: { concurrency: 2, pollIntervalMs: 50 } });
  workers.push(await startWorker(config, logger, h.env));
  const requestState = async (id: string) =>
    (await admin.query(`select state from llm_private.requests where request_id = $1`, [id])).rows[0]?.state as string | undefined;
  await until('the waiting job to run on the restored cluster', async () => (await requestState('dr-queued')) === 'done');
  const inflight = async () => (await admin.query(
    `select attempt_no, state, held_micros::text, charged_micros::text from llm.calls where request_id = 'dr-inflight' order by attempt_no`)).rows;
  // Its job is still locked by the old cluster's worker: nothing here touched the call in flight at the dump.
  expect((await inflight()).map((r) => [r.attempt_no, r.state])).toEqual([[1, 'held']]);

  // The call in flight at the dump: its outcome is unknown here, so its hold is charged in full once it expires (the clock
  // moved past its expiry; the worker's cron sweeps every minute, called here at once). Then its job, released from the old
  // worker's lock (README), runs again: a new attempt, allowed and settled.
  await admin.query(`select tests.freeze_clock(llm_private.now() + interval '1 hour')`);
  await operator.query('select llm.expire_holds()');
  const [expired] = await inflight();
  expect(expired).toMatchObject({ attempt_no: 1, state: 'expired' });
  expect(expired.charged_micros).toBe(expired.held_micros);
  const worker = new Pool({ connectionString: urlForRole(adminUrl, 'llm_worker'), max: 1 });
  pools.push(worker);
  await worker.query('select graphile_worker.force_unlock_workers($1::text[])', [locked]);
  await until('the released job to run', async () => (await requestState('dr-inflight')) === 'done');
  expect((await inflight()).map((r) => [r.attempt_no, r.state])).toEqual([[1, 'expired'], [2, 'settled']]);
  // Sent twice: once by the old cluster's worker (its outcome never recorded here), once by the retry.
  expect(h.mock.count((r) => JSON.stringify(r.body).includes('dr-inflight'))).toBe(2);

  // Claims made before the dump answer as the same request; a new one gets a new request.
  const app = new Pool({ connectionString: urlForRole(adminUrl, 'llm_app'), max: 2 });
  pools.push(app);
  const ctx = { secret: CONTEXT_SECRET, tenantId: TENANT_A, userId: USER_A1 };
  const before = (await admin.query(`select id from llm_private.requests where request_id = 'dr-done-1'`)).rows[0].id as string;
  expect(await enqueueCall(app, ctx, payload('dr-done-1'))).toMatchObject({ created: false, request_pk: BigInt(before), state: 'done' });
  const fresh = await enqueueCall(app, ctx, payload('dr-after-restore'));
  expect(fresh.created).toBe(true);
  expect(fresh.request_pk > BigInt(before)).toBe(true);
  await until('the new request to be done', async () => (await requestState('dr-after-restore')) === 'done');
  const mine = await withApp(app, signContext(CONTEXT_SECRET, TENANT_A, USER_A1), async (k) =>
    (await k.query(`select request_id, state from llm.request_results where request_id like 'dr-%' order by request_id`)).rows);
  expect(mine).toEqual(['dr-after-restore', 'dr-done-1', 'dr-done-2', 'dr-done-3', 'dr-inflight', 'dr-queued']
    .map((request_id) => ({ request_id, state: 'done' })));
  expect((await admin.query(REQUESTS_SQL)).rows.every((r) => r.state === 'done')).toBe(true);
  expect(h.mock.count((r) => JSON.stringify(r.body).includes('dr-done-1'))).toBe(1); // its claim was answered, not sent again
  expect(await check()).toBe(0);
});

test('a staging copy refreshed with pg_restore --clean is left without its triggers and policies: migrate and the worker refuse it', async () => {
  expect(dumpFile).not.toBe(''); // the first test's dump, on its cluster
  await createDb('llm_staging');
  restore('llm_staging');
  const stagingUrl = cluster!.url('llm_staging');
  expect(migrateCli(stagingUrl).at(-1)).toBe('migrate: llm_staging is at head (nothing to do)');
  // PostgreSQL cannot drop a partition's inherited primary key: the clean stops there, after the triggers and policies went.
  expect(() => restore('llm_staging', '--clean', '--if-exists')).toThrow(/cannot drop inherited constraint/);
  const admin = new Pool({ connectionString: stagingUrl, max: 1 });
  pools.push(admin);
  expect((await admin.query(`select count(*)::int as n from pg_policy p join pg_class c on c.oid = p.polrelid
                               where c.relnamespace = 'llm_private'::regnamespace`)).rows[0].n).toBe(0);
  let stderr = '';
  try {
    migrateCli(stagingUrl);
  } catch (e) {
    stderr = String((e as { stderr?: string }).stderr);
  }
  expect(stderr).toMatch(/the database lost \d+ object\(s\) or setting\(s\) the money and access rules stand on/);
  expect(stderr).toMatch(/\((constraint|policy|trigger) llm_private\./); // the first of what it lost, named
  const worker = new Pool({ connectionString: urlForRole(stagingUrl, 'llm_worker'), max: 1 });
  pools.push(worker);
  // The worker cannot even read the schema's version (no policy lets it): it refuses to start, and sends the operator to
  // migrate, which says what was lost (above).
  await expect(checkSchemaVersion(worker)).rejects.toThrow(/no API generation recorded, this code's \d+\): run this release's `npm run migrate` first/);
});

test('a restore with --no-acl or --no-owner: migrate refuses it, naming what it lost, and changes nothing (review 89)', async () => {
  expect(dumpFile).not.toBe(''); // the first test's dump, on its cluster
  // --no-acl restores every table, function and schema without its grants: every runtime role fails with 42501. Before the
  // catalog recorded the grants, migrate found such a database "at head (nothing to do)" while the worker, unable to read the
  // schema's version, sent the operator back to migrate.
  for (const [db, opt, fact] of [['llm_noacl', '--no-acl', /\(grant (function )?llm\.\S+ /],
    ['llm_noowner', '--no-owner', /\(owner llm\.\S+ llm_owner; /]] as const) {
    await createDb(db);
    restore(db, opt);
    const url = cluster!.url(db);
    let stderr = '';
    try {
      migrateCli(url);
    } catch (e) {
      stderr = String((e as { stderr?: string }).stderr);
    }
    expect(stderr).toMatch(/the database lost \d+ object\(s\) or setting\(s\) the money and access rules stand on/);
    expect(stderr).toMatch(fact);
    expect(stderr).toContain(`a restore with --no-owner or --no-acl`);
    const admin = new Pool({ connectionString: url, max: 1 });
    pools.push(admin);
    // Nothing changed: the database's own grants are still PostgreSQL's defaults, which migrate's database step would set.
    expect((await admin.query(`select has_database_privilege('llm_app', current_database(), 'TEMPORARY') as t`)).rows[0].t).toBe(true);
    if (opt === '--no-acl') {
      // The worker cannot read the schema's version: it says why, and sends the operator to migrate, which names the loss.
      const worker = new Pool({ connectionString: urlForRole(url, 'llm_worker'), max: 1 });
      pools.push(worker);
      await expect(checkSchemaVersion(worker)).rejects.toThrow(/may not read llm_private\.schema_state \(permission denied\): the database lost its grants/);
    }
  }
});
