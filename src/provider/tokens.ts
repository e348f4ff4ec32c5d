/**
 * Input-token estimates used to RESERVE money before a call. They must be upper bounds of what the
 * provider will bill: under-estimating lets a call overspend a limit, over-estimating only holds a
 * little more money until settlement releases it.
 *
 * The rule per model, in order (README "Token estimates"):
 *   1. `tokenCountUrl`: the provider's own counting endpoint, when it answers in time;
 *   2. an exact local tokenizer for OpenAI families (gpt-tokenizer: o200k, cl100k) plus OpenAI's
 *      chat framing;
 *   3. otherwise `ceil(UTF-8 bytes / bytesPerToken)` per message plus a generous framing allowance
 *      for chat templates. bytesPerToken is a LOWER bound of the bytes any one token covers, so the
 *      quotient is an upper bound of the tokens: 1 (the default) holds for every byte-level BPE and
 *      SentencePiece-with-byte-fallback tokenizer; an average (about 4 on English) does not.
 */
import * as cl100k from 'gpt-tokenizer/encoding/cl100k_base';
import * as o200k from 'gpt-tokenizer/encoding/o200k_base';
import type { Tokenizer } from './models';

export { tokenizerFor } from './models';

export interface TokenMessage {
  role: string;
  content: string;
}

export interface EstimateRule {
  tokenizer: Tokenizer;
  /** Only with tokenizer 'bytes': a lower bound of the UTF-8 bytes one token covers (default 1). */
  bytesPerToken?: number;
}

// Chat framing per message (role + separators) and the reply primer, as in OpenAI's cookbook.
const OPENAI_PER_MESSAGE = 4;
const OPENAI_PER_REPLY = 3;
// Other chat templates (Llama 3 headers, ChatML, [INST] ...) spend more per message: allow 8, plus
// the role name itself, and 8 for the BOS and the assistant primer.
const TEMPLATE_PER_MESSAGE = 8;
const TEMPLATE_PER_REPLY = 8;

// User text containing "<|endoftext|>" must count as plain text, not throw (the default).
const PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

function ruleOf(rule: EstimateRule | Tokenizer): EstimateRule {
  return typeof rule === 'string' ? { tokenizer: rule } : rule;
}

export function countTextTokens(text: string, rule: EstimateRule | Tokenizer): number {
  if (text.length === 0) return 0;
  const r = ruleOf(rule);
  if (r.tokenizer === 'o200k') return o200k.countTokens(text, PLAIN_TEXT);
  if (r.tokenizer === 'cl100k') return cl100k.countTokens(text, PLAIN_TEXT);
  // Byte-level BPE never produces more tokens than UTF-8 bytes; a ratio is the operator's assumption.
  return Math.ceil(Buffer.byteLength(text, 'utf8') / (r.bytesPerToken ?? 1));
}

/** The local estimate (rules 2 and 3). */
export function estimateInputTokens(messages: TokenMessage[], rule: EstimateRule | Tokenizer): number {
  const r = ruleOf(rule);
  const exact = r.tokenizer !== 'bytes';
  let total = exact ? OPENAI_PER_REPLY : TEMPLATE_PER_REPLY;
  for (const m of messages) {
    total += exact
      ? OPENAI_PER_MESSAGE + countTextTokens(m.content, r)
      : TEMPLATE_PER_MESSAGE + Buffer.byteLength(m.role, 'utf8') + countTextTokens(m.content, r);
  }
  return total;
}

export interface TokenEstimate {
  tokens: number;
  method: 'count_endpoint' | 'o200k' | 'cl100k' | 'bytes' | 'ratio';
  /** Set when `tokenCountUrl` is configured but did not answer usefully: why the local rule applied. */
  fallback?: string;
}

export interface EstimatorModel extends EstimateRule {
  name: string;
  tokenCountUrl?: string;
}

/** The local rule's name for a model: its exact tokenizer, or bytes / ratio. */
export function localMethod(rule: EstimateRule): TokenEstimate['method'] {
  if (rule.tokenizer !== 'bytes') return rule.tokenizer;
  return rule.bytesPerToken && rule.bytesPerToken !== 1 ? 'ratio' : 'bytes';
}

/**
 * Rule 1: POST {model, messages} to the provider's counting endpoint (vLLM's /tokenize shape;
 * `count`, `input_tokens` or `tokens.length` is read). Any failure falls back to the local rule,
 * with `fallback` saying why (the worker logs it), so a broken endpoint costs a larger hold, never
 * an under-count. `fetchImpl` is for tests.
 */
export async function estimateWithEndpoint(
  model: EstimatorModel,
  messages: TokenMessage[],
  opts: { apiKey?: string; timeoutMs?: number; fetchImpl?: typeof fetch } = {},
): Promise<TokenEstimate> {
  const local = (fallback?: string): TokenEstimate => ({
    tokens: estimateInputTokens(messages, model),
    method: localMethod(model),
    ...(fallback === undefined ? {} : { fallback }),
  });
  if (!model.tokenCountUrl) return local();
  try {
    const res = await (opts.fetchImpl ?? fetch)(model.tokenCountUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {}) },
      body: JSON.stringify({ model: model.name, messages: messages.map((m) => ({ role: m.role, content: m.content })) }),
      signal: AbortSignal.timeout(opts.timeoutMs ?? 2000),
    });
    if (!res.ok) {
      await res.body?.cancel().catch(() => {});
      return local(`HTTP ${res.status}`);
    }
    const body = (await res.json()) as { count?: unknown; input_tokens?: unknown; tokens?: unknown };
    const n = [body.count, body.input_tokens, Array.isArray(body.tokens) ? body.tokens.length : undefined]
      .find((v): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0);
    return n === undefined ? local('no count, input_tokens or tokens in the answer') : { tokens: n, method: 'count_endpoint' };
  } catch (e) {
    const err = e as Error & { cause?: { code?: string; message?: string; errors?: Array<{ code?: string }> } };
    const why = err?.cause?.code ?? err?.cause?.errors?.[0]?.code ?? err?.cause?.message;
    // JSON.parse quotes the body it could not read (the endpoint may echo the messages): never logged.
    return local(err?.name === 'TimeoutError' ? `no answer within ${opts.timeoutMs ?? 2000} ms`
      : err?.name === 'SyntaxError' ? 'the answer is not valid JSON'
        : `${err?.message ?? String(e)}${why ? ` (${why})` : ''}`.slice(0, 200));
  }
}
