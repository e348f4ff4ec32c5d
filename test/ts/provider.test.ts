/** The provider boundary against the real mock server on loopback: config, tokens, chat, embeddings, faults. */
import {
  answersAs,
  createProviderClient,
  estimateInputTokens,
  estimateWithEndpoint,
  parseModelRef,
  ProviderConfigError,
  ProviderConfigSchema,
  ProviderError,
  ProviderNotSentError,
  tokenizerFor,
  type ChatMessage,
  type ProviderClient,
  type ProviderConfig,
} from '../../src/provider';
import { int8, micros } from '../../src/int8';
import { MOCK_EMBEDDING_DIMS, MOCK_MODELS, startMockProvider, type MockFault, type MockProvider } from '../../src/provider/mock-server';

const KEY = 'sk-test-SECRET-7f3a9c2e1d';
const KEY_ENV = 'MOCK_LLM_KEY';

let mock: MockProvider;
let client: ProviderClient;

function config(baseUrl: string): ProviderConfig {
  return ProviderConfigSchema.parse({
    name: 'mock',
    baseUrl,
    apiKeyEnv: KEY_ENV,
    timeoutMs: 5000,
    models: MOCK_MODELS.map((name) => ({
      name,
      inputPerMtokMicros: 150_000,
      cachedInputPerMtokMicros: '75000',
      outputPerMtokMicros: 600_000,
      maxOutputTokens: 4096,
    })),
  });
}

const user = (content: string): ChatMessage[] => [{ role: 'user', content }];

async function failure(p: Promise<unknown>): Promise<ProviderError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ProviderError);
    return e as ProviderError;
  }
  throw new Error('expected the call to fail');
}

