/**
 * The provider boundary: one OpenAI-compatible call, hard-bounded in time, with the answer
 * validated before anyone bills from it. No retries here: graphile-worker owns them, and a hidden
 * SDK retry would spend money the governor never reserved.
 */
import OpenAI from 'openai';
import { Agent, fetch as undiciFetch } from 'undici';
import { z } from 'zod';
import { errorToken, MalformedResponseError, ProviderConfigError, ProviderNotSentError, toProviderError } from './errors';
import { findModel, type ModelConfig, type ProviderConfig } from './models';
import { countTextTokens, estimateWithEndpoint, type TokenEstimate, type TokenMessage } from './tokens';

const DEFAULT_TIMEOUT_MS = 60_000;

export interface ChatMessage {
  role: 'system' | 'developer' | 'user' | 'assistant';
  content: string;
}

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  maxOutputTokens: number;
  timeoutMs?: number;
  responseFormatJson?: boolean;
  signal?: AbortSignal;
}

export interface TokenUsage {
  /** Uncached input tokens (prompt_tokens - cached_tokens): the two are priced differently. */
  inputTokens: number;
  cachedInputTokens: number;
  /** completion_tokens, reasoning included (providers bill reasoning as output). */
  outputTokens: number;
}

export interface ChatResult {
  content: string;
  reasoning: string | null;
  usage: TokenUsage | null;
  latencyMs: number;
  finishReason: string | null;
  providerModel: string;
}

