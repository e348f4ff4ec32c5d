/**
 * Errors at the provider boundary. graphile-worker owns retries, so every failure is reduced to a
 * kind plus a `retryable` verdict; the SDK's own error objects never escape (they carry headers
 * and request details we do not want in logs or job rows).
 */
import OpenAI from 'openai';

export type ProviderErrorKind =
  | 'timeout'
  | 'rate_limited'
  | 'server'
  /**
   * A gateway's 502 or 504 (LiteLLM, OpenRouter, Cloudflare, nginx in front of vLLM), or its timeout of the upstream call
   * (408, 520, 524, 598, 599: kindForStatus): the upstream call may have run and been billed, so its outcome is unknown,
   * like our own timeout.
   */
  | 'gateway'
  | 'client'
  | 'auth'
  | 'not_found'
  | 'malformed'
  | 'network'
  /** Our caller (the worker, stopping) aborted the call after it was sent: outcome unknown, not the provider's failure. */
  | 'aborted';

const RETRYABLE: Record<ProviderErrorKind, boolean> = {
  timeout: true,
  rate_limited: true,
  server: true,
  gateway: true,
  network: true,
  malformed: true,
  client: false,
  auth: false,
  not_found: false,
  aborted: true,
};

export class ProviderError extends Error {
  // On the prototype, not a field, so the stack (captured in super()) starts with the right name.
  static {
    this.prototype.name = 'ProviderError';
  }
  readonly retryable: boolean;

  constructor(
    message: string,
    readonly kind: ProviderErrorKind,
    readonly status: number | null,
    readonly latencyMs: number,
    readonly provider: string,
    /** Provider's machine-readable error code (e.g. context_length_exceeded), when it gave one as a short identifier. */
    readonly code: string | null = null,
    /** Provider's error type (e.g. invalid_request_error), when it gave one as a short identifier. */
    readonly type: string | null = null,
    /** How long the provider asked us to wait before the next try (`retry-after-ms`, `retry-after`), when it said. */
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
    this.retryable = RETRYABLE[kind];
  }

  toJSON() {
    const { name, message, kind, status, retryable, latencyMs, provider, code, type, retryAfterMs } = this;
    return { name, message, kind, status, retryable, latencyMs, provider, code, type, retryAfterMs };
  }
}

/** The caller aborted before anything was sent (the worker is stopping): nothing to bill, the hold can be released. */
export class ProviderNotSentError extends Error {
  static {
    this.prototype.name = 'ProviderNotSentError';
  }
}

/** Misconfiguration (missing key variable, unknown model): fixing it needs a human, not a retry. */
export class ProviderConfigError extends Error {
  static {
    this.prototype.name = 'ProviderConfigError';
  }
}

/** A 2xx answer we cannot trust for billing or content. */
export class MalformedResponseError extends Error {
  static {
    this.prototype.name = 'MalformedResponseError';
  }
}

export function kindForStatus(status: number, gateway = false): ProviderErrorKind {
  // Behind a configured gateway every 5xx and 408 may follow an upstream call that ran and was billed (provider-compatibility
  // drill 90: LiteLLM's 500 for an upstream APIConnectionError was charged 0): an unknown outcome.
  if (gateway && (status >= 500 || status === 408)) return 'gateway';
  if (status === 429) return 'rate_limited';
  // A 502 (bad gateway) or 504 (gateway timeout) comes from a proxy in front of the model: the upstream call it forwarded
  // may have run to the end and been billed. Settled as an unknown outcome (the full hold), not as an answer that bills
  // nothing: a 504 was settled with zero usage (review of the provider boundary, 2026-11-26).
  // So do a gateway's timeouts of a call it had sent: LiteLLM answers every upstream timeout with a 408 by default
  // (litellm.Timeout), Cloudflare a 524 when the origin took the request and did not answer in time, and a 520 when the
  // origin's answer broke off; nginx-style proxies a 598 or 599. A 408 had been settled as an answer that bills nothing
  // (provider-compatibility drill 90: a LiteLLM 408 charged 0 on each of 3 tries while the upstream calls ran).
  if (status === 502 || status === 504 || status === 408 || status === 520 || status === 524 || status === 598 || status === 599) {
    return 'gateway';
  }
  // The other 5xx are the server's own answer: it bills nothing and is retried. OpenAI uses 409 for transient lock
  // conflicts (its SDK retries them).
  if (status === 409 || status >= 500) return 'server';
  if (status === 401 || status === 403) return 'auth';
  if (status === 404) return 'not_found';
  return 'client';
}

export interface ErrorContext {
  provider: string;
  operation: string;
  latencyMs: number;
  /** Why our own AbortController fired, if it did. */
  abortReason: 'timeout' | 'caller' | null;
  timeoutMs: number;
  redact: (s: string) => string;
  /**
   * The endpoint is a gateway (the provider's `gateway: true`): its 5xx and 408 may come after the upstream call ran, so each
   * is an unknown outcome (LiteLLM answers an upstream connection error with a 500).
   */
  gateway?: boolean;
}

