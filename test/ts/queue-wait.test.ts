/**
 * waitForLlmJobs (the demo's and the tests' drain): a job whose last attempt is running counts. graphile-worker counts an
 * attempt when it locks the job, so such a job has attempts = max_attempts; the wait returned while it still hung at the
 * provider (finance review 86), and the demo's follow-ups and summary read a ledger it had not finished.
 */
import type { Pool } from 'pg';
import { waitForLlmJobs } from '../../src/worker/queue';
import { createTestDb, type TestDb } from '../support/db';

let db: TestDb;
let admin: Pool;
beforeAll(async () => {
  db = await createTestDb();
  admin = db.pool('admin', 1);
});
afterAll(async () => {
  await db?.drop();
});

test('a job on its last attempt counts while it is locked, and no longer once it has failed for good', async () => {
  const { rows: [job] } = await admin.query(`select id from graphile_worker.add_job('route', '{}'::json, max_attempts => 1)`);
  // What graphile-worker's get_job does when a worker takes it: one more attempt, and the lock.
  await admin.query(`update graphile_worker._private_jobs set attempts = 1, locked_at = now(), locked_by = 'w1' where id = $1`, [job.id]);
  await expect(waitForLlmJobs(admin, 300, 20)).rejects.toThrow(/LLM jobs still pending after 300 ms: .*"attempts":1,"max_attempts":1/);
  // Its attempt failed (graphile-worker's fail_job: unlocked, attempts exhausted): permanently failed, not pending.
  await admin.query(`update graphile_worker._private_jobs set locked_at = null, locked_by = null where id = $1`, [job.id]);
  await expect(waitForLlmJobs(admin, 300, 20)).resolves.toBeUndefined();
});
