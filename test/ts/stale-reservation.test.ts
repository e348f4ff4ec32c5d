/**
 * A worker whose database went back to an earlier state while its call was in flight (a restore, a point-in-time recovery,
 * a failover that lost commits) must not settle that call onto whatever attempt now has its ids (backup drill 89: the new
 * request got the lost call's tokens, cost and answer, and its own call was never counted). The database refuses the settle
 * (LG008: not the reservation the worker names), and the worker logs the call's usage for finance, changing nothing.
 * Simulated by changing the attempt's reservation (its expires_at) behind the worker's back while the call is in flight.
 */
import { Client } from 'pg';
import { createHarness, type Harness, payload } from '../support/worker-harness';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h?.close();
});

const until = async (what: string, fn: () => Promise<boolean>, ms = 20000) => {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

test('a settle onto an attempt that is another reservation is refused (LG008); the worker logs the usage and changes nothing', async () => {
  await h.startWorker();
  await h.enqueue(payload('stale-1', { messages: [{ role: 'user', content: 'A question the database will forget [[fault:latency=1500]]' }] }));
  await until('the call to be held', async () => (await h.calls('stale-1')).some((c) => c.state === 'held'));
  const c = new Client({ connectionString: h.db.adminUrl });
  await c.connect();
  try {
    // What a restore leaves: attempt 1 of this pk is another reservation (another request's, reserved at another time).
    await c.query(`set session_replication_role = replica`);
    await c.query(`update llm_private.attempts set expires_at = expires_at + interval '42 seconds'
                    where request_pk = (select id from llm_private.requests where request_id = 'stale-1')`);
  } finally {
    await c.end();
  }
  await until('the stale_reservation line', async () => h.logLines.some((l) => l.includes('"event":"stale_reservation"')), 30000);
  const line = JSON.parse(h.logLines.find((l) => l.includes('"event":"stale_reservation"'))!);
  expect(line).toMatchObject({ level: 'error', stage: 'sent', attempt_no: 1, status: 'ok', sqlstate: 'LG008' });
  expect(line.input_tokens).toBeGreaterThan(0);
  expect(line.output_tokens).toBeGreaterThan(0);
  await h.waitForJobs(20000);
  // Nothing recorded on the attempt that is not this call's, and its request is not ended by this worker.
  const calls = await h.calls('stale-1');
  expect(calls.map((x) => [x.state, x.input_tokens, x.cost_micros])).toEqual([['held', null, null]]);
  expect((await h.result('stale-1'))?.state).toBe('running');
  expect(h.logLines.filter((l) => l.includes('"event":"settle_lost"'))).toEqual([]);
}, 60000);
