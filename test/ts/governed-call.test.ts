/**
 * The governed call's own logic, against a scripted ledger (the SQL API of SPEC.md as an interface)
 * and the real mock provider on loopback: what it sends to the provider, what it settles or
 * releases and with which final failure, when it returns and when it asks graphile-worker for a
 * retry, its LISTEN waits, its spans (in-memory exporter) and its log lines. The SQL behind the
 * ledger is tested elsewhere (pgTAP, worker-e2e).
 */
import { Writable } from 'node:stream';
import { trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { JobHelpers } from 'graphile-worker';
import type { RequestContext } from '../../src/db/context';
import type { CallRequest, Decision, EmbeddingPlan, Ledger, ReserveArgs, SettleArgs } from '../../src/db/ledger';
import { createLogger } from '../../src/logger';
import { estimateInputTokens } from '../../src/provider';
import { localProviderConfig, LOCAL_KEY_ENV } from '../../src/provider/local-config';
import { startMockProvider, type MockProvider } from '../../src/provider/mock-server';
import { ProviderConfigSchema } from '../../src/provider/models';
import { CacheFillListener } from '../../src/worker/cache-fill-listener';
import { Catalog } from '../../src/worker/catalog';
import { configureProviders, NO_METRICS, type CallMetrics, type WorkerDeps } from '../../src/worker/deps';
import { governedCall, RetryLater } from '../../src/worker/governed-call';

const TENANT = 'a0000000-0000-0000-0000-00000000000a';
const USER = 'a1000000-0000-0000-0000-000000000001';
const KEY = 'sk-test-governed-call-77';

let mock: MockProvider;
const exporter = new InMemorySpanExporter();
const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

beforeAll(async () => {
  mock = await startMockProvider({ port: 0 });
});
afterEach(() => {
  mock.reset();
  exporter.reset();
});
afterAll(async () => {
  await mock.stop();
  await tracerProvider.shutdown();
});

function request(over: Partial<CallRequest> = {}): CallRequest {
  return { request_pk: 42n, request_id: 'req-1', endpoint: 'explanation', state: 'queued', model_ref: 'local:mock-chat',
    messages: [{ role: 'user', content: 'Explain the March bill.' }], max_output_tokens: 64, response_format: null,
    source_watermark: null, budget_scope: null, correlation_id: 'corr-1', tokenizer: null, ...over };
}

function decision(over: Partial<Decision> = {}): Decision {
  return { decision: 'allow', reason: 'ok', attempt_no: 1, provider: 'local', model: 'mock-chat', max_output_tokens: 64, held_micros: 1000n,
    worst_case_micros: 1000n, limit_id: null, limit_name: null, limit_scope: null, limit_window: null, limit_cap: null, limit_used: null,
    expires_at: new Date(), cached_output: null,
    retry_after_ms: null, cache_key: null, ...over };
}

const sqlError = (code: string, detail = 'the detail', hint = 'the hint') =>
  Object.assign(new Error(`sql error ${code}`), { code, severity: 'ERROR', detail, hint });

/** A scripted ledger that records every call. */
class FakeLedger implements Ledger {
  calls: Array<[string, unknown]> = [];
  decisions: Array<Decision | Error> = [decision()];
  req: CallRequest | null | Error = request();
  settleError: Error | null = null;
  reserveArgs: ReserveArgs[] = [];
  settles: SettleArgs[] = [];

  async requestForCall() {
    this.calls.push(['requestForCall', null]);
    if (this.req instanceof Error) throw this.req;
    return this.req;
  }
  /** llm.embedding_for_call's answer: null (no semantic cache) unless a test sets a plan. */
  embeddingPlan: EmbeddingPlan | null = null;
  async embeddingForCall() {
    this.calls.push(['embeddingForCall', null]);
    return this.embeddingPlan;
  }
  async reserve(_ctx: RequestContext, a: ReserveArgs) {
    this.calls.push(['reserve', a]);
    this.reserveArgs.push(a);
    const d = this.decisions.length > 1 ? this.decisions.shift()! : this.decisions[0]!;
    if (d instanceof Error) throw d;
    return d;
  }
  async settle(_ctx: RequestContext, a: SettleArgs) {
    this.calls.push(['settle', a]);
    this.settles.push(a);
    if (this.settleError) throw this.settleError;
    return { state: 'settled', cost_micros: a.usage ? 123n : 1000n, held_micros: 1000n, released_micros: 877n, overrun_micros: 0n,
      usage_unknown: a.usage === null, late: false, replayed: false, request_state: a.finalFailure ? 'failed' : a.status === 'ok' ? 'done' : 'running' };
  }
  async release(_ctx: RequestContext, pk: bigint, attemptNo: number, reason: string, finalFailure?: string | null) {
    this.calls.push(['release', { pk, attemptNo, reason, finalFailure }]);
    return { state: 'released', released_micros: 1000n, request_state: 'failed' };
  }
  async failRequest(_ctx: RequestContext, pk: bigint, reason: string) {
    this.calls.push(['failRequest', { pk, reason }]);
    return 'failed';
  }
  names() {
    return this.calls.map(([n]) => n);
  }
}

interface Run {
  ledger: FakeLedger;
  lines: Array<Record<string, any>>;
  spans: ReadableSpan[];
  metrics: string[];
  error: unknown;
}

function helpers(attempts = 1, maxAttempts = 3, signal = new AbortController().signal): JobHelpers {
  return { job: { id: '77', attempts, max_attempts: maxAttempts, task_identifier: 'explanation' }, abortSignal: signal } as unknown as JobHelpers;
}

async function runCall(setup: (l: FakeLedger, d: Partial<WorkerDeps>) => void = () => {}, h: JobHelpers = helpers(),
  payload: unknown = { tenant_id: TENANT, user_id: USER, request_pk: '42' }): Promise<Run> {
  const ledger = new FakeLedger();
  const lines: Array<Record<string, any>> = [];
  const sink = new Writable({ write(chunk, _e, cb) { for (const l of String(chunk).trim().split('\n')) lines.push(JSON.parse(l)); cb(); } });
  const metrics: string[] = [];
  const m: CallMetrics = { ...NO_METRICS, decision: (...a) => void metrics.push(`decision ${a.join(' ')}`),
    cacheHit: (...a) => void metrics.push(`cache ${a.join(' ')}`) };
  const deps: WorkerDeps = { pool: null as never, ledger, providers: configureProviders([ProviderConfigSchema.parse(localProviderConfig(mock.baseUrl))],
    { [LOCAL_KEY_ENV]: KEY }), callTimeoutMs: 2000, retryAfterMaxMs: 60_000, logger: createLogger({ level: 'debug', destination: sink }), metrics: m,
    tracer: tracerProvider.getTracer('test'), listener: null, catalog: null };
  setup(ledger, deps);
  let error: unknown = null;
  try {
    await governedCall(deps, 'explanation', payload, h);
  } catch (e) {
    error = e;
  }
  return { ledger, lines, spans: exporter.getFinishedSpans(), metrics, error };
}

const jobLines = (r: Run) => r.lines.filter((l) => l.job_id === '77');

describe('allow: one provider call, one settle, one trace', () => {
  test('the reserved model and cap go to the provider; usage goes to settle; the trace id goes to SQL and to every log line', async () => {
    const r = await runCall((l) => void (l.decisions = [decision({ max_output_tokens: 40 })]));
    expect(r.error).toBeNull();
    expect(r.ledger.names()).toEqual(['requestForCall', 'reserve', 'settle']);
    expect(mock.requests).toHaveLength(1);
    expect(mock.requests[0]!.body).toMatchObject({ model: 'mock-chat', max_tokens: 40 });
    const s = r.ledger.settles[0]!;
    expect(s).toMatchObject({ requestPk: 42n, attemptNo: 1, status: 'ok', finalFailure: null, outputValid: true, piiFlagged: false });
    expect(s.usage).toEqual({ inputTokens: expect.any(Number), cachedInputTokens: 0, outputTokens: expect.any(Number) });

    const root = r.spans.find((x) => x.name === 'llm.job explanation')!;
    const traceId = root.spanContext().traceId;
    expect(r.ledger.reserveArgs[0]!.traceId).toBe(traceId);
    expect(r.spans.map((x) => x.name).sort()).toEqual(['chat mock-chat', 'llm.job explanation', 'llm.request_for_call', 'llm.reserve', 'llm.settle']);
    for (const x of r.spans) expect(x.spanContext().traceId).toBe(traceId);
    for (const x of r.spans.filter((y) => y !== root)) expect(x.parentSpanContext?.spanId).toBe(root.spanContext().spanId);
    const chat = r.spans.find((x) => x.name === 'chat mock-chat')!;
    expect(chat.attributes).toMatchObject({ 'gen_ai.system': 'local', 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'mock-chat',
      'gen_ai.response.model': 'mock-chat', 'gen_ai.request.max_tokens': 40,
      'gen_ai.usage.input_tokens': s.usage!.inputTokens, 'gen_ai.usage.output_tokens': s.usage!.outputTokens });
    expect(r.spans.find((x) => x.name === 'llm.reserve')!.attributes).toMatchObject({ 'llm.decision': 'allow', 'llm.reason': 'ok', 'llm.attempt_no': 1 });
    expect(r.spans.find((x) => x.name === 'llm.settle')!.attributes).toMatchObject({ 'llm.status': 'ok', 'llm.cost_micros': '123' });

    expect(jobLines(r).length).toBeGreaterThanOrEqual(3);
    for (const l of jobLines(r)) expect(l.trace_id).toBe(traceId);
    expect(jobLines(r).find((l) => l.event === 'settle')).toMatchObject({ tenant_id: TENANT, user_id: USER, request_id: 'req-1',
      request_pk: '42', correlation_id: 'corr-1', cost_micros: '123', attempt: 1 });
    expect(r.metrics).toEqual(['decision explanation local:mock-chat allow ok']);
  });

  test('without a tracer provider (no OTLP endpoint) nothing fake reaches SQL or the logs', async () => {
    const r = await runCall((_l, d) => void (d.tracer = trace.getTracer('no-op')));
    expect(r.ledger.reserveArgs[0]!.traceId).toBeNull();
    for (const l of jobLines(r)) expect(l.trace_id).toBeUndefined();
  });

  test('the estimate is the largest over the requested model and its fallback chain', async () => {
    const messages = [{ role: 'user' as const, content: 'An estimate for a chain: gpt-4o-mini first, then mock-chat.' }];
    const r = await runCall((l, d) => {
      l.req = request({ model_ref: 'local:gpt-4o-mini', messages });
      const catalog = new Catalog(null as never, d.logger!);
      catalog.set([{ provider: 'local', model: 'gpt-4o-mini', model_ref: 'local:gpt-4o-mini', kind: 'chat', max_output_tokens: 4096,
        token_parameter: 'max_tokens', training_allowed: false, input_per_mtok_micros: 1n, cached_input_per_mtok_micros: 1n,
        output_per_mtok_micros: 1n, price_effective_from: null, fallbacks: ['local:mock-chat'] }]);
      d.catalog = catalog;
    });
    expect(r.ledger.reserveArgs[0]!.inputTokens).toBe(estimateInputTokens(messages, 'bytes'));
    expect(estimateInputTokens(messages, 'bytes')).toBeGreaterThan(estimateInputTokens(messages, 'o200k'));
  });
});

describe('the semantic cache: an embedding call governed like any call before the chat reserve (docs/semantic-cache.md)', () => {
  const PLAN = { embedding_model: 'local:mock-embed', provider: 'local', model: 'mock-embed', semantic_threshold: 0.9 };
  const embedReserve = (over: Partial<Decision> = {}) =>
    decision({ attempt_no: 1, model: 'mock-embed', max_output_tokens: 0, held_micros: 5n, worst_case_micros: 5n, ...over });

  test('the embedding call is reserved (purpose embedding), made and settled; the chat reserve and settle carry its vector', async () => {
    const r = await runCall((l) => {
      l.embeddingPlan = PLAN;
      l.req = request({ source_watermark: 'w1' });
      l.decisions = [embedReserve(), decision({ attempt_no: 2 })];
    });
    expect(r.error).toBeNull();
    expect(r.ledger.names()).toEqual(['requestForCall', 'embeddingForCall', 'reserve', 'settle', 'reserve', 'settle']);
    expect(mock.requests.map((x) => x.path)).toEqual(['/v1/embeddings', '/v1/chat/completions']);
    expect(mock.requests[0]!.body).toMatchObject({ model: 'mock-embed', input: 'Explain the March bill.' });
    const [embed, chat] = r.ledger.reserveArgs;
    expect(embed).toMatchObject({ purpose: 'embedding', jobAttempt: 1 });
    expect(embed!.inputTokens).toBeGreaterThan(0);
    expect(r.ledger.settles[0]).toMatchObject({ attemptNo: 1, status: 'ok', usage: { cachedInputTokens: 0, outputTokens: 0 } });
    expect(r.ledger.settles[0]!.embedding ?? null).toBeNull();
    expect(r.ledger.settles[0]!.finalFailure ?? null).toBeNull();
    // The vector the provider returned goes to the chat reserve (the lookup) and to its settle (the entry).
    expect(chat!.purpose ?? 'chat').toBe('chat');
    expect(chat!.embedding).toHaveLength(256);
    expect(Math.hypot(...chat!.embedding!)).toBeCloseTo(1, 5);
    expect(r.ledger.settles[1]).toMatchObject({ attemptNo: 2, status: 'ok', embedding: chat!.embedding });
  });

  test('a semantic hit: the chat reserve answers cached / semantic_hit and nothing else is called', async () => {
    const r = await runCall((l) => {
      l.embeddingPlan = PLAN;
      l.req = request({ source_watermark: 'w1' });
      l.decisions = [embedReserve(), decision({ decision: 'cached', reason: 'semantic_hit', attempt_no: 2, cached_output: 'It was higher.' })];
    });
    expect(r.error).toBeNull();
    expect(r.ledger.names()).toEqual(['requestForCall', 'embeddingForCall', 'reserve', 'settle', 'reserve']);
    expect(mock.requests.map((x) => x.path)).toEqual(['/v1/embeddings']);
    expect(r.metrics).toContain('cache explanation semantic');
  });

  test('no plan (no watermark, no threshold, an exact entry) or a multi-turn conversation: no embedding call at all', async () => {
    const none = await runCall((l) => void (l.req = request({ source_watermark: 'w1' })));
    expect(none.ledger.names()).toEqual(['requestForCall', 'embeddingForCall', 'reserve', 'settle']);
    // No watermark: no cache at all, not even the question to the database.
    const unwatermarked = await runCall((l) => void (l.embeddingPlan = PLAN));
    expect(unwatermarked.ledger.names()).toEqual(['requestForCall', 'reserve', 'settle']);
    const multi = await runCall((l) => {
      l.embeddingPlan = PLAN;
      l.req = request({ source_watermark: 'w1', messages: [{ role: 'user', content: 'a' }, { role: 'assistant', content: 'b' }, { role: 'user', content: 'c' }] });
    });
    expect(multi.ledger.names()).toEqual(['requestForCall', 'reserve', 'settle']);
    expect(multi.ledger.reserveArgs[0]!.embedding ?? null).toBeNull();
  });

  test('a refused embedding call: nothing is sent, the chat reserve runs without a vector', async () => {
    const r = await runCall((l) => {
      l.embeddingPlan = PLAN;
      l.req = request({ source_watermark: 'w1' });
      l.decisions = [embedReserve({ decision: 'block', reason: 'limit', attempt_no: 1, limit_name: 'user_hourly' }), decision({ attempt_no: 2 })];
    });
    expect(r.error).toBeNull();
    expect(r.ledger.names()).toEqual(['requestForCall', 'embeddingForCall', 'reserve', 'reserve', 'settle']);
    expect(mock.requests.map((x) => x.path)).toEqual(['/v1/chat/completions']);
    expect(r.ledger.reserveArgs[1]!.embedding ?? null).toBeNull();
  });

  test('a failed embedding call is settled with its status and never ends the request; the chat goes on without a vector', async () => {
    mock.addFaults('mock-embed', [{ kind: 'status', status: 500 }]);
    const r = await runCall((l) => {
      l.embeddingPlan = PLAN;
      l.req = request({ source_watermark: 'w1' });
      l.decisions = [embedReserve(), decision({ attempt_no: 2 })];
    });
    expect(r.error).toBeNull();
    expect(r.ledger.names()).toEqual(['requestForCall', 'embeddingForCall', 'reserve', 'settle', 'reserve', 'settle']);
    expect(r.ledger.settles[0]).toMatchObject({ attemptNo: 1, status: 'error', usage: { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 } });
    expect(r.ledger.settles[0]!.finalFailure ?? null).toBeNull();
    expect(r.ledger.reserveArgs[1]!.embedding ?? null).toBeNull();
    expect(r.ledger.settles[1]).toMatchObject({ attemptNo: 2, status: 'ok' });
  });

  test('an embedding answer without usage is settled with NULL tokens: the database charges the hold, usage_unknown', async () => {
    // (review of the provider boundary, 2026-11-26) It was settled with the client's byte-count bound as if reported: usage_unknown false.
    mock.addFaults('mock-embed', [{ kind: 'no_usage' }]);
    const r = await runCall((l) => {
      l.embeddingPlan = PLAN;
      l.req = request({ source_watermark: 'w1' });
      l.decisions = [embedReserve(), decision({ attempt_no: 2 })];
    });
    expect(r.error).toBeNull();
    expect(r.ledger.settles[0]).toMatchObject({ attemptNo: 1, status: 'ok', usage: null });
    expect(r.ledger.reserveArgs[1]!.embedding).toHaveLength(256); // the vector is good: the chat reserve still looks it up
    expect(jobLines(r).find((l) => l.event === 'settle' && l.purpose === 'embedding'))
      .toMatchObject({ usage_reported: false, usage_unknown: true, input_tokens: null });
  });

  test('an embedding model this worker does not configure: no reserve, no call', async () => {
    const r = await runCall((l) => {
      l.embeddingPlan = { ...PLAN, embedding_model: 'local:nope', model: 'nope' };
      l.req = request({ source_watermark: 'w1' });
    });
    expect(r.ledger.names()).toEqual(['requestForCall', 'embeddingForCall', 'reserve', 'settle']);
    expect(r.lines.some((x) => x.event === 'embedding_not_configured')).toBe(true);
  });
});

describe('decisions that call nothing', () => {
  test.each(['block', 'replay', 'cached'] as const)('%s: no provider call, no settle, the task returns', async (d) => {
    const r = await runCall((l) => void (l.decisions = [decision({ decision: d, reason: d === 'cached' ? 'cache_hit' : 'user_monthly_cap', attempt_no: null })]));
    expect(r.error).toBeNull();
    expect(r.ledger.names()).toEqual(['requestForCall', 'reserve']);
    expect(mock.count()).toBe(0);
    if (d === 'cached') expect(r.metrics).toContain('cache explanation exact');
  });

  test('a refusal is logged with the deciding limit: name, scope, window, cap and what was used', async () => {
    const r = await runCall((l) => void (l.decisions = [decision({ decision: 'block', reason: 'limit', attempt_no: null, limit_id: 7n,
      limit_name: 'user_monthly', limit_scope: 'user', limit_window: 'month', limit_cap: 25000000n, limit_used: 24999000n })]));
    expect(r.error).toBeNull();
    expect(jobLines(r).find((l) => l.event === 'reserve')).toMatchObject({ decision: 'block', reason: 'limit', limit_name: 'user_monthly',
      limit_scope: 'user', limit_window: 'month', limit_cap: '25000000', limit_used: '24999000' });
  });

  test('wait: woken by NOTIFY on the cache key (not by polling), then reserves again', async () => {
    const listener = new CacheFillListener('postgres://unused', createLogger({ level: 'silent' }));
    const started = Date.now();
    const r = await runCall((l, d) => {
      l.decisions = [decision({ decision: 'wait', reason: 'cache_fill_in_flight', attempt_no: null, retry_after_ms: 10_000, cache_key: 'k1' }),
        decision({ decision: 'cached', reason: 'cache_hit', attempt_no: null })];
      d.listener = listener;
      setTimeout(() => listener.filled('other-key'), 20);
      setTimeout(() => listener.filled('k1'), 60);
    });
    expect(r.error).toBeNull();
    expect(Date.now() - started).toBeLessThan(2000);
    expect(r.ledger.names()).toEqual(['requestForCall', 'reserve', 'reserve']);
    expect(r.lines.find((l) => l.event === 'cache_fill_wait')).toMatchObject({ outcome: 'filled' });
  });

  test('wait: a fill notified between the reserve and the wait is not missed; without NOTIFY the wait ends at retry_after_ms', async () => {
    const listener = new CacheFillListener('postgres://unused', createLogger({ level: 'silent' }));
    const notifying: Ledger['reserve'] = async () => {
      listener.filled('k2'); // the filler commits while our reserve returns
      return decision({ decision: 'wait', reason: 'cache_fill_in_flight', attempt_no: null, retry_after_ms: 10_000, cache_key: 'k2' });
    };
    const r = await runCall((l, d) => {
      d.listener = listener;
      let first = true;
      const real = l.reserve.bind(l);
      l.decisions = [decision({ decision: 'cached', reason: 'cache_hit', attempt_no: null })];
      l.reserve = async (ctx, a) => (first ? ((first = false), notifying(ctx, a)) : real(ctx, a));
    });
    expect(r.error).toBeNull();
    expect(r.lines.find((l) => l.event === 'cache_fill_wait')).toMatchObject({ outcome: 'filled' });
    const t0 = Date.now();
    const r2 = await runCall((l, d) => {
      d.listener = listener;
      l.decisions = [decision({ decision: 'wait', reason: 'cache_fill_in_flight', attempt_no: null, retry_after_ms: 150, cache_key: 'k3' }),
        decision({ decision: 'cached', reason: 'cache_hit', attempt_no: null })];
    });
    expect(r2.lines.find((l) => l.event === 'cache_fill_wait')).toMatchObject({ outcome: 'timeout' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
  });
});

describe('provider failures are recorded in our tables', () => {
  test('every model behind an open breaker (block with retry_after_ms: the request stays open): nothing is sent, a retry is requested', async () => {
    // (review of the provider boundary) Refused for good, one tenant's slow calls that opened the breaker ended other
    // tenants' requests. The last attempt ends the request (reserve itself refuses it for good then; this covers settings
    // changed since the job was added).
    const open = decision({ decision: 'block', reason: 'breaker_open', attempt_no: 1, provider: null, model: null, held_micros: 0n,
      worst_case_micros: null, retry_after_ms: 30000 });
    const r = await runCall((l) => void (l.decisions = [open]));
    expect(r.error).toBeInstanceOf(RetryLater);
    expect((r.error as Error).message).toContain('open breaker');
    expect(mock.count(() => true)).toBe(0);
    expect(r.ledger.names().filter((n) => n !== 'embeddingForCall')).toEqual(['requestForCall', 'reserve']);
    const last = await runCall((l) => void (l.decisions = [open]), helpers(3, 3));
    expect(last.error).toBeNull();
    expect(last.ledger.calls).toContainEqual(['failRequest', { pk: 42n, reason: 'attempts_exhausted' }]);
    const final = await runCall((l) => void (l.decisions = [{ ...open, retry_after_ms: null }]));
    expect(final.error).toBeNull(); // refused for good: the task returns
    expect(final.ledger.names()).not.toContain('failRequest');
  });

  test('a retryable failure with attempts left: settled (HTTP error: usage known, zero), then a retry is requested', async () => {
    mock.addFaults('mock-chat', [{ kind: 'status', status: 500 }]);
    const r = await runCall();
    expect(r.error).toBeInstanceOf(RetryLater);
    expect(r.ledger.settles).toEqual([expect.objectContaining({ status: 'error', finalFailure: null,
      usage: { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 } })]);
  });

  test("a 429's Retry-After is waited for, settled first, before the retry is requested; bounded by retryAfterMaxMs", async () => {
    // (review of the provider boundary, 2026-11-26) A 429 asking for 30 s was retried on graphile-worker's backoff alone, at +3 s and +10.7 s.
    mock.addFaults('mock-chat', [{ kind: 'status', status: 429, headers: { 'retry-after-ms': '400' } }]);
    let t0 = Date.now();
    const r = await runCall();
    expect(r.error).toBeInstanceOf(RetryLater);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(400);
    expect(r.ledger.names()).toEqual(['requestForCall', 'reserve', 'settle']); // settled before the wait: nothing is held during it
    expect(jobLines(r).find((l) => l.event === 'provider_error')).toMatchObject({ kind: 'rate_limited', retry_after_ms: 400, retry_wait_ms: 400 });
    expect(jobLines(r).find((l) => l.event === 'retry_after_wait')).toMatchObject({ outcome: 'waited', wait_ms: 400 });
    expect(r.spans.map((sp) => sp.name)).toContain('llm.retry_after_wait');

    // 30 s asked, 250 ms allowed by the configuration.
    mock.addFaults('mock-chat', [{ kind: 'status', status: 503, headers: { 'retry-after': '30' } }]);
    t0 = Date.now();
    const capped = await runCall((_l, d) => void (d.retryAfterMaxMs = 250));
    expect(capped.error).toBeInstanceOf(RetryLater);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(jobLines(capped).find((l) => l.event === 'provider_error')).toMatchObject({ retry_after_ms: 30_000, retry_wait_ms: 250 });

    // On the last attempt there is nothing to wait for; a stopping worker ends the wait at once.
    mock.addFaults('mock-chat', [{ kind: 'status', status: 429, headers: { 'retry-after': '30' } }]);
    t0 = Date.now();
    const last = await runCall(undefined, helpers(3, 3));
    expect(last.error).toBeNull();
    expect(Date.now() - t0).toBeLessThan(5000);
    mock.addFaults('mock-chat', [{ kind: 'status', status: 429, headers: { 'retry-after': '30' } }]);
    const stopping = new AbortController();
    setTimeout(() => stopping.abort(), 300);
    t0 = Date.now();
    const stopped = await runCall(undefined, helpers(1, 3, stopping.signal));
    expect(stopped.error).toBeInstanceOf(RetryLater);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(jobLines(stopped).find((l) => l.event === 'retry_after_wait')).toMatchObject({ outcome: 'aborted' });
  });

  test('the same failure on the last attempt is final (attempts_exhausted) and the task returns', async () => {
    mock.addFaults('mock-chat', [{ kind: 'status', status: 429 }]);
    const r = await runCall(undefined, helpers(3, 3));
    expect(r.error).toBeNull();
    expect(r.ledger.settles).toEqual([expect.objectContaining({ status: 'rate_limited', finalFailure: 'attempts_exhausted' })]);
  });

  test('a timeout or a dropped connection leaves the usage unknown: NULL tokens, the database charges the hold', async () => {
    mock.addFaults('mock-chat', [{ kind: 'drop' }]);
    const r = await runCall();
    expect(r.error).toBeInstanceOf(RetryLater);
    expect(r.ledger.settles).toEqual([expect.objectContaining({ status: 'network', usage: null, finalFailure: null })]);
  });

  test.each([502, 504, 408, 524])("a gateway's %i leaves the upstream call's outcome unknown: NULL tokens (the full hold), then a retry", async (status) => {
    // 408: LiteLLM's answer to an upstream timeout; 524: Cloudflare's origin timeout (provider-compatibility drill 90: settled with zeros).
    // It was settled with zero usage, like a 500 (review of the provider boundary, 2026-11-26: f-504, provider_status error, cost_micros 0).
    mock.addFaults('mock-chat', [{ kind: 'status', status }]);
    const r = await runCall();
    expect(r.error).toBeInstanceOf(RetryLater);
    expect(r.ledger.settles).toEqual([expect.objectContaining({ status: 'error', usage: null, finalFailure: null })]);
    expect(jobLines(r).find((l) => l.event === 'provider_error')).toMatchObject({ kind: 'gateway', status, usage_unknown: true });
  });

  test("usage past the ledger's range is a malformed answer: settled with NULL tokens (the full hold) at once, then a retry", async () => {
    // (provider-compatibility drill 90) prompt_tokens 1e12 reached llm.settle_call, which refused it (22003): the job logged
    // settle_lost and ended, the hold waited for the expiry sweep and the request failed job_lost.
    mock.addFaults('mock-chat', [{ kind: 'status', status: 200, body: JSON.stringify({ id: 'x', object: 'chat.completion', created: 1,
      model: 'mock-chat', choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 1e12, completion_tokens: 7, total_tokens: 1e12 + 7 } }) }]);
    const r = await runCall();
    expect(r.error).toBeInstanceOf(RetryLater);
    expect(r.ledger.settles).toEqual([expect.objectContaining({ status: 'malformed', usage: null, finalFailure: null })]);
    expect(jobLines(r).find((l) => l.event === 'provider_error')).toMatchObject({ kind: 'malformed', usage_unknown: true });
    expect(jobLines(r).some((l) => l.event === 'settle_lost' || l.event === 'job_error')).toBe(false);
  });

  test('a 4xx is final at once (provider_client_error); the task returns without a retry', async () => {
    mock.addFaults('mock-chat', [{ kind: 'status', status: 400 }]);
    const r = await runCall();
    expect(r.error).toBeNull();
    expect(r.ledger.settles).toEqual([expect.objectContaining({ status: 'client_error', finalFailure: 'provider_client_error' })]);
    expect(jobLines(r).find((l) => l.event === 'provider_error')).toMatchObject({ kind: 'client', status: 400, final_failure: 'provider_client_error' });
  });

  test('personal data in the reasoning trace alone flags the call (a trace is exported with its call)', async () => {
    // (tenth review) The scan read the answer and the prompt, not the trace: an eligible call exported an e-mail address.
    mock.addFaults('mock-chat', [{ kind: 'content', text: 'Spend rose because of the new region.',
      reasoning: 'Maybe ask bob.secret@corp.example or call +1 415 555 0199' }]);
    const r = await runCall();
    expect(r.error).toBeNull();
    expect(r.ledger.settles[0]).toMatchObject({ status: 'ok', piiFlagged: true, reasoning: expect.stringContaining('bob.secret') });
  });

  test("a provider error that echoes the prompt, quoted or not, JSON or text/plain, puts none of it into the log or the trace", async () => {
    // (tenth review) The provider_error line's error field held the echoed messages verbatim. (Eleventh) Cutting only the
    // quoted runs missed a quote holding a newline. (Review of the provider boundary, 2026-11-26) Cutting at the first quote missed every echo
    // without quotes: "400 This request has 9000 tokens, over the limit. Input: ... patient Jane Roe SSN 078-05-1120".
    const prompt = 'patient Jane Roe SSN 078-05-1120';
    const quoted = `1 validation error for ChatCompletionRequest: messages.0 input {'role': 'user', 'content': '${prompt}'}`;
    const unquoted = `This request has 9000 tokens, over the limit. Input: ${prompt}`;
    const json = (message: string, type: unknown, code: unknown) => JSON.stringify({ error: { message, type, param: null, code } });
    const cases: Array<[number, string, Record<string, string>, object]> = [
      [400, json(unquoted, 'invalid_request_error', 'context_length_exceeded'), {},
        { kind: 'client', code: 'context_length_exceeded', error_type: 'invalid_request_error' }],
      [400, json(quoted, 'invalid_request_error', null), {}, { kind: 'client', code: null, error_type: 'invalid_request_error' }],
      // A code or type that is not a short identifier is free text too.
      [400, json(unquoted, `bad input ${prompt}`, `${prompt}`), {}, { kind: 'client', code: null, error_type: null }],
      [500, `Internal error while processing: ${prompt}`, { 'content-type': 'text/plain' }, { kind: 'server', code: null, error_type: null }],
      [504, `<html>upstream timed out for ${prompt}</html>`, { 'content-type': 'text/html' }, { kind: 'gateway', code: null, error_type: null }],
    ];
    for (const [status, body, headers, fields] of cases) {
      mock.addFaults('mock-chat', [{ kind: 'status', status, body, headers }]);
      const r = await runCall((l) => void (l.req = request({ messages: [{ role: 'user', content: prompt }] })));
      const logged = JSON.stringify(r.lines);
      for (const secret of ['Jane Roe', '078-05-1120', 'This request has', 'Internal error', 'upstream']) {
        expect([status, secret, logged.includes(secret)]).toEqual([status, secret, false]);
        expect([status, secret, JSON.stringify(r.spans.map((sp) => [sp.status, sp.events, sp.attributes])).includes(secret)])
          .toEqual([status, secret, false]);
      }
      const line = jobLines(r).find((l) => l.event === 'provider_error')!;
      expect(line).toMatchObject({ status, ...fields });
      expect(line.error).toMatch(new RegExp(`^local chat failed \\(${line.kind} ${status}\\): (type \\w+(, code \\w+)?|no error type or code)$`));
      mock.reset();
      exporter.reset();
    }
  });

  test('a provider this worker does not configure: the hold is released (no request was sent), final provider_not_configured', async () => {
    const r = await runCall((l) => void (l.decisions = [decision({ provider: 'openai', model: 'gpt-4o-mini' })]));
    expect(r.error).toBeNull();
    expect(mock.count()).toBe(0);
    expect(r.ledger.calls.at(-1)).toEqual(['release', { pk: 42n, attemptNo: 1, reason: 'provider_not_configured', finalFailure: 'provider_not_configured' }]);
  });

  test('the worker is stopping before the call is sent: the hold is released, not charged, and the job runs again later', async () => {
    const stopping = new AbortController();
    stopping.abort();
    const r = await runCall(() => {}, helpers(1, 3, stopping.signal));
    expect(r.error).toBeInstanceOf(RetryLater);
    expect(mock.count()).toBe(0);
    expect(r.ledger.settles).toEqual([]);
    expect(r.ledger.calls.at(-1)).toEqual(['release', { pk: 42n, attemptNo: 1, reason: 'not sent: the worker is stopping', finalFailure: null }]);
    expect(jobLines(r).find((l) => l.event === 'not_sent')).toMatchObject({ purpose: 'chat' });
  });

  test('an answer from another model (a gateway routed the call) is settled naming that model, logged', async () => {
    // (review of the provider boundary, 2026-11-26) Asked for gpt-4o-mini, a gateway answered "model": "gpt-4o" with 20/10
    // tokens: charged 9 micro-USD at the price asked for, where gpt-4o's list price gives 150. The settle now names the model
    // that answered, with its tokens: the database charges the dearer of the two prices (money.sql).
    mock.addFaults('mock-chat', [{ kind: 'answered_as', model: 'gpt-4o' }]);
    const r = await runCall();
    expect(r.error).toBeNull();
    expect(r.ledger.settles).toEqual([expect.objectContaining({ status: 'ok', usage: expect.objectContaining({ outputTokens: expect.any(Number) }),
      answeredModel: 'gpt-4o', answeredSame: false })]);
    expect(jobLines(r).find((l) => l.event === 'answered_model_mismatch')).toMatchObject({ level: 'warn', model: 'local:mock-chat',
      answered_model: 'gpt-4o' });
    // A dated snapshot of the model asked for is the same model: its usage is priced.
    mock.addFaults('mock-chat', [{ kind: 'answered_as', model: 'mock-chat-2024-07-18' }]);
    const dated = await runCall();
    expect(dated.ledger.settles[0]!.usage).not.toBeNull();
    // Named all the same: the database charges a snapshot priced apart at its own price (money.sql).
    expect(dated.ledger.settles[0]).toMatchObject({ answeredModel: 'mock-chat-2024-07-18', answeredSame: true });
    expect(jobLines(dated).some((l) => l.event === 'answered_model_mismatch')).toBe(false);
  });

  test('an answer without usage settles with NULL tokens; an invalid JSON answer ends the request (invalid_output)', async () => {
    mock.addFaults('mock-chat', [{ kind: 'no_usage' }]);
    const r = await runCall();
    expect(r.ledger.settles[0]).toMatchObject({ status: 'ok', usage: null, finalFailure: null });
    const j = await runCall((l) => {
      l.req = request({ response_format: 'json' });
      l.decisions = [decision({ max_output_tokens: 3 })]; // the JSON object is cut off
    });
    expect(j.ledger.settles[0]).toMatchObject({ status: 'ok', outputValid: false, finalFailure: 'invalid_output' });
  });
});

describe('database errors', () => {
  test('a permanent SQLSTATE is logged with DETAIL and HINT, the request is failed (worker_error), the task returns', async () => {
    const r = await runCall((l) => void (l.decisions = [sqlError('42501', 'tenant a0 is not known', 'create it with llm.upsert_tenant')]));
    expect(r.error).toBeNull();
    expect(r.ledger.calls.at(-1)).toEqual(['failRequest', { pk: 42n, reason: 'worker_error' }]);
    expect(jobLines(r).find((l) => l.event === 'job_error')).toMatchObject({ sqlstate: '42501', detail: 'tenant a0 is not known',
      hint: 'create it with llm.upsert_tenant', permanent: true, stage: 'before_reserve' });
  });

  test.each(['22023', 'P0002', 'LG409'])('%s is permanent', async (code) => {
    const r = await runCall((l) => void (l.req = sqlError(code)));
    expect(r.error).toBeNull();
    expect(r.ledger.calls.at(-1)).toEqual(['failRequest', { pk: 42n, reason: 'worker_error' }]);
  });

  test('a transient error (connection lost) is retried by graphile-worker; on the last attempt it is recorded as attempts_exhausted', async () => {
    const transient = sqlError('08006');
    const r = await runCall((l) => void (l.decisions = [transient]));
    expect(r.error).toBe(transient);
    expect(r.ledger.names()).toEqual(['requestForCall', 'reserve']);
    const last = await runCall((l) => void (l.decisions = [transient]), helpers(3, 3));
    expect(last.error).toBeNull();
    expect(last.ledger.calls.at(-1)).toEqual(['failRequest', { pk: 42n, reason: 'attempts_exhausted' }]);
  });

  test('an unexpected error inside the provider call: nothing is released (a request may have gone out), the hold is left to the sweep', async () => {
    const r = await runCall((l, d) => {
      d.providers!.get('local')!.client.chat = async () => {
        throw sqlError('22023');
      };
    });
    expect(r.error).toBeNull();
    // The stub threw inside the provider span, after the stage became 'sent': nothing is released
    // (a request may have gone out); the hold is charged by the expiry sweep.
    expect(r.ledger.names()).toEqual(['requestForCall', 'reserve']);
    expect(jobLines(r).find((l) => l.event === 'settle_lost')).toBeDefined();
  });

  test('a settle that keeps failing on the connection is retried, then left to the expiry sweep', async () => {
    const r = await runCall((l) => void (l.settleError = sqlError('57P01')), helpers(1, 3));
    expect(r.ledger.settles.length).toBe(8);
    expect(r.error).toMatchObject({ code: '57P01' }); // attempts left: graphile-worker retries; the retry replays or re-reserves
  }, 30_000);

  test('a settle the database refuses for good (its attempt gone after a restore): settle_lost carries what the call used', async () => {
    // (review 92) Only the LG008 path logged the tokens; a P0002 (the request reissued, no attempt n yet) lost them.
    const r = await runCall((l) => void (l.settleError = sqlError('P0002')));
    const lost = jobLines(r).find((l) => l.event === 'settle_lost');
    expect(lost).toMatchObject({ status: 'ok' });
    expect(lost!.input_tokens).toEqual(expect.any(Number));
    expect(lost!.output_tokens).toEqual(expect.any(Number));
    expect(r.ledger.settles.length).toBe(1); // permanent: not retried
  });

  test('a payload the database did not write is logged and dropped, nothing else is touched', async () => {
    const r = await runCall(undefined, helpers(), { request_id: 'x' });
    expect(r.error).toBeNull();
    expect(r.ledger.calls).toEqual([]);
    expect(r.lines.find((l) => l.event === 'malformed_payload')).toBeDefined();
  });
});
