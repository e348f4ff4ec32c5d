/**
 * The worker's cron jobs: every maintenance task is in the crontab graphile-worker reads, and each
 * does its job as llm_operator on a real database: partitions are created ahead as months pass
 * (nothing lands in the DEFAULT partitions), sharded limits are evaluated, holds expire.
 */
import { parseCrontab } from 'graphile-worker';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/logger';
import type { WorkerDeps } from '../../src/worker/deps';
import { crontab, MAINTENANCE_TASKS, taskFor } from '../../src/worker/tasks';
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
  const scheduled = parseCrontab(crontab()).map((item) => item.task);
  expect([...scheduled].sort()).toEqual([...MAINTENANCE_TASKS].sort());
});

test('llm__maintain_partitions: as months pass, the months ahead are created before they start', async () => {
  const admin = db.pool('admin', 1);
  await admin.query(`select tests.freeze_clock('2027-02-10 00:00:00+00')`);
  expect(await months()).not.toContain('attempts_m202705');
  await run('llm__maintain_partitions');
  expect(await months()).toEqual(expect.arrayContaining(['attempts_m202702', 'attempts_m202703', 'attempts_m202704', 'attempts_m202705']));
  expect(lines).toContainEqual(expect.objectContaining({ event: 'maintain_partitions', created: expect.any(Number) }));
  // A request enqueued in the new month lands in its own partition, not the default one.
  await admin.query(`select tests.enqueue(tests.tenant_a(), tests.user_a1(), 'feb-1')`);
  const { rows } = await admin.query(`select tableoid::regclass::text as part from llm_private.requests where request_id = 'feb-1'`);
  expect(rows).toEqual([{ part: 'llm_private.requests_m202702' }]);
});

test('llm__evaluate_limits and llm__expire_holds run as llm_operator without error', async () => {
  await expect(run('llm__evaluate_limits')).resolves.toBeUndefined();
  await expect(run('llm__expire_holds')).resolves.toBeUndefined();
  await expect(run('llm__purge_expired')).resolves.toBeUndefined();
  expect(lines).toContainEqual(expect.objectContaining({ event: 'evaluate_limits', subjects: expect.any(Number) }));
});
