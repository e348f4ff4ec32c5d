/**
 * Observability: Prometheus metrics served by the worker, and structured logs that never carry the
 * provider key, the database password or message contents.
 */
import { promtool } from './ops-promtool';
import { createHarness, FAKE_DB_PASSWORD, FAKE_KEY, Harness, payload } from '../support/worker-harness';

let h: Harness;
let port: number;
beforeAll(async () => {
  h = await createHarness();
  const w = await h.startWorker({ metricsPort: 0 });
  port = w.metricsPort!;
  await h.enqueue(payload('obs-1', { messages: [{ role: 'user', content: 'My e-mail is jane@example.com, summarize my bill.' }] }));
  h.mock.addFaults('obs-2', [{ kind: 'status', status: 401 }]);
  await h.enqueue(payload('obs-2'));
  await h.enqueue(payload('obs-3', { source_watermark: 'w1' }));
  await h.waitForJobs();
  await h.enqueue(payload('obs-4', { source_watermark: 'w1', messages: [{ role: 'user', content: 'Explain request obs-3.' }] }));
  await h.waitForJobs();
});
afterAll(async () => h.close());

test('the worker serves Prometheus metrics with conventional names', async () => {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  expect(text).toMatch(/^llm_calls_total\{endpoint="explanation",model="local:mock-chat",decision="allow",reason="ok"\} [1-9]/m);
  expect(text).toMatch(/^llm_cost_micros_total\{endpoint="explanation",model="local:mock-chat"\} [1-9]\d*/m);
  expect(text).toMatch(/^llm_provider_latency_seconds_bucket\{le="0.05",model="local:mock-chat",outcome="ok"\} \d+/m);
  expect(text).toMatch(/^llm_provider_latency_seconds_count\{model="local:mock-chat",outcome="auth"\} 1$/m);
  expect(text).toMatch(/^llm_cache_hits_total\{endpoint="explanation"\} 1$/m);
  expect(text).toMatch(/^llm_open_holds 0$/m);
  expect(text).toMatch(/^llm_job_queue_depth \d+$/m);
  expect(text).toMatch(/^# TYPE llm_breaker_state gauge$/m);
});

test('a full scrape of the running worker passes promtool check metrics (default Node metrics included)', async () => {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  expect(text).toMatch(/^llm_worker_process_cpu_seconds_total /m);
  expect(promtool(['check', 'metrics'], text)).toEqual({ status: 0, output: '' });
});

test('the semantic cache is off (no pgvector here), said once at start; the exact cache still serves (obs-4 above)', () => {
  const said = h.logLines.join('').trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.event === 'semantic_cache');
  expect(said).toEqual([expect.objectContaining({ enabled: false, pgvector_available: expect.any(Boolean) })]);
});

test('logs are JSON lines with the call facts, and no key, password or message content', async () => {
  const lines = h.logLines.join('').trim().split('\n');
  const events = lines.map((l) => JSON.parse(l));
  const settle = events.find((e) => e.event === 'settle' && e.request_id === 'obs-1');
  expect(settle).toMatchObject({ tenant_id: expect.any(String), user_id: expect.any(String), endpoint: 'explanation',
    model: 'local:mock-chat', cost_micros: expect.stringMatching(/^\d+$/), latency_ms: expect.any(Number), attempt: 1,
    pii_flagged: true });
  const all = lines.join('\n');
  expect(all).not.toContain(FAKE_KEY);
  expect(all).not.toContain(FAKE_DB_PASSWORD);
  expect(all).not.toContain('jane@example.com');
  expect(all).not.toContain('summarize my bill');
});
