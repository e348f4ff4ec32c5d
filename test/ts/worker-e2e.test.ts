/**
 * End to end (SPEC.md v2): a request enqueued by the application (llm.enqueue_call, signed context)
 * becomes a governed LLM call through graphile-worker, the openai SDK and our local provider; every
 * ending is recorded in our tables (llm.request_results, llm.calls) and the job itself completes.
 */
import { createHarness, FAKE_KEY, Harness, payload, USER_A2 } from '../support/worker-harness';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
  await h.startWorker();
});
afterAll(async () => h.close());

const sent = (id: string) => h.mock.count((r) => JSON.stringify(r.body).includes(id));
const jobsOf = async (pk: bigint) => (await h.admin.query(
  `select attempts, max_attempts, last_error from graphile_worker.jobs where key like 'llm:%:' || $1`, [pk.toString()])).rows;

test.each(['route', 'explanation', 'investigation', 'budget_optimization'])('%s: enqueue -> worker -> provider -> ledger', async (endpoint) => {
  const id = `e2e-${endpoint}`;
  const e = await h.enqueue(payload(id, { endpoint }));
  expect(e).toMatchObject({ created: true });
  await h.waitForJobs();
  const calls = await h.calls(id);
  expect(calls).toHaveLength(1);
  expect(calls[0]).toMatchObject({ decision: 'allow', provider_status: 'ok', attempt_no: 1, late: false, usage_unknown: false });
  expect(BigInt(calls[0].cost_micros)).toBeGreaterThan(0n);
  expect(BigInt(calls[0].cost_micros)).toBeLessThanOrEqual(BigInt(calls[0].held_micros));
  expect(sent(id)).toBe(1);
  expect(h.mock.requests.at(-1)!.authorization).toBe(`Bearer ${FAKE_KEY}`);
  expect(await h.result(id)).toMatchObject({ state: 'done', spent_micros: calls[0].cost_micros });
  expect(await jobsOf(e.request_pk)).toEqual([]); // completed: graphile-worker deleted it
});

test('a duplicate enqueue is the same request: one job, one provider call, one charge', async () => {
  const id = 'e2e-dup';
  const a = await h.enqueue(payload(id));
  const b = await h.enqueue(payload(id));
  expect(b).toMatchObject({ request_pk: a.request_pk, created: false });
  await h.waitForJobs();
  expect(await h.enqueue(payload(id))).toMatchObject({ request_pk: a.request_pk, created: false, state: 'done' });
  await h.waitForJobs();
  expect(sent(id)).toBe(1);
  expect(await h.calls(id)).toHaveLength(1);
});

test('the same request id with other content is refused at enqueue (LG409), the first untouched', async () => {
  await h.enqueue(payload('e2e-conflict'));
  await expect(h.enqueue(payload('e2e-conflict', { messages: [{ role: 'user', content: 'something else' }] }))).rejects.toMatchObject({ code: 'LG409' });
  await h.waitForJobs();
  expect(await h.result('e2e-conflict')).toMatchObject({ state: 'done' });
});

test('a provider timeout: the unknown outcome is charged the full hold, the retry re-reserves and succeeds', async () => {
  const id = 'e2e-timeout';
  h.mock.addFaults(id, [{ kind: 'hang' }]);
  await h.enqueue(payload(id));
  await h.waitForJobs(30000); // graphile-worker's first retry comes after ~2.7 s
  const calls = await h.calls(id);
  expect(calls.map((c) => [c.attempt_no, c.provider_status, c.usage_unknown])).toEqual([[1, 'timeout', true], [2, 'ok', false]]);
  expect(calls[0].cost_micros).toBe(calls[0].held_micros);
  expect(sent(id)).toBe(2);
  const r = await h.result(id);
  expect(r).toMatchObject({ state: 'done' });
  expect(BigInt(r!.spent_micros)).toBe(BigInt(calls[0].cost_micros) + BigInt(calls[1].cost_micros));
  expect((await h.admin.query('select * from llm.reconciliation_drift')).rows).toEqual([]);
}, 60000);