async function eventually(check: () => boolean, withinMs: number): Promise<boolean> {
  const until = Date.now() + withinMs;
  while (!check() && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
  return check();
}

beforeAll(async () => {
  mock = await startMockProvider({ port: 0 });
  client = createProviderClient(config(mock.baseUrl), { [KEY_ENV]: KEY });
});
afterEach(() => mock.reset());
afterAll(() => mock.stop());

describe('parseModelRef', () => {
  test('splits on the first colon', () => {
    expect(parseModelRef('openai:gpt-4o-mini')).toEqual({ provider: 'openai', model: 'gpt-4o-mini' });
    expect(parseModelRef('ollama:llama3.1:8b')).toEqual({ provider: 'ollama', model: 'llama3.1:8b' });
    expect(parseModelRef('openrouter:meta-llama/llama-3-70b')).toEqual({ provider: 'openrouter', model: 'meta-llama/llama-3-70b' });
  });

  test.each(['gpt-4o', ':gpt-4o', 'openai:', 'OpenAI:gpt-4o', 'open ai:gpt', 'openai:gpt 4o', ''])('rejects %j', (ref) => {
    expect(() => parseModelRef(ref)).toThrow(/invalid model ref/);
  });
});

describe('answersAs: whether an answer\'s model is the model asked for', () => {
  test('its name or a configured alias, each as a dated snapshot, with an organisation prefix, or untagged as :latest', () => {
    const cases: Array<[{ name: string; answeredAs?: string[] }, string, boolean]> = [
      [{ name: 'gpt-4o-mini' }, 'gpt-4o-mini', true],
      [{ name: 'gpt-4o-mini' }, 'gpt-4o-mini-2024-07-18', true],
      [{ name: 'gpt-4o-mini' }, 'gpt-4o-mini-0613', true],
      [{ name: 'gpt-4o-mini' }, 'openai/gpt-4o-mini-2024-07-18', true],
      [{ name: 'openai/gpt-4o' }, 'openai/gpt-4o-2024-08-06', true],
      [{ name: 'llama3' }, 'llama3:latest', true],
      [{ name: 'Llama-3.1-8B-Instruct' }, 'meta-llama/Llama-3.1-8B-Instruct', true],
      [{ name: 'claude-3-5-sonnet-latest' }, 'claude-3-5-sonnet-20241022', true],
      // An Azure deployment that answers with the model's name, which Azure moves to newer snapshots.
      [{ name: 'prod-4o', answeredAs: ['gpt-4o'] }, 'gpt-4o-2024-08-06', true],
      [{ name: 'gpt-4o-mini' }, 'gpt-4o', false],
      [{ name: 'gpt-4o' }, 'gpt-4o-mini-2024-07-18', false],
      [{ name: 'gpt-4o-mini' }, 'gpt-4o-mini-audio-preview', false],
      [{ name: 'gpt-4o-mini' }, 'gpt-4o-mini-2024-07', false],
      [{ name: 'gpt-4o-mini' }, 'gpt-4o-minix', false],
      [{ name: 'gpt-4o-mini' }, '', false],
      // Another Ollama tag is another model (a bigger one, billed at its own price).
      [{ name: 'llama3' }, 'llama3:70b', false],
      [{ name: 'qwen2.5' }, 'qwen2.5:72b-instruct-fp16', false],
      [{ name: 'llama3:8b' }, 'llama3:8b:latest', false],
      [{ name: 'llama3:8b' }, 'llama3:8b', true],
      [{ name: 'prod-4o', answeredAs: ['gpt-4o'] }, 'gpt-4o-mini', false],
      // Without regard to case, as the database's price lookup (drill 90: a gateway's GPT-4o was charged the full hold).
      [{ name: 'gpt-4o' }, 'GPT-4o', true],
      [{ name: 'gpt-4o' }, 'Azure/GPT-4O-2024-08-06', true],
      [{ name: 'GPT-4o' }, 'gpt-4o-mini', false],
    ];
    expect(cases.map(([m, a]) => [m.name, a, answersAs(m, a)])).toEqual(cases.map(([m, a, ok]) => [m.name, a, ok]));
  });
});

describe('int8 and ProviderConfigSchema', () => {
  test('int8 accepts exact integers from number, string and bigint only', () => {
    expect(int8.parse(5)).toBe(5n);
    expect(int8.parse('9223372036854775807')).toBe(9223372036854775807n);
    expect(int8.parse(-3n)).toBe(-3n);
    for (const bad of [1.5, '1.5', '1e3', 'abc', '', 2 ** 53 + 2, '9223372036854775808', 2n ** 63n, NaN, null]) {
      expect(int8.safeParse(bad).success).toBe(false);
    }
    expect(micros.safeParse(-1).success).toBe(false);
    expect(micros.parse('0')).toBe(0n);
  });

  test('prices become bigint, defaults apply, fallbacks must be refs', () => {
    const cfg = config('http://127.0.0.1:1/v1');
    const m = cfg.models[0]!;
    expect(m.inputPerMtokMicros).toBe(150_000n);
    expect(m.cachedInputPerMtokMicros).toBe(75_000n);
    expect(m.outputPerMtokMicros).toBe(600_000n);
    expect(m.trainingAllowed).toBeUndefined(); // consent is the database's; sync-config writes false when unset
    expect(m).toMatchObject({ kind: 'chat', tokenParameter: 'max_tokens', tokenizer: 'o200k' });
    const base = { name: 'p', baseUrl: 'http://127.0.0.1/v1', apiKeyEnv: 'K' };
    const model = { name: 'm', inputPerMtokMicros: 1, cachedInputPerMtokMicros: 1, outputPerMtokMicros: 1, maxOutputTokens: 10 };
    const ok = (over: object, m: object = model) => ProviderConfigSchema.safeParse({ ...base, models: [m], ...over }).success;
    expect(ok({})).toBe(true);
    expect(ok({}, { ...model, fallbacks: ['other:gpt-4o'] })).toBe(true);
    expect(ok({}, { ...model, fallbacks: ['gpt-4o'] })).toBe(false);
    expect(ok({}, { ...model, outputPerMtokMicros: 0.5 })).toBe(false);
    expect(ok({}, { ...model, inputPerMtokMicros: -1 })).toBe(false);
    expect(ok({}, { ...model, tokenizer: 'p50k' })).toBe(false);
    expect(ok({ name: 'Bad Name' })).toBe(false);
    expect(ok({ apiKeyEnv: 'sk-live-123' })).toBe(false);
    expect(ok({ baseUrl: 'not a url' })).toBe(false);
    expect(ok({ baseUrl: 'file:///etc/passwd' })).toBe(false);
    expect(ok({ models: [] })).toBe(false);
    expect(ok({ models: [model, model] })).toBe(false);
  });
});

describe('token estimates', () => {
  test('tokenizerFor picks the family, bytes when unknown', () => {
    for (const m of ['gpt-4o', 'gpt-4o-mini', 'gpt-4.1-nano', 'o1', 'o3-mini', 'o4-mini', 'gpt-5', 'openai/gpt-4o']) {
      expect([m, tokenizerFor(m)]).toEqual([m, 'o200k']);
    }
    for (const m of ['gpt-4', 'gpt-4-turbo', 'gpt-3.5-turbo']) expect([m, tokenizerFor(m)]).toEqual([m, 'cl100k']);
    for (const m of ['mock-chat', 'llama3.1:8b', 'claude-3-5-sonnet', 'gpt-4.5-preview', 'o10', 'mock-llama']) {
      expect([m, tokenizerFor(m)]).toEqual([m, 'bytes']);
    }
  });

  test('bytes estimate counts UTF-8 bytes plus a chat-template allowance; a ratio divides the bytes', () => {
    expect(estimateInputTokens([], 'bytes')).toBe(8);
    expect(estimateInputTokens([{ role: 'user', content: 'é🎉' }], 'bytes')).toBe(8 + 8 + 4 + 6);
    expect(estimateInputTokens([{ role: 'user', content: 'é🎉' }], { tokenizer: 'bytes', bytesPerToken: 4 })).toBe(8 + 8 + 4 + 2);
    expect(estimateInputTokens([], 'o200k')).toBe(3);
    // Special-token text in user content is plain text, not an exception.
    expect(estimateInputTokens([{ role: 'user', content: 'a <|endoftext|> b' }], 'o200k')).toBeGreaterThan(7);
  });

  const samples: ChatMessage[][] = [
    user(''),
    user('hello'),
    [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'Summarise: the quick brown fox jumps over the lazy dog.' },
      { role: 'assistant', content: '' },
      { role: 'user', content: 'again' },
    ],
    user('日本語のテキストと中文文本，还有 한국어 텍스트. Ünïcödé ñ ß ø'),
    user('emoji 🎉🚀👩‍👩‍👧‍👦 🏳️‍🌈 and combining a\u0301e\u0301'),
    user('<|endoftext|><|im_start|>system\nspecial tokens as text<|im_end|>'),
    user('lorem ipsum dolor sit amet '.repeat(400)),
    user('    \n\n\t\t  spaces   and\r\n tabs \u00a0\u2003 '.repeat(30)),
    user('function f(x) { return x.map((y) => y * 2).filter(Boolean); } // code'.repeat(20)),
    user(Array.from({ length: 500 }, (_, i) => String.fromCodePoint(0x4e00 + ((i * 7919) % 20000))).join('')),
  ];

  // The bill comes from the mock, which counts its own way (o200k/cl100k through its own code, and
  // for *llama* names a scheme of its own, src/provider/mock-server.ts llamaTokens), never from
  // the estimator's formula.
  test('the default estimate is an upper bound of the prompt tokens the mock bills, for every chat model', async () => {
    const chatModels = MOCK_MODELS.filter((m) => m !== 'mock-embed');
    for (const model of chatModels) {
      for (const messages of samples) {
        const r = await client.chat({ model, messages, maxOutputTokens: 8 });
        const billed = r.usage!.inputTokens + r.usage!.cachedInputTokens;
        const estimate = (await client.estimateInputTokens(model, messages)).tokens;
        expect({ model, billed, estimate, ok: billed <= estimate }).toMatchObject({ ok: true });
      }
    }
  });

  /** One client per estimate mode, each model billed by the mock its own way. */
  function modeClient(models: object[]): ProviderClient {
    return createProviderClient(ProviderConfigSchema.parse({ name: 'mock', baseUrl: mock.baseUrl, apiKeyEnv: KEY_ENV, models }), { [KEY_ENV]: KEY });
  }
  const tokenize = () => mock.baseUrl.replace(/\/v1$/, '/tokenize');
  const corpus: ChatMessage[][] = [
    ...samples,
    user('Invoice 2024-03-17: 1,234,567.89 EUR; 3.14159265358979 x 2.71828 = 8.5397; ids 000123 998877665544 -42e10 0x1F4A'),
    user('SELECT id, sum(cost_micros) FROM llm.calls WHERE tenant_id = $1 GROUP BY 1 HAVING count(*) > 10; -- report'),
    user('Le système gère les coûts: ça coûte 12 € par mois. Ελληνικά κείμενα, русский текст, עברית, العربية, हिन्दी.'),
  ];
  const billOf = async (c: ProviderClient, model: string, m: ChatMessage[]) => {
    const u = (await c.chat({ model, messages: m, maxOutputTokens: 8 })).usage!;
    return u.inputTokens + u.cachedInputTokens;
  };

  // The bill is usage.prompt_tokens of the mock, which counts with its own code (js-tiktoken for
  // OpenAI vocabularies, its own SentencePiece-like scheme for *llama*), not the estimator's.
  test.each([
    ['count_endpoint', 'mock-llama', { tokenCountUrl: 'endpoint' }],
    ['count_endpoint', 'mock-chat', { tokenCountUrl: 'endpoint' }],
    ['o200k', 'gpt-4o-mini', {}],
    ['cl100k', 'gpt-4-turbo', {}],
    ['bytes', 'mock-llama', {}],
    ['bytes', 'mock-chat', {}],
    ['bytes', 'mock-llama', { bytesPerToken: 1 }],
  ])('mode %s (%s %j): the estimate is at least the billed prompt tokens over English, code, CJK, emoji and numbers',
    async (method, model, over) => {
      const c = modeClient([{ name: model, maxOutputTokens: 64, ...over, ...('tokenCountUrl' in over ? { tokenCountUrl: tokenize() } : {}) }]);
      for (const messages of corpus) {
        const est = await c.estimateInputTokens(model, messages);
        const billed = await billOf(c, model, messages);
        expect({ text: messages.at(-1)!.content.slice(0, 40), method: est.method, ok: est.tokens >= billed, fallback: est.fallback })
          .toEqual({ text: messages.at(-1)!.content.slice(0, 40), method, ok: true, fallback: undefined });
        if (method === 'count_endpoint') expect(est.tokens).toBe(billed);
      }
    });

  test('the counting endpoint is exact where raw bytes hold 2-3x: compared over the whole corpus', async () => {
    const counted = modeClient([{ name: 'mock-llama', maxOutputTokens: 64, tokenCountUrl: tokenize() }]);
    const bytes = modeClient([{ name: 'mock-llama', maxOutputTokens: 64 }]);
    let billed = 0;
    let byCount = 0;
    let byBytes = 0;
    for (const messages of corpus) {
      billed += await billOf(counted, 'mock-llama', messages);
      byCount += (await counted.estimateInputTokens('mock-llama', messages)).tokens;
      byBytes += (await bytes.estimateInputTokens('mock-llama', messages)).tokens;
    }
    expect(byCount).toBe(billed);
    expect(byBytes / billed).toBeGreaterThan(2);
    expect(mock.tokenizeCalls()).toBe(corpus.length);
  });

  test('a failing counting endpoint falls back to the local bound and says why', async () => {
    const c = modeClient([
      { name: 'mock-llama', maxOutputTokens: 64, tokenCountUrl: 'http://127.0.0.1:2/tokenize' }, // nothing listens on port 2
      { name: 'mock-llama-404', maxOutputTokens: 64, tokenCountUrl: mock.baseUrl + '/no-such-endpoint' },
    ]);
    const m = corpus[2]!;
    expect(await c.estimateInputTokens('mock-llama', m))
      .toEqual({ tokens: estimateInputTokens(m, 'bytes'), method: 'bytes', fallback: expect.stringMatching(/ECONNREFUSED/) });
    expect(await c.estimateInputTokens('mock-llama-404', m))
      .toEqual({ tokens: estimateInputTokens(m, 'bytes'), method: 'bytes', fallback: 'HTTP 404' });
  });

  test('a counting endpoint answering something other than JSON: its body (which may echo the prompt) is not in the reason', async () => {
    const m = [{ role: 'user', content: 'patient Jane Roe SSN 078-05-1120' }];
    const echo: typeof fetch = async () => new Response(`cannot count: ${m[0]!.content}`, { status: 200, headers: { 'content-type': 'text/plain' } });
    const est = await estimateWithEndpoint({ name: 'mock-llama', tokenizer: 'bytes', tokenCountUrl: 'http://127.0.0.1:2/tokenize' }, m,
      { fetchImpl: echo });
    expect(est).toEqual({ tokens: estimateInputTokens(m, 'bytes'), method: 'bytes', fallback: 'the answer is not valid JSON' });
  });

  test('bytesPerToken must be a lower bound of bytes per token: an average (3) falls below the bill', async () => {
    const ratio = modeClient([{ name: 'mock-llama', maxOutputTokens: 64, bytesPerToken: 3 }]);
    const prose = user('Summarise the quarterly report for the board in three short sentences.');
    const punctuation = user('!?.,;:'.repeat(100));
    expect(await ratio.estimateInputTokens('mock-llama', prose)).toMatchObject({ method: 'ratio' });
    expect((await ratio.estimateInputTokens('mock-llama', prose)).tokens).toBeGreaterThanOrEqual(await billOf(ratio, 'mock-llama', prose));
    expect((await ratio.estimateInputTokens('mock-llama', punctuation)).tokens).toBeLessThan(await billOf(ratio, 'mock-llama', punctuation));
  });
});

