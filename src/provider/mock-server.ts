/**
 * An OpenAI-compatible HTTP server for tests and demos (a test tool, not the product: product code
 * must never special-case it). Deterministic answers, honest token counts, and injectable faults,
 * either through the in-process API or through `[[fault:...]]` markers in message content so that
 * child processes (workers under test) can trigger them too.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
// js-tiktoken ships CommonJS builds beside its ES modules; its types are typed as ES modules only.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Tiktoken } = require('js-tiktoken/lite') as {
  Tiktoken: new (ranks: unknown) => { encode(text: string, allowed: string[], disallowed: string[]): number[]; decode(tokens: number[]): string };
};
const ranks = (name: 'cl100k_base' | 'o200k_base'): unknown =>
  name === 'cl100k_base' ? require('js-tiktoken/ranks/cl100k_base') : require('js-tiktoken/ranks/o200k_base');
import { MOCK_EMBEDDING_DIMS, mockEmbedding } from './mock-embedding';

export { MOCK_EMBEDDING_DIMS, mockEmbedding } from './mock-embedding';

export type MockFault =
  | { kind: 'latency'; ms: number }
  /** An HTTP answer with this status; `headers` add to (or replace) content-type and the 429's `retry-after: 1`. */
  | { kind: 'status'; status: number; body?: string; headers?: Record<string, string> }
  | { kind: 'hang' }
  | { kind: 'malformed' }
  | { kind: 'no_usage' }
  | { kind: 'drop' }
  /** A chat answer whose text (and reasoning, when given) is exactly this, billed as counted. */
  | { kind: 'content'; text: string; reasoning?: string }
  /** A chat answer that says another model served it (a gateway's routing or fallback). */
  | { kind: 'answered_as'; model: string };

export interface MockRequest {
  path: string;
  model: string;
  body: any;
  at: number;
  fault: MockFault | null;
  authorization: string | undefined;
  /** true once the connection closed before a complete answer was sent (client abort, drop, stop). */
  aborted: boolean;
}

export interface MockProvider {
  baseUrl: string;
  requests: MockRequest[];
  count(filter?: (r: MockRequest) => boolean): number;
  /** Calls of POST /tokenize (kept apart from `requests`, which are billable calls). */
  tokenizeCalls(): number;
  /** Faults consumed one per matching request, in order; when used up, requests succeed. `match` is a model name, or a substring of the concatenated message contents. */
  addFaults(match: string, faults: MockFault[]): void;
  setDefaultLatency(ms: number): void;
  reset(): void;
  stop(): Promise<void>;
}

/** Models listed by GET /v1/models (any model name is served). */
export const MOCK_MODELS = ['gpt-4o-mini', 'mock-chat', 'mock-reasoner', 'o4-mini', 'mock-llama', 'mock-embed'] as const;

const MAX_BODY = 1024 * 1024;
// Past this we stop draining an oversized body and just cut the connection.
const MAX_DRAIN = 16 * MAX_BODY;
const NATURAL_COMPLETION_TOKENS = 32;
const WORDS = (
  'alpha bravo cedar delta ember falcon garden harbor island jasper kernel lantern meadow nickel ' +
  'orbit pepper quartz river saddle timber umbra velvet willow xenon yonder zephyr amber basin ' +
  'canyon dune echo forest glacier hollow'
).split(' ');

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type = 'invalid_request_error',
    readonly code: string | null = null,
  ) {
    super(message);
  }
}

/**
 * Token counting, the mock's own way, never the estimator's code: OpenAI's vocabularies through
 * js-tiktoken (another implementation than the estimator's gpt-tokenizer, so a bug in either shows
 * as a disagreement), cl100k for the gpt-4/3.5 families and o200k for other names, and for
 * `*llama*` names a scheme of its own in the spirit of SentencePiece with byte fallback (llamaTokens).
 */
type Family = 'cl100k' | 'o200k' | 'llama';

function familyOf(model: string): Family {
  if (/(^|\/)gpt-(4|3\.5)(-|$)/.test(model)) return 'cl100k';
  return /llama/i.test(model) ? 'llama' : 'o200k';
}

interface Encoder {
  encode(text: string): number[];
  decode(tokens: number[]): string;
}