export interface EmbedRequest {
  model: string;
  input: string;
  dimensions?: number;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface EmbedResult {
  vector: number[];
  inputTokens: number;
  latencyMs: number;
  /** false when the provider sent no usage and inputTokens is our upper-bound estimate. */
  usageReported: boolean;
}

export interface ProviderClient {
  readonly provider: string;
  chat(req: ChatRequest): Promise<ChatResult>;
  embed(req: EmbedRequest): Promise<EmbedResult>;
  /** Upper-bound input-token estimate for `model` (README "Token estimates"). */
  estimateInputTokens(model: string, messages: TokenMessage[]): Promise<TokenEstimate>;
}

/**
 * The ledger's range of a token count (the attempts' checks, llm.settle_call's require_range): no call uses more. A count
 * past it is no usage: the settle refused it (22023, or 22003 past int4), the hold stayed until the expiry sweep charged it
 * and the request ended job_lost, its answer lost (provider-compatibility drill 90: prompt_tokens 1e12). It is a malformed
 * answer instead, like a negative count: the usage unknown, the full hold charged at once, retried within the job's attempts.
 */
export const MAX_REPORTED_TOKENS = 10_000_000;
const tokenCount = z.int().nonnegative().max(MAX_REPORTED_TOKENS);

const ChatResponse = z.object({
  model: z.string().optional(),
  choices: z
    .array(
      z.object({
        message: z.object({
          // A string, or an array of parts (Mistral's reasoning models): the text parts joined, the others (a thinking
          // part) left out. Any other shape is malformed (drill 90: parts were settled malformed, the call charged in full).
          content: z.union([z.string(), z.array(z.object({ type: z.string(), text: z.string().optional() }).loose())]).nullish()
            .transform((c) => (Array.isArray(c) ? c.filter((p) => p.type === 'text').map((p) => p.text ?? '').join('') : c)),
          // DeepSeek-style and OpenRouter-style reasoning fields.
          reasoning_content: z.string().nullish(),
          reasoning: z.string().nullish(),
        }),
        finish_reason: z.string().nullish(),
      }),
    )
    .min(1),
  usage: z
    .object({
      prompt_tokens: tokenCount,
      completion_tokens: tokenCount,
      prompt_tokens_details: z.object({ cached_tokens: tokenCount.nullish() }).nullish(),
      // DeepSeek's cache counts (prompt_tokens = hit + miss), read only without prompt_tokens_details.cached_tokens. A value
      // that is no count is ignored: the prompt is then priced uncached, which costs more, never less.
      prompt_cache_hit_tokens: tokenCount.nullish().catch(null),
      prompt_cache_miss_tokens: tokenCount.nullish().catch(null),
    })
    .nullish(),
});

const EmbedResponse = z.object({
  data: z.array(z.object({ embedding: z.array(z.number()).min(1) })).min(1),
  usage: z.object({ prompt_tokens: tokenCount }).nullish(),
});

function parseOrThrow<T extends z.ZodType>(schema: T, raw: unknown, what: string): z.output<T> {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  throw new MalformedResponseError(`${what}: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid'}`);
}

function parseChat(raw: unknown, requestedModel: string): Omit<ChatResult, 'latencyMs'> {
  const body = parseOrThrow(ChatResponse, raw, 'chat completion');
  const choice = body.choices[0]!;
  return {
    content: choice.message.content ?? '',
    reasoning: choice.message.reasoning_content ?? choice.message.reasoning ?? null,
    usage: body.usage ? toUsage(body.usage) : null,
    // An identifier (stop, length, tool_calls, content_filter) or null: it goes into a span, where no provider free text may.
    finishReason: errorToken(choice.finish_reason),
    providerModel: body.model ?? requestedModel,
  };
}

function toUsage(u: NonNullable<z.output<typeof ChatResponse>['usage']>): TokenUsage {
  const hits = u.prompt_cache_hit_tokens, misses = u.prompt_cache_miss_tokens;
  // DeepSeek's dialect: its hits count as cached only when they and the misses add up to the prompt (they always do there).
  const deepseekCached = hits != null && misses != null && hits + misses === u.prompt_tokens ? hits : null;
  const cached = u.prompt_tokens_details?.cached_tokens ?? deepseekCached ?? 0;
  if (cached > u.prompt_tokens) throw new MalformedResponseError('usage: cached_tokens exceeds prompt_tokens');
  return { inputTokens: u.prompt_tokens - cached, cachedInputTokens: cached, outputTokens: u.completion_tokens };
}

function elapsed(started: number): number {
  return Math.round(performance.now() - started);
}

/**
 * The HTTP client's own limits on an answer, off by default: the call's deadline is ours (timeoutMs, through our
 * AbortController, which closes the socket). Node's fetch gives up on an answer's headers or body after 300 s
 * (undici's headersTimeout and bodyTimeout) whatever the call's timeout: a reasoning model's 6-minute answer under
 * LLM_CALL_TIMEOUT_MS = 600000 failed at 300.7 s as a timeout, charged in full and sent again (backup drill 89).
 * Tests pass lower ones to see that this dispatcher is the one the SDK's requests go through.
 */
export interface HttpLimits { headersTimeoutMs?: number; bodyTimeoutMs?: number }

function sdkFetch(limits: HttpLimits): typeof fetch {
  const dispatcher = new Agent({ headersTimeout: limits.headersTimeoutMs ?? 0, bodyTimeout: limits.bodyTimeoutMs ?? 0 });
  return ((input: Parameters<typeof undiciFetch>[0], init?: Parameters<typeof undiciFetch>[1]) =>
    undiciFetch(input, { ...init, dispatcher })) as unknown as typeof fetch;
}

export function createProviderClient(cfg: ProviderConfig, env: NodeJS.ProcessEnv = process.env, http: HttpLimits = {}): ProviderClient {
  const apiKey = env[cfg.apiKeyEnv];
  if (!apiKey) throw new ProviderConfigError(`provider ${cfg.name}: environment variable ${cfg.apiKeyEnv} is not set`);
  const defaultTimeoutMs = cfg.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const sdk = new OpenAI({
    fetch: sdkFetch(http),
    baseURL: cfg.baseUrl,
    apiKey,
    maxRetries: 0,
    timeout: defaultTimeoutMs,
    // Never pick up OPENAI_ORG_ID / OPENAI_PROJECT_ID from the environment and send them to another vendor.
    organization: null,
    project: null,
    // The SDK's logger would print prompts; OPENAI_LOG must not turn that on behind our back.
    logLevel: 'off',
  });
  // Providers sometimes echo the key in auth errors; it must not reach logs or job rows.
  const redact = (s: string) => s.split(apiKey).join('[redacted]');

  function modelFor(name: string): ModelConfig {
    const m = findModel(cfg, name);
    // Calling an unpriced model would make settlement impossible: refuse before spending.
    if (!m) throw new ProviderConfigError(`provider ${cfg.name}: model ${JSON.stringify(name.slice(0, 200))} is not configured`);
    return m;
  }

  function timeoutFor(ms: number | undefined): number {
    const t = ms ?? defaultTimeoutMs;
    if (!Number.isInteger(t) || t <= 0) throw new ProviderConfigError(`timeoutMs must be a positive integer, got ${t}`);
    return t;
  }

  /** Runs one request under our own AbortController so a timeout closes the socket, body read included. */
  async function guarded<T>(
    operation: string,
    timeoutMs: number,
    signal: AbortSignal | undefined,
    fn: (signal: AbortSignal) => Promise<T>,
  ): Promise<{ value: T; latencyMs: number }> {
    const controller = new AbortController();
    let abortReason: 'timeout' | 'caller' | null = null;
    const abort = (why: 'timeout' | 'caller') => {
      abortReason ??= why;
      controller.abort();
    };
    // Aborted before anything is sent: say so, so that the hold is released rather than charged as an unknown outcome.
    if (signal?.aborted) throw new ProviderNotSentError(`${cfg.name} ${operation} not sent: the caller aborted first (the worker is stopping)`);
    const onCallerAbort = () => abort('caller');
    const timer = setTimeout(() => abort('timeout'), timeoutMs);
    signal?.addEventListener('abort', onCallerAbort, { once: true });
    const started = performance.now();
    try {
      const value = await fn(controller.signal);
      return { value, latencyMs: elapsed(started) };
    } catch (e) {
      const latencyMs = elapsed(started);
      throw toProviderError(e, { provider: cfg.name, operation, latencyMs, abortReason, timeoutMs, redact, gateway: cfg.gateway });
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onCallerAbort);
    }
  }