/**
 * A provider's error text may quote the request back: a validation error echoing the messages, a parser quoting the body
 * it read, a context-length error printing the input ("Input: ... patient Jane Roe SSN ..."), a text/plain 5xx from a
 * proxy. Cutting it at its first quote (the tenth and eleventh reviews) missed every echo without quotes (review of the
 * provider boundary, 2026-11-26). None of it reaches a log line, a span, a metric label or the database: what the error says is its kind, its
 * HTTP status and the provider's error type and code, kept only when each is a short identifier starting with a letter.
 */
export function errorToken(v: unknown): string | null {
  return typeof v === 'string' && /^[A-Za-z][A-Za-z0-9_.:-]{0,63}$/.test(v) ? v : null;
}

/** A day: a longer wait is no wait a job can keep; the worker bounds it further (worker.retryAfterMaxMs). */
const RETRY_AFTER_CEILING_MS = 86_400_000;

/**
 * The wait an error answer asks for: `retry-after-ms` (OpenAI's, milliseconds), else `retry-after` in seconds or as an
 * HTTP date (RFC 9110). null when neither is there or readable; a date in the past is 0.
 */
export function retryAfterMs(headers: { get(name: string): string | null } | undefined | null, now: number = Date.now()): number | null {
  if (!headers || typeof headers.get !== 'function') return null;
  const bound = (ms: number) => Math.min(Math.max(Math.ceil(ms), 0), RETRY_AFTER_CEILING_MS);
  const ms = headers.get('retry-after-ms')?.trim();
  if (ms && /^\d+(\.\d+)?$/.test(ms)) return bound(Number(ms));
  const after = headers.get('retry-after')?.trim();
  if (!after) return null;
  if (/^\d+(\.\d+)?$/.test(after)) return bound(Number(after) * 1000);
  const at = Date.parse(after);
  return Number.isNaN(at) ? null : bound(at - now);
}

export function toProviderError(e: unknown, ctx: ErrorContext): ProviderError {
  const make = (kind: ProviderErrorKind, detail: string, status: number | null = null, code: string | null = null, type: string | null = null,
    retryAfter: number | null = null) =>
    new ProviderError(
      // Redact before truncating: a cut through the key would leave a prefix that no longer matches.
      ctx.redact(`${ctx.provider} ${ctx.operation} failed (${kind}${status ? ` ${status}` : ''}): ${detail}`).slice(0, 500),
      kind,
      status,
      ctx.latencyMs,
      ctx.provider,
      code,
      type,
      retryAfter,
    );
  // Redacted first: a key echoed as the code becomes "[redacted]", which is no identifier, so it is dropped.
  const token = (v: unknown) => (typeof v === 'string' ? errorToken(ctx.redact(v)) : null);
  // Our abort first: the SDK reports it as a user abort or a bare AbortError depending on timing.
  if (ctx.abortReason === 'timeout') return make('timeout', `no complete answer within ${ctx.timeoutMs} ms`);
  // A caller abort (the worker stopping) leaves the outcome unknown, like a timeout, but says nothing about the provider's
  // health: a breaker counting it opened for every worker whenever one stopped with calls in flight (review of 2026-11-26).
  if (ctx.abortReason === 'caller') return make('aborted', 'aborted by caller (the worker is stopping)');
  if (e instanceof OpenAI.APIConnectionTimeoutError) return make('timeout', `no answer within ${ctx.timeoutMs} ms`);
  if (e instanceof OpenAI.APIUserAbortError) return make('timeout', 'request aborted');
  // The transport's own words (undici's "other side closed", ECONNRESET): never the provider's text.
  if (e instanceof OpenAI.APIConnectionError) return make('network', describe(e.cause) ?? 'connection error');
  if (e instanceof OpenAI.APIError && typeof e.status === 'number') {
    const code = token(e.code);
    const type = token(e.type);
    // The status, type and code only: e.message is the provider's free text (with the prompt, at times).
    const detail = type || code ? [type && `type ${type}`, code && `code ${code}`].filter(Boolean).join(', ') : 'no error type or code';
    return make(kindForStatus(e.status, ctx.gateway === true), detail, e.status, code, type, retryAfterMs(e.headers as Headers | undefined));
  }
  if (e instanceof OpenAI.APIError) return make('network', 'provider error without an HTTP status');
  // Our own words (the schema's path and issue), never a value of the body.
  if (e instanceof MalformedResponseError) return make('malformed', e.message);
  // JSON.parse quotes the body it could not read.
  if (errorLike(e)?.name === 'SyntaxError') return make('malformed', 'the answer is not valid JSON');
  // Anything else (undici "terminated" mid-body, socket resets while reading) is a transport failure.
  return make('network', describe(e) ?? 'unknown error');
}

/**
 * Duck-typed, not instanceof: errors thrown inside fetch/JSON.parse may come from another realm
 * (vm contexts, jest), where `instanceof Error` / `instanceof SyntaxError` are false.
 */
function errorLike(e: unknown): { name: string; message: string; cause?: unknown } | null {
  if (typeof e !== 'object' || e === null) return null;
  const { name, message } = e as { name?: unknown; message?: unknown };
  return typeof name === 'string' && typeof message === 'string' ? (e as { name: string; message: string }) : null;
}

function describe(e: unknown): string | null {
  const err = errorLike(e);
  if (!err) return e === undefined ? null : String(e);
  const cause = errorLike(err.cause);
  return `${err.name}: ${err.message}${cause ? `: ${cause.message}` : ''}`;
}
