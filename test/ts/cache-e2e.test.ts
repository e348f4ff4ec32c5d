/**
 * The cache end to end: the second identical job is served from Postgres with no provider request;
 * caches are per user unless the tenant shares the endpoint; concurrent identical jobs make one
 * provider call; a watermark bump calls again. Outputs, the distillation decision and reasoning
 * traces land where they should.
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
const calls = async (like: string) => (await h.admin.query(
  `select request_id, state, cost_micros::text as cost, charged_micros::text as charged, distillation_reason, reason, reused_request_id
     from llm.calls c left join lateral (select reused_request_id from llm.request_results r where r.request_id = c.request_id) r on true
    where c.request_id like $1 order by c.request_pk, c.attempt_no`, [like])).rows;

test('the second identical job of a user is served from the cache, with no provider request', async () => {
  await h.enqueue(payload('cache-1', question()));
  await h.waitForJobs();
  expect(providerCalls()).toBe(1);
  await h.enqueue(payload('cache-2', question()));
  await h.waitForJobs();
  expect(providerCalls()).toBe(1);
  const rows = await calls('cache-%');
  expect(rows).toEqual([
    // opted-in tenant, valid JSON, a model whose terms allow training: eligible
    { request_id: 'cache-1', state: 'settled', cost: rows[0].cost, charged: rows[0].cost, distillation_reason: 'eligible', reason: 'ok', reused_request_id: null },
    { request_id: 'cache-2', state: 'cached', cost: null, charged: '0', distillation_reason: null, reason: 'cache_hit', reused_request_id: 'cache-1' },
  ]);
  expect(BigInt(rows[0].cost)).toBeGreaterThan(0n);
  // The application reads the answer of either request the same way.
  const r = await h.result('cache-2');
  expect(r).toMatchObject({ state: 'done', cached: true, cache_reason: 'cache_hit', spent_micros: '0' });
  expect(JSON.parse(r!.output)).toMatchObject({ answer: expect.any(String) });
});

test('another user of the tenant has their own cache, until the tenant shares the endpoint', async () => {
  await h.enqueue(payload('cache-u2', question({ user_id: USER_A2 })));
  await h.waitForJobs();
  expect(providerCalls()).toBe(2);
  await h.admin.query(`select llm.set_endpoint_cache($1, 'explanation', true)`, [TENANT_A]);
  await h.enqueue(payload('cache-s1', question({ source_watermark: 'invoice-2026-03@shared' })));
  await h.waitForJobs();
  await h.enqueue(payload('cache-s2', question({ user_id: USER_A2, source_watermark: 'invoice-2026-03@shared' })));
  await h.waitForJobs();
  expect(providerCalls()).toBe(3);
  expect(await h.result('cache-s2', TENANT_A, USER_A2)).toMatchObject({ state: 'done', cached: true });
});

test('concurrent identical jobs make one provider call; the others are served from it', async () => {
  h.mock.setDefaultLatency(400); // long enough for all of them to arrive while the first is in flight
  const before = providerCalls();
  const q = question({ source_watermark: 'invoice-2026-03@rev8' });
  await Promise.all(['par-1', 'par-2', 'par-3', 'par-4', 'par-5'].map((id) => h.enqueue(payload(id, q))));
  await h.waitForJobs(30000);
  h.mock.setDefaultLatency(0);
  expect(providerCalls() - before).toBe(1);
  const rows = await calls('par-%');
  expect({ hits: rows.filter((r) => r.state === 'cached').length, calls: rows.filter((r) => r.state === 'settled').length })
    .toEqual({ hits: 4, calls: 1 });
});

test('a watermark bump is a miss: the provider is called again', async () => {
  const before = providerCalls();
  await h.enqueue(payload('cache-3', question({ source_watermark: 'invoice-2026-03@rev9' })));
  await h.waitForJobs();
  expect(providerCalls() - before).toBe(1);
});

test('a reasoning model: the trace is stored apart from the final output, never cached, and the entry holds the output only', async () => {
  await h.enqueue(payload('reason-1', { model: 'local:mock-reasoner', messages: [{ role: 'user', content: 'Think about churn.' }],
    source_watermark: 'churn@1' }));
  await h.waitForJobs();
  const { rows } = await h.admin.query(
    `select o.output, t.trace, c.output as cached_output
       from llm_private.requests q
       join llm_private.call_outputs o on o.tenant_id = q.tenant_id and o.request_pk = q.id
       left join llm_private.reasoning_traces t on t.tenant_id = o.tenant_id and t.request_pk = o.request_pk and t.attempt_no = o.attempt_no
       left join llm_private.cache_entries c on c.tenant_id = q.tenant_id and c.source_request_pk = q.id
      where q.request_id = 'reason-1'`);
  expect(rows).toHaveLength(1);
  expect(rows[0].trace).toBeTruthy();
  expect(rows[0].output).not.toContain(rows[0].trace);
  expect(rows[0].cached_output).toBe(rows[0].output);
  expect(await h.admin.query('select * from llm.reconciliation_drift').then((r) => r.rows)).toEqual([]);
});
