/**
 * End to end: a job added by SQL becomes a governed LLM call through graphile-worker, the openai
 * SDK and our local provider, recorded to the micro-dollar.
 */
import { createHarness, FAKE_KEY, Harness, payload, USER_A2 } from '../support/worker-harness';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
  await h.startWorker();
});
afterAll(async () => h.close());

async function ledger(requestId: string) {
  const { rows } = await h.admin.query(
    `select r.state, r.cost_micros::text as cost, r.provider_status, r.attempt, r.late, r.held_micros::text as held,
            r.model, r.usage_estimated
       from llm_private.reservations r where r.request_id = $1 order by r.id`, [requestId]);
  return rows;
}

async function drift() {
  return (await h.admin.query('select * from llm.reconciliation_drift')).rows;
}

test.each(['route', 'explanation', 'investigation', 'budget_optimization'])('%s: SQL enqueue -> worker -> provider -> ledger', async (endpoint) => {
  const id = `e2e-${endpoint}`;
  const before = h.mock.count((r) => JSON.stringify(r.body).includes(id));
  await h.enqueue(payload(id, { endpoint }));
  await h.waitForJobs();
  const rows = await ledger(id);
  expect(rows).toHaveLength(1);
  expect(rows[0]).toMatchObject({ state: 'settled', provider_status: 'ok', attempt: 1, late: false, usage_estimated: false });
  expect(BigInt(rows[0].cost)).toBeGreaterThan(0n);
  expect(BigInt(rows[0].cost)).toBeLessThanOrEqual(BigInt(rows[0].held));
  expect(h.mock.count((r) => JSON.stringify(r.body).includes(id)) - before).toBe(1);
  expect(h.mock.requests.at(-1)!.authorization).toBe(`Bearer ${FAKE_KEY}`);
  const req = await h.admin.query(`select state from llm_private.requests where request_id = $1`, [id]);
  expect(req.rows[0].state).toBe('done');
});

test('a duplicate enqueue is one job, one provider call, one charge', async () => {
  const id = 'e2e-dup';
  await h.enqueue(payload(id));
  await h.enqueue(payload(id));
  await h.waitForJobs();
  await h.enqueue(payload(id)); // after completion: a new job that replays the settled request
  await h.waitForJobs();
  expect(h.mock.count((r) => JSON.stringify(r.body).includes(id))).toBe(1);
  const rows = await ledger(id);
  expect(rows).toHaveLength(1);
  const d = await h.admin.query(`select decision, reason from llm_private.decisions where request_id = $1 order by id`, [id]);
  expect(d.rows.at(-1)).toEqual({ decision: 'replay', reason: 'already_settled' });
});

test('a provider timeout settles the attempt as failed, releases its hold, and the retry re-reserves', async () => {
  const id = 'e2e-timeout';
  h.mock.addFaults(id, [{ kind: 'hang' }]);
  await h.enqueue(payload(id));
  await h.waitForJobs(30000); // graphile-worker's first retry comes after ~2.7 s
  const rows = await ledger(id);
  expect(rows.map((r) => [r.state, r.provider_status, r.cost, r.attempt])).toEqual([
    ['settled', 'timeout', '0', 1],
    ['settled', 'ok', rows[1].cost, 2],
  ]);
  expect(h.mock.count((r) => JSON.stringify(r.body).includes(id))).toBe(2);
  expect(await drift()).toEqual([]);
}, 60000);

test('429 then success: exactly one charge', async () => {
  const id = 'e2e-429';
  h.mock.addFaults(id, [{ kind: 'status', status: 429 }]);
  await h.enqueue(payload(id));
  await h.waitForJobs(30000);
  const rows = await ledger(id);
  expect(rows.map((r) => r.provider_status)).toEqual(['rate_limited', 'ok']);
  expect(rows[0].cost).toBe('0');
  const { rows: spent } = await h.admin.query(`select spent_micros::text as s from llm_private.requests where request_id = $1`, [id]);
  expect(spent[0].s).toBe(rows[1].cost);
}, 60000);

test('a non-retryable provider error (400) fails the job at once, charging nothing', async () => {
  const id = 'e2e-400';
  h.mock.addFaults(id, [{ kind: 'status', status: 400 }]);
  await h.enqueue(payload(id));
  await h.waitForJobs();
  const { rows: jobs } = await h.admin.query(`select attempts, max_attempts, last_error from graphile_worker.jobs where key like '%' || md5($1)`, [id]);
  expect(jobs).toHaveLength(1);
  expect(jobs[0].attempts).toBe(1);
  expect(jobs[0].max_attempts).toBe(1);
  expect(jobs[0].last_error).toMatch(/provider client \(400\)/);
  expect((await ledger(id)).map((r) => [r.provider_status, r.cost])).toEqual([['client_error', '0']]);
});

test('a malformed payload fails permanently with a clear error and charges nothing', async () => {
  await h.admin.query(`set role llm_worker; select graphile_worker.add_job('route', '{"tenant_id": "nope", "request_id": "e2e-bad"}'::json, max_attempts => 3, job_key => 'e2e-bad'); reset role`);
  await h.waitForJobs();
  const { rows } = await h.admin.query(`select attempts, max_attempts, last_error from graphile_worker.jobs where key = 'e2e-bad'`);
  expect(rows).toHaveLength(1);
  expect(rows[0]).toMatchObject({ attempts: 1, max_attempts: 1 });
  expect(rows[0].last_error).toMatch(/malformed payload/);
  expect(await ledger('e2e-bad')).toEqual([]);
});

test('a refused reservation ends the job successfully, with the refusal recorded and no provider call', async () => {
  await h.admin.query(`select llm.set_user_caps($1, $2, 10)`, ['a0000000-0000-0000-0000-00000000000a', USER_A2]);
  const id = 'e2e-refused';
  await h.enqueue(payload(id, { user_id: USER_A2 }));
  await h.waitForJobs();
  expect(h.mock.count((r) => JSON.stringify(r.body).includes(id))).toBe(0);
  const { rows } = await h.admin.query(`select decision, reason from llm_private.decisions where request_id = $1`, [id]);
  expect(rows).toEqual([{ decision: 'block', reason: 'user_monthly_cap' }]);
  const { rows: jobs } = await h.admin.query(`select count(*)::int as n from graphile_worker.jobs where key like '%' || md5($1)`, [id]);
  expect(jobs[0].n).toBe(0); // completed jobs are deleted: no retry storm
});

test('the provider key never appears in the logs', async () => {
  const all = h.logLines.join('');
  expect(all.length).toBeGreaterThan(0);
  expect(all).not.toContain(FAKE_KEY);
  expect(all).toContain('"event":"settle"');
});
