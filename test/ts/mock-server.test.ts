/** The mock provider itself, spoken to over raw HTTP: routing, limits, token honesty, lifecycle. */
import { MOCK_EMBEDDING_DIMS, MOCK_MODELS, startMockProvider, type MockProvider } from '../../src/provider/mock-server';

let mock: MockProvider;

beforeAll(async () => {
  mock = await startMockProvider();
});
afterEach(() => mock.reset());
afterAll(() => mock.stop());

// Response.json() is typed unknown; these tests poke at OpenAI-shaped bodies freely.
async function json(r: Promise<Response> | Response): Promise<any> {
  return (await r).json();
}

function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${mock.baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

test('listens on loopback with a random port', () => {
  expect(mock.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
});

test('GET /v1/models lists the mock models', async () => {
  const r = await fetch(`${mock.baseUrl}/models`);
  expect(r.status).toBe(200);
  const body = await json(r);
  expect(body.data.map((m: { id: string }) => m.id)).toEqual([...MOCK_MODELS]);
});

test('unknown paths get a 404 OpenAI-style error', async () => {
  const r = await post('/completions', { model: 'x' });
  expect(r.status).toBe(404);
  expect((await json(r)).error).toMatchObject({ type: 'invalid_request_error', code: 'unknown_url' });
});

test('bodies over 1 MiB are refused with 413; invalid JSON with 400', async () => {
  const big = await post('/chat/completions', { model: 'mock-chat', messages: [{ role: 'user', content: 'x'.repeat(1024 * 1024) }] });
  expect(big.status).toBe(413);
  expect((await json(big)).error.code).toBe('request_too_large');
  const bad = await post('/chat/completions', '{not json');
  expect(bad.status).toBe(400);
  expect(mock.count()).toBe(0);
});

test('requests are recorded in order with path, model and Authorization', async () => {
  await post('/chat/completions', { model: 'mock-chat', messages: [{ role: 'user', content: 'a' }] }, { authorization: 'Bearer k1' });
  await post('/embeddings', { model: 'mock-embed', input: 'b' });
  expect(mock.requests.map((r) => [r.path, r.model, r.authorization])).toEqual([
    ['/v1/chat/completions', 'mock-chat', 'Bearer k1'],
    ['/v1/embeddings', 'mock-embed', undefined],
  ]);
  expect(mock.count((r) => r.path.endsWith('/embeddings'))).toBe(1);
});

test('completion_tokens honours max_tokens and matches the content; prompt_tokens follows the framing', async () => {
  for (const cap of [1, 3, 10, 31, 32, 200]) {
    const messages = [{ role: 'user', content: 'count me' }];
    const body = await json(post('/chat/completions', { model: 'gpt-4o-mini', messages, max_tokens: cap }));
    const want = Math.min(cap, 32);
    expect(body.usage.completion_tokens).toBeLessThanOrEqual(want);
    expect(body.usage.completion_tokens).toBeGreaterThanOrEqual(Math.max(1, want - 3));
    expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + body.usage.completion_tokens);
    expect(body.usage.prompt_tokens_details).toEqual({ cached_tokens: 0 });
    expect(body.choices[0].message.role).toBe('assistant');
  }
  const viaCompletionCap = await json(
    post('/chat/completions', { model: 'mock-chat', messages: [{ role: 'user', content: 'x' }], max_completion_tokens: 4 }),
  );
  expect(viaCompletionCap.usage.completion_tokens).toBeLessThanOrEqual(4);
});

test('a reasoner reports reasoning tokens inside completion tokens', async () => {
  const body = await json(post('/chat/completions', { model: 'mock-reasoner', messages: [{ role: 'user', content: 'why?' }] }));
  const reasoning = body.usage.completion_tokens_details.reasoning_tokens;
  expect(body.choices[0].message.reasoning_content.length).toBeGreaterThan(0);
  expect(reasoning).toBeGreaterThan(0);
  expect(body.usage.completion_tokens).toBeGreaterThan(reasoning);
  expect(body.usage.completion_tokens).toBeLessThanOrEqual(32);
});

test('base64 embeddings decode to the float ones', async () => {
  const asFloat = await json(post('/embeddings', { model: 'mock-embed', input: ['one', 'two'] }));
  const as64 = await json(post('/embeddings', { model: 'mock-embed', input: ['one', 'two'], encoding_format: 'base64' }));
  expect(asFloat.data).toHaveLength(2);
  const bytes = Buffer.from(as64.data[1].embedding, 'base64');
  const decoded = Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4));
  expect(decoded).toHaveLength(MOCK_EMBEDDING_DIMS);
  decoded.forEach((x, i) => expect(x).toBeCloseTo(asFloat.data[1].embedding[i], 5));
  expect(asFloat.usage.prompt_tokens).toBe(asFloat.usage.total_tokens);
});