describe('chat', () => {
  test('success returns content, usage and latency; the request carries max_tokens and the key', async () => {
    const messages: ChatMessage[] = [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Say something.' },
    ];
    const r = await client.chat({ model: 'gpt-4o-mini', messages, maxOutputTokens: 100 });
    expect(r.content.length).toBeGreaterThan(0);
    expect(r.reasoning).toBeNull();
    expect(r.finishReason).toBe('stop');
    expect(r.providerModel).toBe('gpt-4o-mini');
    expect(r.usage).toEqual({ inputTokens: estimateInputTokens(messages, 'o200k'), cachedInputTokens: 0, outputTokens: expect.any(Number) });
    expect(r.usage!.outputTokens).toBeGreaterThanOrEqual(28);
    expect(r.usage!.outputTokens).toBeLessThanOrEqual(32);
    expect(r.latencyMs).toBeGreaterThanOrEqual(0);
    expect(mock.requests).toHaveLength(1);
    const seen = mock.requests[0]!;
    expect(seen.path).toBe('/v1/chat/completions');
    expect(seen.body.max_tokens).toBe(100);
    expect(seen.body.max_completion_tokens).toBeUndefined();
    expect(seen.authorization).toBe(`Bearer ${KEY}`);
  });

  test('o-series and gpt-5 models get max_completion_tokens (the mock refuses max_tokens for them, as OpenAI does)', async () => {
    const r = await client.chat({ model: 'o4-mini', messages: user('hi'), maxOutputTokens: 20 });
    expect(r.usage!.outputTokens).toBeLessThanOrEqual(20);
    expect(mock.requests[0]!.body).toMatchObject({ max_completion_tokens: 20 });
    expect(mock.requests[0]!.body.max_tokens).toBeUndefined();
    // Configured the old way (max_tokens) the same model is refused with a 400: a client error, not retried.
    const forced = createProviderClient(ProviderConfigSchema.parse({ name: 'mock', baseUrl: mock.baseUrl, apiKeyEnv: KEY_ENV,
      models: [{ name: 'o4-mini', maxOutputTokens: 64, tokenParameter: 'max_tokens' }] }), { [KEY_ENV]: KEY });
    const e = await failure(forced.chat({ model: 'o4-mini', messages: user('hi'), maxOutputTokens: 20 }));
    expect(e).toMatchObject({ kind: 'client', status: 400, retryable: false, code: 'unsupported_parameter' });
  });

  test('same request, same content; output never exceeds maxOutputTokens', async () => {
    const a = await client.chat({ model: 'mock-chat', messages: user('deterministic?'), maxOutputTokens: 5 });
    const b = await client.chat({ model: 'mock-chat', messages: user('deterministic?'), maxOutputTokens: 5 });
    const c = await client.chat({ model: 'mock-chat', messages: user('something else'), maxOutputTokens: 5 });
    expect(b.content).toBe(a.content);
    expect(c.content).not.toBe(a.content);
    expect(a.usage!.outputTokens).toBeLessThanOrEqual(5);
    expect(a.finishReason).toBe('length');
  });

  test('a reasoning model returns reasoning, billed inside output tokens', async () => {
    const r = await client.chat({ model: 'mock-reasoner', messages: user('think first'), maxOutputTokens: 64 });
    expect(r.reasoning).toEqual(expect.any(String));
    expect(r.reasoning!.length).toBeGreaterThan(0);
    expect(r.usage!.outputTokens).toBeLessThanOrEqual(32);
  });

  test('a JSON request returns a valid JSON object', async () => {
    const r = await client.chat({
      model: 'gpt-4o-mini',
      messages: user('Answer in JSON with keys answer and confidence.'),
      maxOutputTokens: 64,
      responseFormatJson: true,
    });
    expect(JSON.parse(r.content)).toEqual({ answer: expect.any(String), confidence: 0.5 });
    expect(mock.requests[0]!.body.response_format).toEqual({ type: 'json_object' });
  });

  test('no usage from the provider gives usage null', async () => {
    mock.addFaults('mock-chat', [{ kind: 'no_usage' }]);
    const r = await client.chat({ model: 'mock-chat', messages: user('hi'), maxOutputTokens: 16 });
    expect(r.usage).toBeNull();
    expect(r.content.length).toBeGreaterThan(0);
  });

  const statusCases: Array<[number, string, boolean]> = [
    [429, 'rate_limited', true],
    [500, 'server', true],
    [503, 'server', true],
    // A gateway's 502/504: the upstream call's outcome is unknown (it was 'server', settled with zero usage).
    [502, 'gateway', true],
    [504, 'gateway', true],
    // A gateway's timeout of the upstream call it sent: LiteLLM's 408 (litellm.Timeout), Cloudflare's 520 and 524, a proxy's
    // 599. They were 'server' and 'client'-free answers that bill nothing (provider-compatibility drill 90).
    [408, 'gateway', true],
    [520, 'gateway', true],
    [524, 'gateway', true],
    [599, 'gateway', true],
    [409, 'server', true],
    [522, 'server', true],
    [413, 'client', false],
    [400, 'client', false],
    [422, 'client', false],
    [401, 'auth', false],
    [403, 'auth', false],
    [404, 'not_found', false],
  ];
  test.each(statusCases)('HTTP %i -> %s (retryable %s), sent once (the SDK never retries)', async (status, kind, retryable) => {
    mock.addFaults('mock-chat', [{ kind: 'status', status }]);
    const e = await failure(client.chat({ model: 'mock-chat', messages: user('hi'), maxOutputTokens: 16 }));
    expect(e).toMatchObject({ kind, status, retryable, provider: 'mock' });
    expect(e.latencyMs).toBeGreaterThanOrEqual(0);
    expect(mock.count()).toBe(1);
  });

  test('behind a provider configured as a gateway every 5xx and 408 leaves the outcome unknown (LiteLLM\'s 500 for an upstream connection error)', async () => {
    const gw = createProviderClient({ ...config(mock.baseUrl), gateway: true }, { [KEY_ENV]: KEY });
    for (const [status, kind] of [[500, 'gateway'], [503, 'gateway'], [522, 'gateway'], [408, 'gateway'], [429, 'rate_limited'],
      [400, 'client'], [409, 'server']] as const) {
      mock.addFaults('mock-chat', [{ kind: 'status', status }]);
      expect([status, (await failure(gw.chat({ model: 'mock-chat', messages: user('hi'), maxOutputTokens: 16 }))).kind]).toEqual([status, kind]);
    }
  });

  test("an error answer's Retry-After is kept: retry-after-ms, retry-after in seconds or as an HTTP date", async () => {
    // (review of the provider boundary, 2026-11-26) It was ignored: graphile-worker's backoff alone decided when to try again.
    const asked = async (headers: Record<string, string> | undefined, status = 429) => {
      mock.addFaults('mock-chat', [{ kind: 'status', status, headers }]);
      return (await failure(client.chat({ model: 'mock-chat', messages: user('hi'), maxOutputTokens: 16 }))).retryAfterMs;
    };
    expect(await asked({ 'retry-after': '30' })).toBe(30_000);
    expect(await asked({ 'retry-after': '1.5' })).toBe(1500);
    expect(await asked({ 'retry-after-ms': '250', 'retry-after': '30' })).toBe(250);
    expect(await asked({ 'retry-after': '20' }, 503)).toBe(20_000);
    const date = await asked({ 'retry-after': new Date(Date.now() + 10_000).toUTCString() });
    expect(date).toBeGreaterThanOrEqual(8_000);
    expect(date).toBeLessThanOrEqual(10_000);
    expect(await asked({ 'retry-after': new Date(Date.now() - 60_000).toUTCString() })).toBe(0);
    expect(await asked({ 'retry-after': 'soon' })).toBeNull();
    expect(await asked(undefined, 500)).toBeNull();
    expect(await asked({ 'retry-after': '99999999' })).toBe(86_400_000);
  });

  test.each<[MockFault, string]>([
    [{ kind: 'malformed' }, 'malformed'],
    [{ kind: 'drop' }, 'network'],
  ])('%j -> %s, retryable', async (fault, kind) => {
    mock.addFaults('mock-chat', [fault]);
    const e = await failure(client.chat({ model: 'mock-chat', messages: user('hi'), maxOutputTokens: 16 }));
    expect(e).toMatchObject({ kind, status: null, retryable: true });
    expect(mock.count()).toBe(1);
  });

  test('a 200 whose JSON lacks choices is malformed', async () => {
    mock.addFaults('mock-chat', [{ kind: 'status', status: 200, body: '{"id":"x","object":"chat.completion"}' }]);
    const e = await failure(client.chat({ model: 'mock-chat', messages: user('hi'), maxOutputTokens: 16 }));
    expect(e).toMatchObject({ kind: 'malformed', retryable: true });
  });

  /** A 200 with this chat completion body (the mock's model, one choice, the usage given). */
  const answer = async (usage: unknown, message: object = { role: 'assistant', content: 'ok' }, finish: unknown = 'stop') => {
    mock.addFaults('mock-chat', [{ kind: 'status', status: 200, body: JSON.stringify({ id: 'x', object: 'chat.completion', created: 1,
      model: 'mock-chat', choices: [{ index: 0, message, finish_reason: finish }], ...(usage === undefined ? {} : { usage }) }) }]);
    return client.chat({ model: 'mock-chat', messages: user('hi'), maxOutputTokens: 16 });
  };

  test("usage that no call can have is malformed: negative, a string, a fraction, or past the ledger's 10 000 000 tokens", async () => {
    // (provider-compatibility drill 90) prompt_tokens 1e12, 2^31 or 10 000 001 passed the schema and the settle refused them
    // (22003, 22023): the hold stayed until the expiry sweep, the job ended, the request failed job_lost a minute later.
    const u = (prompt: unknown, completion: unknown) => ({ prompt_tokens: prompt, completion_tokens: completion, total_tokens: 1 });
    for (const usage of [u(1e12, 7), u(20, 2 ** 31), u(10_000_001, 7), u(20, -5), u('20', 7), u(20.5, 7),
      { ...u(20, 7), prompt_tokens_details: { cached_tokens: 10_000_001 } }]) {
      expect([usage, (await failure(answer(usage))).kind]).toEqual([usage, 'malformed']);
    }
    await expect(answer(u(10_000_000, 0))).resolves.toMatchObject({ usage: { inputTokens: 10_000_000, cachedInputTokens: 0, outputTokens: 0 } });
  });

  test("DeepSeek's prompt_cache_hit_tokens count as cached input when they and the misses add up to the prompt", async () => {
    const ds = { prompt_tokens: 100, completion_tokens: 50, total_tokens: 150, completion_tokens_details: { reasoning_tokens: 30 } };
    await expect(answer({ ...ds, prompt_cache_hit_tokens: 64, prompt_cache_miss_tokens: 36 }))
      .resolves.toMatchObject({ usage: { inputTokens: 36, cachedInputTokens: 64, outputTokens: 50 } });
    // prompt_tokens_details wins when both are given; counts that do not add up, or are no counts, are ignored (priced uncached).
    await expect(answer({ ...ds, prompt_tokens_details: { cached_tokens: 10 }, prompt_cache_hit_tokens: 64, prompt_cache_miss_tokens: 36 }))
      .resolves.toMatchObject({ usage: { inputTokens: 90, cachedInputTokens: 10 } });
    await expect(answer({ ...ds, prompt_cache_hit_tokens: 64, prompt_cache_miss_tokens: 30 })).resolves.toMatchObject({ usage: { inputTokens: 100, cachedInputTokens: 0 } });
    await expect(answer({ ...ds, prompt_cache_hit_tokens: 64 })).resolves.toMatchObject({ usage: { inputTokens: 100, cachedInputTokens: 0 } });
    await expect(answer({ ...ds, prompt_cache_hit_tokens: '64', prompt_cache_miss_tokens: 36 }))
      .resolves.toMatchObject({ usage: { inputTokens: 100, cachedInputTokens: 0 } });
  });

  test('a finish_reason that is not an identifier is dropped (it goes into a span); vLLM\'s extra fields are accepted', async () => {
    const usage = { prompt_tokens: 30, completion_tokens: 16, total_tokens: 46, prompt_tokens_details: null };
    await expect(answer(usage, { role: 'assistant', content: 'cut', reasoning_content: 'because', tool_calls: [] }, 'length'))
      .resolves.toMatchObject({ content: 'cut', reasoning: 'because', finishReason: 'length', usage: { inputTokens: 30, outputTokens: 16 } });
    await expect(answer(usage, { role: 'assistant', content: 'x' }, 'content_filter: patient Jane Roe SSN 078-05-1120'))
      .resolves.toMatchObject({ finishReason: null });
  });

  test('content as an array of parts (Mistral\'s reasoning models): the text parts joined; content of another shape is malformed', async () => {
    const usage = { prompt_tokens: 20, completion_tokens: 7, total_tokens: 27 };
    await expect(answer(usage, { role: 'assistant', content: [{ type: 'thinking', thinking: [{ type: 'text', text: 'hmm' }] },
      { type: 'text', text: 'part one ' }, { type: 'text', text: 'part two' }] })).resolves.toMatchObject({ content: 'part one part two' });
    await expect(answer(usage, { role: 'assistant', content: [] })).resolves.toMatchObject({ content: '' });
    for (const content of [42, { text: 'x' }, [{ text: 'no type' }], [{ type: 'text', text: 7 }]]) {
      expect([content, (await failure(answer(usage, { role: 'assistant', content }))).kind]).toEqual([content, 'malformed']);
    }
  });

  test('the HTTP client sets no deadline of its own: only the call\'s timeout ends a slow answer (Node\'s fetch cut every answer at 300 s)', async () => {
    // (backup drill 89) A 6-minute answer under a 10-minute call timeout failed at 300.7 s: undici's headersTimeout. The SDK's
    // requests go through our dispatcher, whose limits are off; with a limit given (here 300 ms) they apply, which shows the
    // requests take that path: the same slow answer then fails early, as it did at 300 s.
    const slow = async (c: typeof client) => c.chat({ model: 'mock-chat', messages: user('slow [[fault:latency=4000]]'), maxOutputTokens: 16, timeoutMs: 8000 });
    await expect(slow(client)).resolves.toMatchObject({ content: expect.any(String) });
    const capped = createProviderClient(config(mock.baseUrl), { [KEY_ENV]: KEY }, { headersTimeoutMs: 300 });
    const started = Date.now();
    const e = await failure(slow(capped));
    // The SDK reports undici's HeadersTimeoutError as its own connection timeout, long before the call's 8 s.
    expect(e.kind).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(3500); // undici's own timers tick coarsely (about a second)
  });

  test('a hung provider times out near the deadline and the connection is really closed', async () => {
    mock.addFaults('mock-chat', [{ kind: 'hang' }]);
    const started = Date.now();
    const e = await failure(client.chat({ model: 'mock-chat', messages: user('hi'), maxOutputTokens: 16, timeoutMs: 300 }));
    expect(e).toMatchObject({ kind: 'timeout', status: null, retryable: true });
    expect(Date.now() - started).toBeLessThan(1500);
    expect(e.latencyMs).toBeGreaterThanOrEqual(250);
    expect(await eventually(() => mock.requests[0]!.aborted, 1000)).toBe(true);
  });

  test("the caller's signal aborts the call: kind 'aborted' (outcome unknown, but no failure of the provider's)", async () => {
    mock.addFaults('mock-chat', [{ kind: 'hang' }]);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const e = await failure(client.chat({ model: 'mock-chat', messages: user('hi'), maxOutputTokens: 16, signal: ac.signal }));
    expect(e).toMatchObject({ kind: 'aborted', retryable: true });
    expect(e.message).toMatch(/aborted by caller/);
    expect(await eventually(() => mock.requests[0]!.aborted, 1000)).toBe(true);
  });

  test('a signal aborted before the call sends nothing and says so (ProviderNotSentError: the hold is released, not charged)', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(client.chat({ model: 'mock-chat', messages: user('hi'), maxOutputTokens: 16, signal: ac.signal }))
      .rejects.toBeInstanceOf(ProviderNotSentError);
    expect(mock.count()).toBe(0);
  });

  test('latency below the timeout succeeds, above it times out', async () => {
    mock.addFaults('mock-chat', [
      { kind: 'latency', ms: 100 },
      { kind: 'latency', ms: 1000 },
    ]);
    const ok = await client.chat({ model: 'mock-chat', messages: user('hi'), maxOutputTokens: 16, timeoutMs: 800 });
    expect(ok.latencyMs).toBeGreaterThanOrEqual(90);
    const e = await failure(client.chat({ model: 'mock-chat', messages: user('hi'), maxOutputTokens: 16, timeoutMs: 300 }));
    expect(e.kind).toBe('timeout');
  });

  test('queued faults are consumed in order, only by matching requests, then requests succeed', async () => {
    mock.addFaults('needle', [
      { kind: 'status', status: 429 },
      { kind: 'status', status: 500 },
    ]);
    const call = (text: string) => client.chat({ model: 'mock-chat', messages: user(text), maxOutputTokens: 16 });
    await expect(call('no match here')).resolves.toMatchObject({ finishReason: expect.any(String) });
    expect((await failure(call('a needle in a haystack'))).kind).toBe('rate_limited');
    expect((await failure(call('needle again'))).kind).toBe('server');
    await expect(call('needle once more')).resolves.toMatchObject({ usage: expect.any(Object) });
    expect(mock.requests.map((r) => r.fault?.kind ?? null)).toEqual([null, 'status', 'status', null]);
  });

  test('content markers: [[fault:...]] on every request, [[fault-once:...]] on the first identical one', async () => {
    // A short timeout only where a hang is expected: on a loaded 2-core machine 300 ms is not enough for an answer.
    const call = (text: string) => client.chat({ model: 'mock-chat', messages: user(text), maxOutputTokens: 16, timeoutMs: text.includes('hang') ? 300 : 5000 });
    expect((await failure(call('x [[fault:status=500]]'))).kind).toBe('server');
    expect((await failure(call('x [[fault:status=500]]'))).kind).toBe('server');
    // An HTTP 408 is a gateway's timeout of the upstream call it sent (LiteLLM's litellm.Timeout): outcome unknown, the full
    // hold (provider-compatibility drill 90; it had been 'server', settled as billing nothing).
    expect((await failure(call('x [[fault:status=408]]')))).toMatchObject({ kind: 'gateway', status: 408, retryable: true });
    expect((await failure(call('[[fault:malformed]]'))).kind).toBe('malformed');
    expect((await failure(call('[[fault:drop]]'))).kind).toBe('network');
    expect((await failure(call('[[fault:hang]]'))).kind).toBe('timeout');
    expect((await call('[[fault:no_usage]]')).usage).toBeNull();
    expect((await call('[[fault:latency=50]]')).latencyMs).toBeGreaterThanOrEqual(45);

    expect((await failure(call('job 1 [[fault-once:status=429]]'))).kind).toBe('rate_limited');
    await expect(call('job 1 [[fault-once:status=429]]')).resolves.toMatchObject({ usage: expect.any(Object) });
    expect((await failure(call('job 2 [[fault-once:status=429]]'))).kind).toBe('rate_limited');
  });

  test('the API key never appears in errors, even when the provider echoes it', async () => {
    // Padded so the key straddles the 500-char message cut: redaction must happen before truncation.
    const pad = 'p'.repeat(426);
    const echo = JSON.stringify({ error: { message: `${pad} Incorrect API key provided: ${KEY}`, type: 'invalid_request_error', code: KEY } });
    mock.addFaults('mock-chat', [{ kind: 'status', status: 401, body: echo }, { kind: 'status', status: 500, body: `oops Bearer ${KEY}` }, { kind: 'drop' }]);
    const errors = [];
    for (let i = 0; i < 3; i++) errors.push(await failure(client.chat({ model: 'mock-chat', messages: user('hi'), maxOutputTokens: 16 })));
    errors.push(await failure(client.chat({ model: 'mock-chat', messages: user('[[fault:hang]]'), maxOutputTokens: 16, timeoutMs: 200 })));
    expect(errors.map((e) => e.kind)).toEqual(['auth', 'server', 'network', 'timeout']);
    for (const e of errors) {
      for (const text of [e.message, e.stack ?? '', JSON.stringify(e), String(e), JSON.stringify(e.code)]) {
        expect(text).not.toContain(KEY);
      }
    }
    // The provider's free text is never kept (it may hold the prompt, or the key): a code that held the key is dropped.
    expect(errors[0]).toMatchObject({ code: null, type: 'invalid_request_error' });
    expect(errors[0]!.message).toBe('mock chat failed (auth 401): type invalid_request_error');
    expect(errors[1]!.message).toBe('mock chat failed (server 500): no error type or code');
    for (const e of errors) expect(e.message).not.toContain(KEY.slice(0, 12));
    // ...while the provider did receive it.
    expect(mock.requests.every((r) => r.authorization === `Bearer ${KEY}`)).toBe(true);
  });

  test('configuration errors: missing key variable, unknown model, output cap above the model maximum', async () => {
    const cfg = config(mock.baseUrl);
    expect(() => createProviderClient(cfg, {})).toThrow(ProviderConfigError);
    expect(() => createProviderClient(cfg, { [KEY_ENV]: '' })).toThrow(new RegExp(`${KEY_ENV} is not set`));
    await expect(client.chat({ model: 'gpt-unpriced', messages: user('hi'), maxOutputTokens: 16 })).rejects.toThrow(ProviderConfigError);
    await expect(client.chat({ model: 'mock-chat', messages: user('hi'), maxOutputTokens: 4097 })).rejects.toThrow(ProviderConfigError);
    await expect(client.chat({ model: 'mock-chat', messages: user('hi'), maxOutputTokens: 0 })).rejects.toThrow(ProviderConfigError);
    expect(mock.count()).toBe(0);
  });
});