// Built once per process: o200k when a mock server starts, cl100k on first use; special-token text is plain text.
const encoders = new Map<'cl100k' | 'o200k', Encoder>();
function encoderOf(model: string): Encoder {
  const name = familyOf(model) === 'cl100k' ? 'cl100k' : 'o200k';
  let enc = encoders.get(name);
  if (!enc) {
    const t = new Tiktoken(ranks(name === 'cl100k' ? 'cl100k_base' : 'o200k_base'));
    enc = { encode: (text) => t.encode(text, [], []), decode: (tokens) => t.decode(tokens) };
    encoders.set(name, enc);
  }
  return enc;
}

/**
 * Pieces are runs of ASCII letters/digits (with one leading space), single other ASCII characters,
 * and single non-ASCII code points. An ASCII word costs one token per 4 characters, a punctuation
 * mark or space one token, a BMP code point one token, an astral one (emoji) two.
 */
function llamaTokens(text: string): number {
  let n = 0;
  for (const piece of text.match(/ ?[A-Za-z0-9]+|[\x00-\x7f]|[^\x00-\x7f]/gsu) ?? []) {
    if (/^ ?[A-Za-z0-9]+$/.test(piece)) n += Math.ceil(piece.length / 4);
    else if (piece.length === 1 && piece.charCodeAt(0) < 0x80) n += 1;
    else n += piece.codePointAt(0)! > 0xffff ? 2 : 1;
  }
  return n;
}

function countTokens(text: string, model: string): number {
  if (!text) return 0;
  return familyOf(model) === 'llama' ? llamaTokens(text) : encoderOf(model).encode(text).length;
}

/** Prompt tokens as billed: OpenAI's framing (4 per message, 3 for the reply), or a Llama-3 template. */
function promptTokens(messages: Array<{ role: string; content: string }>, model: string): number {
  if (familyOf(model) === 'llama') {
    // <|begin_of_text|>, then per message <|start_header_id|>role<|end_header_id|>\n\n ... <|eot_id|>, then the assistant header.
    return messages.reduce((n, m) => n + 4 + llamaTokens(m.role) + countTokens(m.content, model), 1) + 4;
  }
  return messages.reduce((n, m) => n + 4 + countTokens(m.content, model), 3);
}

/** OpenAI's o-series and gpt-5 refuse max_tokens. */
function refusesMaxTokens(model: string): boolean {
  return /^(o\d+|gpt-5)([-.:_]|$)/.test(model.slice(model.lastIndexOf('/') + 1).toLowerCase());
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Deterministic byte stream from a seed. */
function hashBytes(seed: string, n: number): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; parts.length * 32 < n; i++) parts.push(sha256(`${seed}#${i}`));
  return Buffer.concat(parts).subarray(0, n);
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  // Content-part arrays: only text parts count.
  if (Array.isArray(content)) return content.map((p) => (typeof p?.text === 'string' ? p.text : '')).join('');
  return '';
}

interface ChatBody {
  model: string;
  messages: Array<{ role: string; content: string }>;
  cap: number;
  json: boolean;
}

function parseChatBody(body: any): ChatBody {
  if (typeof body?.model !== 'string' || !body.model) throw new HttpError(400, 'you must provide a model parameter');
  if (!Array.isArray(body.messages) || body.messages.length === 0) throw new HttpError(400, 'messages must be a non-empty array');
  const messages = body.messages.map((m: any) => {
    if (typeof m?.role !== 'string') throw new HttpError(400, 'each message needs a role');
    return { role: m.role, content: contentText(m.content) };
  });
  if (body.max_tokens !== undefined && refusesMaxTokens(body.model)) {
    throw new HttpError(400, "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
      'invalid_request_error', 'unsupported_parameter');
  }
  const cap = body.max_tokens ?? body.max_completion_tokens ?? 64;
  if (!Number.isInteger(cap) || cap < 1) throw new HttpError(400, 'max_tokens must be a positive integer');
  const lastUser = [...messages].reverse().find((m) => m.role === 'user');
  const json = body.response_format?.type === 'json_object' || /\bJSON\b/.test(lastUser?.content ?? '');
  return { model: body.model, messages, cap, json };
}

/**
 * Adds hash-chosen words while the rendering still fits `budget` tokens; if even zero words do
 * not fit (JSON skeleton under a tiny max_tokens) the rendering is cut, like a real truncation.
 * Each added word is its own pre-tokenizer piece, so the count only grows with the words: the
 * longest prefix that fits is found by bisection (about 7 encodes instead of up to 64, which kept
 * the in-process mock from being a zero-latency provider in the bench).
 */
