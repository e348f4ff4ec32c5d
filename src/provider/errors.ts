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
   * A gateway's 502 or 504 (LiteLLM, OpenRouter, Cloudflare, nginx in front of vLLM): the upstream call may have run and
   * been billed, so its outcome is unknown, like our own timeout.
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
    /** Provider's machine-readable error code (e.g. context_length_exceeded), when it gave one. */
    readonly code: string | null = null,
  ) {
    super(message);
    this.retryable = RETRYABLE[kind];
  }

  toJSON() {
    const { name, message, kind, status, retryable, latencyMs, provider, code } = this;
    return { name, message, kind, status, retryable, latencyMs, provider, code };
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

export function kindForStatus(status: number): ProviderErrorKind {
  if (status === 429) return 'rate_limited';
  // A 502 (bad gateway) or 504 (gateway timeout) comes from a proxy in front of the model: the upstream call it forwarded
  // may have run to the end and been billed. Settled as an unknown outcome (the full hold), not as an answer that bills
  // nothing: a 504 was settled with zero usage (review of 2026-12).
  if (status === 502 || status === 504) return 'gateway';
  // 408 is an answer (the server did not take the request in time), not an unknown outcome: like a 5xx, it
  // bills nothing and is retried. OpenAI uses 409 for transient lock conflicts (its SDK retries them).
  if (status === 408 || status === 409 || status >= 500) return 'server';
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
}

/**
 * A provider's error text may quote the request back (a validation error echoing the messages, a parser quoting the
 * body it read): it is cut at its first quote (' " `) before it reaches a log line or a span, and kept to one line. The
 * prompt is the tenant's data, and a 400 from a vLLM-style server put it into the worker's log verbatim (tenth review).
 * Cutting only the quoted runs missed a quote that held a newline, and an apostrophe in the error's own words paired
 * with the quote that opened the prompt (eleventh review). What is left, the error's first words, says what went wrong.
 */
export function withoutQuotedText(s: string): string {
  const q = s.search(/['"`]/);
  return (q < 0 ? s : `${s.slice(0, q)}…`).replace(/\s+/g, ' ').trim();
}

export function toProviderError(e: unknown, ctx: ErrorContext): ProviderError {
  const make = (kind: ProviderErrorKind, detail: string, status: number | null = null, code: string | null = null) =>
    new ProviderError(
      // Redact before truncating: a cut through the key would leave a prefix that no longer matches.
      ctx.redact(`${ctx.provider} ${ctx.operation} failed (${kind}${status ? ` ${status}` : ''}): ${detail}`).slice(0, 500),
      kind,
      status,
      ctx.latencyMs,
      ctx.provider,
      code === null ? null : ctx.redact(code).slice(0, 100),
    );
  // Our abort first: the SDK reports it as a user abort or a bare AbortError depending on timing.
  if (ctx.abortReason === 'timeout') return make('timeout', `no complete answer within ${ctx.timeoutMs} ms`);
  // A caller abort (the worker stopping) leaves the outcome unknown, like a timeout, but says nothing about the provider's
  // health: a breaker counting it opened for every worker whenever one stopped with calls in flight (review of 2026-11-26).
  if (ctx.abortReason === 'caller') return make('aborted', 'aborted by caller (the worker is stopping)');
  if (e instanceof OpenAI.APIConnectionTimeoutError) return make('timeout', `no answer within ${ctx.timeoutMs} ms`);
  if (e instanceof OpenAI.APIUserAbortError) return make('timeout', 'request aborted');
  if (e instanceof OpenAI.APIConnectionError) return make('network', describe(e.cause) ?? e.message);
  if (e instanceof OpenAI.APIError && typeof e.status === 'number') {
    return make(kindForStatus(e.status), withoutQuotedText(e.message), e.status, typeof e.code === 'string' ? e.code : null);
  }
  const err = errorLike(e);
  if (e instanceof MalformedResponseError || err?.name === 'SyntaxError') return make('malformed', withoutQuotedText(err!.message));
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
