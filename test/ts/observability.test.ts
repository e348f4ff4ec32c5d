/**
 * Observability end to end (SPEC.md v2): spans around enqueue, reserve, the provider call and
 * settle (in-memory exporter registered as the global provider, as OTLP would be), the trace id in
 * the ledger row (llm.calls.trace_id) and in every log line of the job; Prometheus metrics; logs
 * that never carry the provider key, the database password or message contents.
 */
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { promtool } from './ops-promtool';
import { createHarness, FAKE_DB_PASSWORD, FAKE_KEY, Harness, payload } from '../support/worker-harness';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
let h: Harness;
let port: number;

beforeAll(async () => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(provider);
  h = await createHarness();
  const w = await h.startWorker({ metricsPort: 0 });
  port = w.metricsPort!;
  await h.enqueue(payload('obs-1', { messages: [{ role: 'user', content: 'My e-mail is jane@example.com, summarize my bill.' }] }));
  h.mock.addFaults('obs-2', [{ kind: 'status', status: 401 }]);
  await h.enqueue(payload('obs-2'));
  await h.waitForJobs();
});
afterAll(async () => {
  await h.close();
  await provider.shutdown();
  trace.disable();
  context.disable();
});

const events = () => h.logLines.join('').trim().split('\n').map((l) => JSON.parse(l));

test('spans: enqueue, then one trace per job with reserve, the provider call and settle, GenAI attributes', () => {
  const spans = exporter.getFinishedSpans();
  const enqueue = spans.find((s) => s.name === 'llm.enqueue' && s.attributes['llm.request_id'] === 'obs-1')!;
  expect(enqueue.attributes).toMatchObject({ 'llm.endpoint': 'explanation', 'gen_ai.request.model': 'local:mock-chat', 'llm.created': true });
  const job = spans.find((s) => s.name === 'llm.job explanation' && s.attributes['llm.request_pk'] === enqueue.attributes['llm.request_pk'])!;
  const inTrace = spans.filter((s) => s.spanContext().traceId === job.spanContext().traceId).map((s) => s.name).sort();
  expect(inTrace).toEqual(['chat mock-chat', 'llm.job explanation', 'llm.request_for_call', 'llm.reserve', 'llm.settle']);
  const chat = spans.find((s) => s.name === 'chat mock-chat' && s.spanContext().traceId === job.spanContext().traceId)!;
  expect(chat.attributes).toMatchObject({ 'gen_ai.system': 'local', 'gen_ai.request.model': 'mock-chat', 'gen_ai.response.model': 'mock-chat',
    'gen_ai.usage.input_tokens': expect.any(Number), 'gen_ai.usage.output_tokens': expect.any(Number) });
});

test('the trace id lands in the ledger row and in every log line of the job', async () => {
  const [call] = await h.calls('obs-1');
  const job = exporter.getFinishedSpans().find((s) => s.name === 'llm.job explanation' && s.spanContext().traceId === call.trace_id);
  expect(job).toBeDefined();
  const lines = events().filter((e) => e.request_id === 'obs-1' || (e.job_id && e.trace_id === call.trace_id));
  expect(lines.length).toBeGreaterThanOrEqual(2);
  for (const l of lines) expect(l.trace_id).toBe(call.trace_id);
});

test('the worker serves Prometheus metrics with conventional names', async () => {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  expect(text).toMatch(/^llm_calls_total\{endpoint="explanation",model="local:mock-chat",decision="allow",reason="ok"\} [1-9]/m);
  expect(text).toMatch(/^llm_cost_micros_total\{endpoint="explanation",model="local:mock-chat"\} [1-9]\d*/m);
  expect(text).toMatch(/^llm_provider_latency_seconds_count\{model="local:mock-chat",outcome="auth"\} 1$/m);
});

test('a full scrape of the running worker passes promtool check metrics (default Node metrics included)', async () => {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  expect(text).toMatch(/^llm_worker_process_cpu_seconds_total /m);
  expect(promtool(['check', 'metrics'], text)).toEqual({ status: 0, output: '' });
});

test('logs are JSON lines with the call facts, and no key, password or message content', () => {
  const settle = events().find((e) => e.event === 'settle' && e.request_id === 'obs-1');
  expect(settle).toMatchObject({ tenant_id: expect.any(String), user_id: expect.any(String), endpoint: 'explanation',
    model: 'local:mock-chat', cost_micros: expect.stringMatching(/^\d+$/), latency_ms: expect.any(Number), attempt: 1, pii_flagged: true });
  const all = h.logLines.join('');
  expect(all).not.toContain(FAKE_KEY);
  expect(all).not.toContain(FAKE_DB_PASSWORD);
  expect(all).not.toContain('jane@example.com');
  expect(all).not.toContain('summarize my bill');
});