test('a duplicate enqueue while the first attempt runs, which then fails: no second job; the request is retried and ends done', async () => {
  const id = 'e2e-dup-running';
  h.mock.addFaults(id, [{ kind: 'hang' }]);
  const a = await h.enqueue(payload(id));
  const end = Date.now() + 20000;
  while (sent(id) === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  expect(sent(id)).toBe(1); // the first attempt is at the provider now
  const b = await h.enqueue(payload(id));
  expect(b).toMatchObject({ request_pk: a.request_pk, created: false, state: 'running' });
  expect(await jobsOf(a.request_pk)).toHaveLength(1); // the same job, not a second one
  await h.waitForJobs(30000); // the hang times out, graphile-worker retries after ~2.7 s
  const calls = await h.calls(id);
  expect(calls.map((c) => [c.attempt_no, c.provider_status])).toEqual([[1, 'timeout'], [2, 'ok']]);
  expect(await h.result(id)).toMatchObject({ state: 'done' });
  expect(sent(id)).toBe(2);
}, 60000);

test('429 then success: the error answer costs nothing, one charge', async () => {
  const id = 'e2e-429';
  h.mock.addFaults(id, [{ kind: 'status', status: 429 }]);
  await h.enqueue(payload(id));
  await h.waitForJobs(30000);
  const calls = await h.calls(id);
  expect(calls.map((c) => [c.provider_status, c.cost_micros])).toEqual([['rate_limited', '0'], ['ok', calls[1].cost_micros]]);
  expect((await h.result(id))!.spent_micros).toBe(calls[1].cost_micros);
}, 60000);

test('another model answered (a gateway routed the call): its tokens are charged at its dearer price, named in llm.calls', async () => {
  // (review of the provider boundary, 2026-11-26) Asked for mock-chat, the answer says mock-reasoner (a dated snapshot):
  // the provider billed mock-reasoner's price, twice mock-chat's. It was priced as mock-chat, later charged only its hold.
  const id = 'e2e-answered-as';
  h.mock.addFaults(id, [{ kind: 'answered_as', model: 'mock-reasoner-2025-01-31' }]);
  await h.enqueue(payload(id));
  await h.waitForJobs();
  const calls = await h.calls(id);
  expect(calls).toHaveLength(1);
  const c = calls[0];
  expect(c).toMatchObject({ provider_status: 'ok', usage_unknown: false, answered_model: 'mock-reasoner-2025-01-31',
    distillation_eligible: false, distillation_reason: 'other_model_answered' });
  const priced = (input: bigint, cached: bigint, output: bigint, [i, ci, o]: bigint[]) =>
    (input * i! + cached * ci! + output * o! + 999_999n) / 1_000_000n;
  const tokens = [BigInt(c.input_tokens), BigInt(c.cached_input_tokens), BigInt(c.output_tokens)] as const;
  expect(BigInt(c.cost_micros)).toBe(priced(...tokens, [5_000_000n, 2_500_000n, 20_000_000n]));
  expect(BigInt(c.cost_micros)).toBeGreaterThan(priced(...tokens, [2_500_000n, 1_250_000n, 10_000_000n]));
  expect(await h.result(id)).toMatchObject({ state: 'done', spent_micros: c.cost_micros });
  expect((await h.admin.query('select * from llm.reconciliation_drift')).rows).toEqual([]);
});

test("a gateway's 504 then success: the upstream call's outcome is unknown, charged the full hold; the retry re-reserves", async () => {
  // (review of the provider boundary, 2026-11-26) A 504 was settled like a 500: provider_status error, cost_micros 0.
  const id = 'e2e-504';
  h.mock.addFaults(id, [{ kind: 'status', status: 504 }]);
  await h.enqueue(payload(id));
  await h.waitForJobs(30000);
  const calls = await h.calls(id);
  expect(calls.map((c) => [c.attempt_no, c.provider_status, c.usage_unknown])).toEqual([[1, 'error', true], [2, 'ok', false]]);
  expect(calls[0].cost_micros).toBe(calls[0].held_micros);
  expect(BigInt(calls[0].cost_micros)).toBeGreaterThan(0n);
  const r = await h.result(id);
  expect(r).toMatchObject({ state: 'done' });
  expect(BigInt(r!.spent_micros)).toBe(BigInt(calls[0].cost_micros) + BigInt(calls[1].cost_micros));
}, 60000);

test("a 429's Retry-After puts the next attempt off at least that long (graphile-worker's backoff comes after it)", async () => {
  // (review of the provider boundary, 2026-11-26) A 429 asking for 30 s was retried at +3 s and +10.7 s, and the request failed attempts_exhausted in 11 s.
  const id = 'e2e-retry-after';
  h.mock.addFaults(id, [{ kind: 'status', status: 429, headers: { 'retry-after': '5' } }]);
  await h.enqueue(payload(id));
  for (const until = Date.now() + 45000; Date.now() < until; await new Promise((r) => setTimeout(r, 250))) {
    if (['failed', 'done'].includes((await h.result(id))?.state)) break;
  }
  const calls = await h.calls(id);
  expect(calls.map((c) => [c.attempt_no, c.provider_status, c.cost_micros])).toEqual([[1, 'rate_limited', '0'], [2, 'ok', calls[1].cost_micros]]);
  const gap = new Date(calls[1].reserved_at).getTime() - new Date(calls[0].settled_at).getTime();
  expect(gap).toBeGreaterThanOrEqual(5000);
  const at = h.mock.requests.filter((r) => JSON.stringify(r.body).includes(id)).map((r) => r.at);
  expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(5000);
  expect(await h.result(id)).toMatchObject({ state: 'done' });
}, 60000);

test('a 400 from the provider ends the request (provider_client_error) at once; the job completes, no retry', async () => {
  const id = 'e2e-400';
  h.mock.addFaults(id, [{ kind: 'status', status: 400 }]);
  const e = await h.enqueue(payload(id));
  await h.waitForJobs();
  expect(await h.result(id)).toMatchObject({ state: 'failed', reason: 'provider_client_error', spent_micros: '0' });
  expect(sent(id)).toBe(1);
  expect(await jobsOf(e.request_pk)).toEqual([]);
});

test('an o-series model gets max_completion_tokens and succeeds', async () => {
  await h.enqueue(payload('e2e-o4', { model: 'local:o4-mini' }));
  await h.waitForJobs();
  expect(await h.result('e2e-o4')).toMatchObject({ state: 'done' });
  const req = h.mock.requests.find((r) => JSON.stringify(r.body).includes('e2e-o4'))!;
  expect(req.body).toMatchObject({ model: 'o4-mini', max_completion_tokens: 64 });
});

test('a model priced in the database whose provider this worker lacks: released, provider_not_configured, nothing sent', async () => {
  await h.db.pool('llm_operator', 1).query(`select llm.define_model('elsewhere', 'big-model', 4096, false, 1000000, 500000, 2000000)`);
  await h.enqueue(payload('e2e-npc', { model: 'elsewhere:big-model' }));
  await h.waitForJobs();
  expect(await h.result('e2e-npc')).toMatchObject({ state: 'failed', reason: 'provider_not_configured', spent_micros: '0' });
  expect(sent('e2e-npc')).toBe(0);
  expect((await h.calls('e2e-npc'))[0]).toMatchObject({ decision: 'allow', state: 'released', held_micros: expect.any(String), charged_micros: '0' });
});

test('a retryable failure on every attempt: the last attempt records attempts_exhausted and the job completes', async () => {
  const id = 'e2e-exhausted';
  const e = await h.enqueue(payload(id, { messages: [{ role: 'user', content: `${id} [[fault:status=503]]` }] }));
  const { rows } = await h.admin.query(`select max_attempts from graphile_worker.jobs where key like 'llm:%:' || $1`, [e.request_pk.toString()]);
  // The retries come after graphile-worker's backoff (2.7 s, 7.4 s): wait for the request to end, not for the queue to look idle.
  for (const until = Date.now() + 60000; Date.now() < until; await new Promise((r) => setTimeout(r, 250))) {
    if (['failed', 'done'].includes((await h.result(id))?.state)) break;
  }
  const calls = await h.calls(id);
  expect(calls).toHaveLength(rows[0].max_attempts);
  expect(await h.result(id)).toMatchObject({ state: 'failed', reason: 'attempts_exhausted', spent_micros: '0' });
  expect(await jobsOf(e.request_pk)).toEqual([]);
}, 90000);

test('a user reads only their own requests', async () => {
  await h.enqueue(payload('e2e-user2', { user_id: USER_A2 }));
  await h.waitForJobs();
  expect(await h.result('e2e-user2', undefined, USER_A2)).toMatchObject({ state: 'done' });
  expect(await h.result('e2e-user2')).toBeUndefined(); // user A1 does not see A2's request
});