function fitText(seed: string, budget: number, model: string, render: (words: string[]) => string): { text: string; cut: boolean } {
  const all = Array.from(hashBytes(seed, 64), (pick) => WORDS[pick % WORDS.length]!);
  let lo = 0; // words[0..lo) fit (or lo = 0)
  let hi = all.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (countTokens(render(all.slice(0, mid)), model) <= budget) lo = mid;
    else hi = mid - 1;
  }
  let text = render(all.slice(0, lo));
  const cut = countTokens(text, model) > budget;
  const enc = encoderOf(model);
  for (let keep = budget; countTokens(text, model) > budget; keep--) text = enc.decode(enc.encode(text).slice(0, keep));
  return { text, cut };
}

/** The `content` fault: the generated answer with its text (and reasoning) replaced, completion tokens counted on them. */
function withContent(completion: object, fault: { text: string; reasoning?: string }): object {
  const c = completion as { model: string; choices: Array<{ message: Record<string, unknown> }>; usage: Record<string, number> };
  const message = c.choices[0]!.message;
  message.content = fault.text;
  if (fault.reasoning !== undefined) message.reasoning_content = fault.reasoning;
  const completionTokens = countTokens(fault.text, c.model) + countTokens(fault.reasoning ?? '', c.model);
  c.usage.completion_tokens = completionTokens;
  c.usage.total_tokens = c.usage.prompt_tokens! + completionTokens;
  return c;
}