  async function chat(req: ChatRequest): Promise<ChatResult> {
    const model = modelFor(req.model);
    if (!Number.isInteger(req.maxOutputTokens) || req.maxOutputTokens <= 0 || req.maxOutputTokens > model.maxOutputTokens) {
      throw new ProviderConfigError(`maxOutputTokens must be an integer in 1..${model.maxOutputTokens} for ${model.name}`);
    }
    const timeoutMs = timeoutFor(req.timeoutMs);
    const { value, latencyMs } = await guarded('chat', timeoutMs, req.signal, async (signal) => {
      const raw: unknown = await sdk.chat.completions.create(
        {
          model: req.model,
          messages: req.messages.map((m) => ({ role: m.role, content: m.content }) as OpenAI.Chat.ChatCompletionMessageParam),
          // o-series and gpt-5 refuse max_tokens; the model's tokenParameter says which field it takes.
          ...(model.tokenParameter === 'max_completion_tokens'
            ? { max_completion_tokens: req.maxOutputTokens }
            : { max_tokens: req.maxOutputTokens }),
          ...(req.responseFormatJson ? { response_format: { type: 'json_object' as const } } : {}),
        },
        { signal, timeout: timeoutMs },
      );
      return parseChat(raw, req.model);
    });
    return { ...value, latencyMs };
  }

  async function embed(req: EmbedRequest): Promise<EmbedResult> {
    const model = modelFor(req.model);
    const timeoutMs = timeoutFor(req.timeoutMs);
    const { value, latencyMs } = await guarded('embed', timeoutMs, req.signal, async (signal) => {
      const raw: unknown = await sdk.embeddings.create(
        {
          model: req.model,
          input: req.input,
          // Explicit: the SDK otherwise asks for base64, which many compatible servers lack.
          encoding_format: 'float',
          ...(req.dimensions !== undefined ? { dimensions: req.dimensions } : {}),
        },
        { signal, timeout: timeoutMs },
      );
      return parseOrThrow(EmbedResponse, raw, 'embedding');
    });
    const reported = value.usage?.prompt_tokens;
    return {
      vector: value.data[0]!.embedding,
      // Without reported usage, an upper bound (usageReported false): the worker settles such a call as an unknown usage.
      inputTokens: reported ?? countTextTokens(req.input, model),
      latencyMs,
      usageReported: reported !== undefined,
    };
  }

  async function estimateInputTokens(name: string, messages: TokenMessage[]): Promise<TokenEstimate> {
    return estimateWithEndpoint(modelFor(name), messages, { apiKey });
  }

  return { provider: cfg.name, chat, embed, estimateInputTokens };
}
