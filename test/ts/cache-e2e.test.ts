/**
 * The cache end to end: the second identical job is served from Postgres with no provider request;
 * concurrent identical jobs make one provider call; a watermark bump calls again. Outputs, the
 * distillation decision and reasoning traces land where they should.
 */
import { createHarness, Harness, payload, TENANT_A, USER_A2 } from '../support/worker-harness';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
  await h.admin.query('select llm.set_tenant_data_use($1, true, false)', [TENANT_A]);
  await h.startWorker({ worker: { concurrency: 6, pollIntervalMs: 50 } });
});
afterAll(async () => h.close());

const question = (over: Record<string, unknown> = {}) => ({
  messages: [{ role: 'user', content: 'Why did the March invoice grow? Answer in JSON.' }], response_format: 'json',
  source_watermark: 'invoice-2026-03@rev7', ...over,
});
const providerCalls = () => h.mock.count((r) => JSON.stringify(r.body).includes('March invoice'));

test('the second identical job is served from the cache, with no provider request', async () => {
  await h.enqueue(payload('cache-1', question()));
  await h.waitForJobs();
  expect(providerCalls()).toBe(1);
  await h.enqueue(payload('cache-2', question({ user_id: USER_A2 })));
  await h.waitForJobs();
  expect(providerCalls()).toBe(1);
  const { rows } = await h.admin.query(
    `select request_id, cached, cost_micros::text as cost, distillation_reason from llm_private.reservations
      where request_id in ('cache-1', 'cache-2') order by id`);
  expect(rows).toEqual([
    { request_id: 'cache-1', cached: false, cost: rows[0].cost, distillation_reason: 'eligible' }, // opted-in tenant, valid JSON, model allows training
    { request_id: 'cache-2', cached: true, cost: '0', distillation_reason: 'from_cache' },
  ]);
  expect(BigInt(rows[0].cost)).toBeGreaterThan(0n);
  // The application reads the answer of either request the same way.
  const c = await h.app.connect();
  try {
    await c.query('begin');
    await c.query(`select set_config('app.current_tenant_id', $1, true), set_config('app.current_user_id', $2, true)`, [TENANT_A, USER_A2]);
    const r = await c.query(`select state, cached, output from llm.request_results where request_id = 'cache-2'`);
    expect(r.rows[0].state).toBe('done');
    expect(r.rows[0].cached).toBe(true);
    expect(JSON.parse(r.rows[0].output)).toMatchObject({ answer: expect.any(String) });
    await c.query('commit');
  } finally {
    c.release();
  }
});

test('concurrent identical jobs make one provider call; the others are served from it', async () => {
  h.mock.setDefaultLatency(400); // long enough for all of them to arrive while the first is in flight
  const before = providerCalls();
  const q = question({ source_watermark: 'invoice-2026-03@rev8' });
  await Promise.all(['par-1', 'par-2', 'par-3', 'par-4', 'par-5'].map((id) => h.enqueue(payload(id, q))));
  await h.waitForJobs(30000);
  h.mock.setDefaultLatency(0);
  expect(providerCalls() - before).toBe(1);
  const { rows } = await h.admin.query(
    `select count(*) filter (where cached)::int as hits, count(*) filter (where not cached)::int as calls,
            count(distinct request_id)::int as requests
       from llm_private.reservations where request_id like 'par-%' and state = 'settled'`);
  expect(rows[0]).toEqual({ hits: 4, calls: 1, requests: 5 });
  const { rows: waits } = await h.admin.query(`select count(*)::int as n from llm_private.decisions where request_id like 'par-%' and decision = 'wait'`);
  expect(waits[0].n).toBeGreaterThan(0); // they did wait for the fill rather than call
});

test('a watermark bump is a miss: the provider is called again', async () => {
  const before = providerCalls();
  await h.enqueue(payload('cache-3', question({ source_watermark: 'invoice-2026-03@rev9' })));
  await h.waitForJobs();
  expect(providerCalls() - before).toBe(1);
});

test('a reasoning model: the trace is stored apart from the final output, and never cached', async () => {
  await h.enqueue(payload('reason-1', { model: 'local:mock-reasoner', messages: [{ role: 'user', content: 'Think about churn.' }],
    source_watermark: 'churn@1' }));
  await h.waitForJobs();
  const { rows } = await h.admin.query(
    `select o.output, t.trace, c.output as cached_output
       from llm_private.reservations r
       join llm_private.call_outputs o on o.reservation_id = r.id
       left join llm_private.reasoning_traces t on t.reservation_id = r.id
       left join llm_private.cache_entries c on c.source_reservation_id = r.id
      where r.request_id = 'reason-1'`);
  expect(rows).toHaveLength(1);
  expect(rows[0].trace).toBeTruthy();
  expect(rows[0].output).not.toContain(rows[0].trace);
  expect(rows[0].cached_output).toBe(rows[0].output);
  expect(await h.admin.query('select * from llm.reconciliation_drift').then((r) => r.rows)).toEqual([]);
});