describe('embed', () => {
  const cosine = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i]!, 0);

  test('deterministic unit vectors; case and whitespace variants are very close (test/ts/semantic-embeddings.test.ts: rewordings)', async () => {
    const a = await client.embed({ model: 'mock-embed', input: 'The quick brown fox' });
    const b = await client.embed({ model: 'mock-embed', input: 'The quick brown fox' });
    const c = await client.embed({ model: 'mock-embed', input: '  the QUICK   brown fox\n' });
    const d = await client.embed({ model: 'mock-embed', input: 'An unrelated sentence about tax law' });
    expect(a.vector).toHaveLength(MOCK_EMBEDDING_DIMS);
    expect(b.vector).toEqual(a.vector);
    expect(Math.abs(cosine(a.vector, a.vector) - 1)).toBeLessThan(1e-6);
    expect(cosine(a.vector, c.vector)).toBeGreaterThan(0.99);
    expect(cosine(a.vector, d.vector)).toBeLessThan(0.9);
    expect(a.inputTokens).toBeGreaterThan(0);
    expect(a.usageReported).toBe(true);
    expect(mock.requests[0]!.body.encoding_format).toBe('float');
  });

  test('dimensions are honoured; missing usage falls back to an upper-bound estimate', async () => {
    const r = await client.embed({ model: 'mock-embed', input: 'size me', dimensions: 64 });
    expect(r.vector).toHaveLength(64);
    mock.addFaults('mock-embed', [{ kind: 'no_usage' }]);
    const n = await client.embed({ model: 'mock-embed', input: 'size me' });
    expect(n.usageReported).toBe(false);
    expect(n.inputTokens).toBe(Buffer.byteLength('size me')); // mock-embed: no OpenAI tokenizer, bytes
  });

  test('embedding faults map like chat faults', async () => {
    mock.addFaults('mock-embed', [{ kind: 'status', status: 429 }, { kind: 'hang' }]);
    expect((await failure(client.embed({ model: 'mock-embed', input: 'x' }))).kind).toBe('rate_limited');
    expect((await failure(client.embed({ model: 'mock-embed', input: 'x', timeoutMs: 200 }))).kind).toBe('timeout');
  });
});