function chatCompletion(req: ChatBody, withUsage: boolean): object {
  const key = sha256(JSON.stringify([req.model, req.messages])).toString('hex');
  const budget = Math.min(req.cap, NATURAL_COMPLETION_TOKENS);
  const reasoner = req.model.includes('reasoner');
  // Reasoning shares the output budget, as it does at real providers (it is billed as output).
  const reasoningBudget = reasoner ? Math.floor(budget / 4) : 0;
  const reasoning = reasoner ? fitText(`${key}:r`, reasoningBudget, req.model, (w) => w.join(' ')).text : null;
  const render = req.json
    ? (w: string[]) => JSON.stringify({ answer: w.join(' '), confidence: 0.5 })
    : (w: string[]) => w.join(' ');
  const { text: content, cut } = fitText(key, budget - reasoningBudget, req.model, render);
  const reasoningTokens = reasoning === null ? 0 : countTokens(reasoning, req.model);
  const prompt = promptTokens(req.messages, req.model);
  const completionTokens = countTokens(content, req.model) + reasoningTokens;
  return {
    id: `chatcmpl-${key.slice(0, 24)}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: req.model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content, ...(reasoning !== null ? { reasoning_content: reasoning } : {}) },
        // Plain text "wants" NATURAL_COMPLETION_TOKENS; a JSON object that closed finished on its own.
        finish_reason: cut || (!req.json && req.cap < NATURAL_COMPLETION_TOKENS) ? 'length' : 'stop',
      },
    ],
    ...(withUsage
      ? {
          usage: {
            prompt_tokens: prompt,
            completion_tokens: completionTokens,
            total_tokens: prompt + completionTokens,
            prompt_tokens_details: { cached_tokens: 0 },
            ...(reasoner ? { completion_tokens_details: { reasoning_tokens: reasoningTokens } } : {}),
          },
        }
      : {}),
  };
}

function embeddings(body: any): object {
  if (typeof body?.model !== 'string' || !body.model) throw new HttpError(400, 'you must provide a model parameter');
  const inputs: unknown[] = Array.isArray(body.input) ? body.input : [body.input];
  if (inputs.length === 0 || !inputs.every((s) => typeof s === 'string')) throw new HttpError(400, 'input must be a string or an array of strings');
  const dims = body.dimensions ?? MOCK_EMBEDDING_DIMS;
  if (!Number.isInteger(dims) || dims < 1 || dims > 4096) throw new HttpError(400, 'dimensions must be an integer in 1..4096');
  const base64 = body.encoding_format === 'base64';
  const data = (inputs as string[]).map((text, index) => {
    const vec = mockEmbedding(text, dims);
    const embedding = base64 ? Buffer.from(new Float32Array(vec).buffer).toString('base64') : vec;
    return { object: 'embedding', index, embedding };
  });
  const tokens = (inputs as string[]).reduce((n, s) => n + countTokens(s, body.model), 0);
  return { object: 'list', data, model: body.model, usage: { prompt_tokens: tokens, total_tokens: tokens } };
}

/** `[[fault:hang]]`, `[[fault:status=500]]`, `[[fault-once:latency=200]]`, ... */
function parseMarker(text: string): { once: boolean; fault: MockFault } | null {
  const m = /\[\[fault(-once)?:([a-z_]+)(?:=(\d{1,7}))?\]\]/.exec(text);
  if (!m) return null;
  const [, once, kind, arg] = m;
  const n = arg === undefined ? NaN : Number(arg);
  const fault: MockFault | null =
    kind === 'hang' || kind === 'malformed' || kind === 'no_usage' || kind === 'drop'
      ? { kind }
      : kind === 'status' && n >= 100 && n <= 599
        ? { kind: 'status', status: n }
        : kind === 'latency' && n >= 0
          ? { kind: 'latency', ms: n }
          : null;
  return fault && { once: once !== undefined, fault };
}

function errorBody(status: number, message: string, type: string, code: string | null = null): string {
  return JSON.stringify({ error: { message, type, param: null, code } });
}

const STATUS_ERRORS: Record<number, [string, string, string]> = {
  400: ['Invalid request (mock fault)', 'invalid_request_error', 'invalid_request'],
  401: ['Incorrect API key provided (mock fault)', 'invalid_request_error', 'invalid_api_key'],
  403: ['Permission denied (mock fault)', 'invalid_request_error', 'permission_denied'],
  404: ['The model does not exist (mock fault)', 'invalid_request_error', 'model_not_found'],
  429: ['Rate limit reached (mock fault)', 'requests', 'rate_limit_exceeded'],
};

function faultStatusBody(status: number): string {
  const [message, type, code] = STATUS_ERRORS[status] ?? [
    `Mock fault: HTTP ${status}`,
    status >= 500 ? 'server_error' : 'invalid_request_error',
    null,
  ];
  return errorBody(status, message, type, code);
}

type BodyResult = { ok: true; body: Buffer } | { ok: false; reason: 'too_large' | 'closed' };

/** Reads at most MAX_BODY bytes; an oversized body is drained (so the client gets its 413), not kept. */
function readBody(req: IncomingMessage): Promise<BodyResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
      else chunks.length = 0;
      if (size > MAX_DRAIN) req.destroy();
    });
    req.on('end', () => resolve(size > MAX_BODY ? { ok: false, reason: 'too_large' } : { ok: true, body: Buffer.concat(chunks) }));
    req.on('error', () => resolve({ ok: false, reason: 'closed' }));
    req.on('close', () => resolve({ ok: false, reason: 'closed' }));
  });
}

function send(res: ServerResponse, status: number, body: string | object, headers: Record<string, string> = {}): void {
  if (res.destroyed || res.writableEnded) return;
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Resolves after `ms`, or early when the connection goes away (so stop() never waits on timers). */
function delay(ms: number, res: ServerResponse): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      res.off('close', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    res.on('close', done);
  });
}

export async function startMockProvider(opts: { port?: number; host?: string } = {}): Promise<MockProvider> {
  const host = opts.host ?? '127.0.0.1';
  const requests: MockRequest[] = [];
  let queues: Array<{ match: string; faults: MockFault[] }> = [];
  let onceSeen = new Set<string>();
  let defaultLatencyMs = 0;
  let tokenizeCalls = 0;
  const sockets = new Set<Socket>();

  function takeFault(model: string, text: string, key: string): MockFault | null {
    const queue = queues.find((q) => q.faults.length > 0 && (q.match === model || text.includes(q.match)));
    if (queue) return queue.faults.shift()!;
    const marker = parseMarker(text);
    if (!marker) return null;
    if (!marker.once) return marker.fault;
    if (onceSeen.has(key)) return null;
    onceSeen.add(key);
    return marker.fault;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    const route = `${req.method} ${path}`;
    if (route === 'GET /v1/models') {
      return send(res, 200, { object: 'list', data: MOCK_MODELS.map((id) => ({ id, object: 'model', created: 0, owned_by: 'mock' })) });
    }
    if (route === 'POST /tokenize') return tokenize(req, res);
    if (route !== 'POST /v1/chat/completions' && route !== 'POST /v1/embeddings') {
      return send(res, 404, errorBody(404, `Unknown request URL: ${route}`, 'invalid_request_error', 'unknown_url'));
    }
    const read = await readBody(req);
    if (!read.ok) {
      return send(res, 413, errorBody(413, 'Request body exceeds 1 MiB', 'invalid_request_error', 'request_too_large'), { connection: 'close' });
    }
    let body: any;
    try {
      body = JSON.parse(read.body.toString('utf8'));
    } catch {
      return send(res, 400, errorBody(400, 'Request body is not valid JSON', 'invalid_request_error'));
    }
    const isChat = path === '/v1/chat/completions';
    const text = isChat
      ? (Array.isArray(body?.messages) ? body.messages : []).map((m: any) => contentText(m?.content)).join('\n')
      : [body?.input].flat().filter((s) => typeof s === 'string').join('\n');
    const model = typeof body?.model === 'string' ? body.model : '';
    const key = sha256(JSON.stringify(isChat ? body?.messages : body?.input) ?? '').toString('hex');
    const record: MockRequest = {
      path,
      model,
      body,
      at: Date.now(),
      fault: takeFault(model, text, key),
      authorization: req.headers.authorization,
      aborted: false,
    };
    requests.push(record);
    res.on('close', () => {
      if (!res.writableFinished) record.aborted = true;
    });
    await respond(record, isChat, res);
  }

  /** vLLM-style counting endpoint: POST /tokenize {model, messages} -> {count}, counted as the chat would bill. */
  async function tokenize(req: IncomingMessage, res: ServerResponse): Promise<void> {
    tokenizeCalls++;
    const read = await readBody(req);
    try {
      const body = read.ok ? JSON.parse(read.body.toString('utf8')) : null;
      const chat = parseChatBody({ ...body, max_tokens: undefined, max_completion_tokens: 1 });
      send(res, 200, { count: promptTokens(chat.messages, chat.model), max_model_len: 131072 });
    } catch (e) {
      send(res, 400, errorBody(400, e instanceof Error ? e.message : 'bad request', 'invalid_request_error'));
    }
  }

  async function respond(record: MockRequest, isChat: boolean, res: ServerResponse): Promise<void> {
    const fault = record.fault;
    await delay(defaultLatencyMs + (fault?.kind === 'latency' ? fault.ms : 0), res);
    if (res.destroyed) return;
    switch (fault?.kind) {
      case 'hang':
        return; // stop() or the client's abort ends it
      case 'drop':
        res.socket?.destroy();
        return;
      case 'malformed':
        return send(res, 200, '{"id":"chatcmpl-malformed","object":"chat.completion","choices":[{"message":');
      case 'status':
        return send(res, fault.status, fault.body ?? faultStatusBody(fault.status),
          { ...(fault.status === 429 ? { 'retry-after': '1' } : {}), ...fault.headers });
    }
    try {
      if (isChat && fault?.kind === 'content') return send(res, 200, withContent(chatCompletion(parseChatBody(record.body), true), fault));
      if (isChat && fault?.kind === 'answered_as') return send(res, 200, { ...chatCompletion(parseChatBody(record.body), true), model: fault.model });
      send(res, 200, isChat ? chatCompletion(parseChatBody(record.body), fault?.kind !== 'no_usage') : withoutUsage(embeddings(record.body), fault));
    } catch (e) {
      if (!(e instanceof HttpError)) throw e;
      send(res, e.status, errorBody(e.status, e.message, e.type, e.code));
    }
  }

  // Build the default vocabulary now (about 1.6 s of CPU on this machine, more under load), not on the
  // first request: the first chat call of a test would otherwise wait for it past its call timeout.
  encoderOf('mock-chat');
  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      send(res, 500, errorBody(500, `mock server error: ${e instanceof Error ? e.message : String(e)}`, 'server_error'));
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  return {
    baseUrl: `http://${urlHost}:${port}/v1`,
    requests,
    count: (filter) => (filter ? requests.filter(filter).length : requests.length),
    tokenizeCalls: () => tokenizeCalls,
    addFaults: (match, faults) => void queues.push({ match, faults: [...faults] }),
    setDefaultLatency: (ms) => void (defaultLatencyMs = Math.max(0, ms)),
    reset: () => {
      requests.length = 0;
      queues = [];
      onceSeen = new Set();
      defaultLatencyMs = 0;
      tokenizeCalls = 0;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy(); // ends hung requests and idle keep-alive connections
      }),
  };
}

function withoutUsage(body: object, fault: MockFault | null): object {
  if (fault?.kind !== 'no_usage') return body;
  const { usage: _usage, ...rest } = body as { usage?: unknown };
  return rest;
}