test('reset clears recorded requests and queued faults', async () => {
  mock.addFaults('mock-chat', [{ kind: 'status', status: 500 }]);
  mock.reset();
  const r = await post('/chat/completions', { model: 'mock-chat', messages: [{ role: 'user', content: 'a' }] });
  expect(r.status).toBe(200);
  expect(mock.requests).toHaveLength(1);
});

test('default latency delays every answer', async () => {
  mock.setDefaultLatency(150);
  const started = Date.now();
  await post('/embeddings', { model: 'mock-embed', input: 'slow' });
  expect(Date.now() - started).toBeGreaterThanOrEqual(140);
});

test('stop() ends hung requests', async () => {
  const own = await startMockProvider();
  const hung = fetch(`${own.baseUrl}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'mock-chat', messages: [{ role: 'user', content: '[[fault:hang]]' }] }),
  });
  while (own.count() === 0) await new Promise((r) => setTimeout(r, 10));
  const started = Date.now();
  await own.stop();
  await expect(hung).rejects.toThrow();
  expect(Date.now() - started).toBeLessThan(1000);
  // The server's close event may land a tick after the client's rejection.
  while (!own.requests[0]!.aborted && Date.now() - started < 1000) await new Promise((r) => setTimeout(r, 10));
  expect(own.requests[0]!.aborted).toBe(true);
});

test('POST /tokenize counts like the chat bills; llama names count their own way, not o200k', async () => {
  const messages = [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hello there, how are you? 日本語 🎉' }];
  for (const model of ['mock-llama', 'gpt-4o-mini']) {
    const counted = await json(fetch(mock.baseUrl.replace(/\/v1$/, '/tokenize'), { method: 'POST', body: JSON.stringify({ model, messages }) }));
    const billed = await json(post('/chat/completions', { model, messages, max_tokens: 4 }));
    expect(counted.count).toBe(billed.usage.prompt_tokens);
  }
  const llama = await json(post('/chat/completions', { model: 'mock-llama', messages, max_tokens: 4 }));
  const o200k = await json(post('/chat/completions', { model: 'mock-chat', messages, max_tokens: 4 }));
  expect(llama.usage.prompt_tokens).not.toBe(o200k.usage.prompt_tokens);
  expect(mock.tokenizeCalls()).toBe(2);
  expect(mock.count((r) => r.path === '/tokenize')).toBe(0); // not billable: kept out of `requests`
});

test('o-series and gpt-5 names refuse max_tokens with 400 unsupported_parameter and take max_completion_tokens', async () => {
  const messages = [{ role: 'user', content: 'x' }];
  for (const model of ['o4-mini', 'gpt-5', 'openai/o3']) {
    const r = await post('/chat/completions', { model, messages, max_tokens: 4 });
    expect(r.status).toBe(400);
    expect((await json(r)).error.code).toBe('unsupported_parameter');
    expect((await post('/chat/completions', { model, messages, max_completion_tokens: 4 })).status).toBe(200);
  }
});
