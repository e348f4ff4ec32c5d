/**
 * One governed LLM call, the body of every endpoint task:
 *   parse the payload -> reserve (SQL decides) -> only if allowed, call the provider -> settle.
 * No money rule lives here. A refusal or a replay ends the job successfully (recorded by reserve);
 * a malformed payload or a non-retryable provider error fails the job for good; a retryable
 * provider error settles the attempt as failed and throws, so graphile-worker retries it with its
 * backoff and the next attempt reserves again.
 */
import type { JobHelpers } from 'graphile-worker';
import { z } from 'zod';
import { withContext } from '../db/context';
import { Decision, ProviderStatus, reserveCall, settleCall, type SettleArgs } from '../db/ledger';
import { hasPii, validateOutput } from '../outputs';
import { sqlState } from '../errors';
import { Endpoint, LlmJobPayload, LlmJobPayloadSchema } from '../payload';
import { countTextTokens, estimateInputTokens, parseModelRef, ProviderError, tokenizerFor, type ChatResult } from '../provider';
import type { WorkerDeps } from './deps';
import { failPermanently } from './permanent-failure';

const STATUS_OF: Record<ProviderError['kind'], ProviderStatus> = {
  timeout: 'timeout', rate_limited: 'rate_limited', server: 'error', network: 'network', malformed: 'malformed',
  client: 'client_error', auth: 'client_error', not_found: 'client_error',
};

export async function governedCall(deps: WorkerDeps, endpoint: Endpoint, raw: unknown, helpers: JobHelpers): Promise<void> {
  const startedAt = performance.now();
  const parsed = LlmJobPayloadSchema.safeParse(raw);
  if (!parsed.success) return failPermanently(helpers, `malformed payload: ${z.prettifyError(parsed.error)}`);
  const p = parsed.data;
  if (p.endpoint !== endpoint) return failPermanently(helpers, `payload endpoint ${p.endpoint} sent to task ${endpoint}`);
  const ref = parseModelRef(p.model);
  const tokenizer = deps.providers.get(ref.provider)?.config.models.find((m) => m.name === ref.model)?.tokenizer ?? tokenizerFor(ref.model);
  const inputTokens = estimateInputTokens(p.messages, tokenizer);
  const log = deps.logger.child({
    tenant_id: p.tenant_id, user_id: p.user_id, request_id: p.request_id, endpoint, attempt: helpers.job.attempts,
    correlation_id: p.correlation_id ?? null, job_id: helpers.job.id,
  });

  const reserve = () => withContext(deps.pool, { tenantId: p.tenant_id, userId: p.user_id }, (c) =>
    reserveCall(c, {
      tenantId: p.tenant_id, userId: p.user_id, requestId: p.request_id, endpoint, provider: ref.provider, model: ref.model,
      inputTokens, maxOutputTokens: p.max_output_tokens, attempt: helpers.job.attempts, callTimeoutMs: deps.callTimeoutMs,
      costCeilingMicros: p.cost_ceiling_micros ?? null, cachePayload: p,
    }),
  );
  // 'wait': an identical request is filling the cache right now; ask again until it is served
  // (or until that fill could have timed out, when the hold behind it has expired anyway).
  let d = await reserve();
  for (const until = Date.now() + deps.callTimeoutMs + 5000; d.decision === 'wait' && Date.now() < until; ) {
    await new Promise((r) => setTimeout(r, 100 + Math.random() * 150));
    d = await reserve();
  }
  log.info({ event: 'reserve', decision: d.decision, reason: d.reason, model: `${d.provider}:${d.model}`,
    max_output_tokens: d.max_output_tokens, held_micros: d.held_micros?.toString() ?? null,
    limit_name: d.limit_name, limit_micros: d.limit_micros?.toString() ?? null, input_tokens_estimate: inputTokens }, 'reserve decision');
  deps.metrics.calls.inc({ endpoint, model: `${d.provider}:${d.model}`, decision: d.decision, reason: d.reason });
  if (d.decision === 'wait') throw new Error('an identical request is still filling the cache; retrying later');
  if (d.decision === 'cached') {
    deps.metrics.cacheHits.inc({ endpoint });
    return;
  }
  if (d.decision === 'block' || d.decision === 'replay') return;
  try {
    await callAndSettle(deps, p, d, inputTokens, log, startedAt);
  } catch (e) {
    if (e instanceof NonRetryable) return failPermanently(helpers, e.message);
    throw e;
  }
}

async function callAndSettle(deps: WorkerDeps, p: LlmJobPayload, d: Decision, inputTokens: number, log: WorkerDeps['logger'],
  startedAt: number): Promise<void> {
  const provider = deps.providers.get(d.provider!);
  const ctx = { tenantId: p.tenant_id, userId: p.user_id };
  const settle = (status: ProviderStatus, usage: { input: number; cached: number; output: number }, latencyMs: number, estimated: boolean,
    result?: SettleArgs['result']) =>
    persistently(log, () => withContext(deps.pool, ctx, (c) =>
      settleCall(c, { reservationId: d.reservation_id!, inputTokens: usage.input, cachedInputTokens: usage.cached,
        outputTokens: usage.output, latencyMs, status, usageEstimated: estimated, result })));
  let res: ChatResult;
  try {
    if (!provider) throw new ProviderError(`provider ${d.provider} is not configured in this worker`, 'not_found', null, 0, d.provider!);
    res = await provider.client.chat({ model: d.model!, messages: p.messages, maxOutputTokens: d.max_output_tokens!,
      timeoutMs: deps.callTimeoutMs, responseFormatJson: p.response_format === 'json' });
  } catch (e) {
    const err = e instanceof ProviderError ? e : new ProviderError(String((e as Error).message), 'not_found', null, 0, d.provider!);
    // The provider reported no usage for a failed call: it is settled at zero (DESIGN-NOTES: the cost it reports).
    const s = await settle(STATUS_OF[err.kind], { input: 0, cached: 0, output: 0 }, err.latencyMs, false);
    deps.metrics.providerLatency.observe({ model: `${d.provider}:${d.model}`, outcome: err.kind }, err.latencyMs / 1000);
    log.warn({ event: 'provider_error', model: `${d.provider}:${d.model}`, kind: err.kind, status: err.status,
      retryable: err.retryable, latency_ms: err.latencyMs, cost_micros: s.cost_micros.toString() }, 'provider call failed');
    if (!err.retryable) throw new NonRetryable(`provider ${err.kind}${err.status ? ` (${err.status})` : ''}: ${err.message}`);
    throw err;
  }
  const estimated = res.usage === null;
  const usage = res.usage
    ? { input: res.usage.inputTokens, cached: res.usage.cachedInputTokens, output: res.usage.outputTokens }
    : { input: inputTokens, cached: 0, output: countTextTokens(res.content + (res.reasoning ?? ''), tokenizerFor(d.model!)) };
  const format = p.response_format ?? 'text';
  const result = { messages: p.messages, output: res.content, reasoning: res.reasoning,
    outputValid: validateOutput(p.endpoint, format, res.content, res.finishReason),
    piiFlagged: hasPii(res.content, ...p.messages.map((m) => m.content)) };
  const s = await settle('ok', usage, res.latencyMs, estimated, result);
  // Everything but the provider: parsing, token counting, both transactions, bookkeeping.
  const governanceMs = performance.now() - startedAt - res.latencyMs;
  deps.metrics.governanceOverhead.observe(governanceMs / 1000);
  deps.metrics.providerLatency.observe({ model: `${d.provider}:${d.model}`, outcome: 'ok' }, res.latencyMs / 1000);
  deps.metrics.costMicros.inc({ endpoint: p.endpoint, model: `${d.provider}:${d.model}` }, Number(s.cost_micros)); // Prometheus values are floats; exact figures are in SQL
  log.info({ event: 'settle', model: `${d.provider}:${d.model}`, input_tokens: usage.input, cached_input_tokens: usage.cached,
    output_tokens: usage.output, usage_estimated: estimated, latency_ms: res.latencyMs, cost_micros: s.cost_micros.toString(),
    output_valid: result.outputValid, pii_flagged: result.piiFlagged, governance_ms: Math.round(governanceMs * 100) / 100,
    released_micros: s.released_micros.toString(), overrun_micros: s.overrun_micros.toString() }, 'settled');
}

/**
 * The provider has billed by the time we settle, so a settle must not be lost to a dropped
 * connection or a database restart: retry connection-level failures (no SQLSTATE, or class 08 /
 * 57P) a bounded number of times. Settle is idempotent, so a retry after an unseen commit is safe.
 */
async function persistently<T>(log: WorkerDeps['logger'], fn: () => Promise<T>, tries = 8): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (e) {
      const code = sqlState(e);
      const transient = code === null || code.startsWith('08') || code.startsWith('57P');
      if (!transient || i >= tries) throw e;
      log.warn({ event: 'settle_retry', try: i, code }, 'settle failed on the connection; retrying');
      await new Promise((r) => setTimeout(r, Math.min(200 * 2 ** i, 3000)));
    }
  }
}

/** Thrown by callAndSettle for 4xx-class failures; the task turns it into a permanent failure. */
export class NonRetryable extends Error {
  static {
    this.prototype.name = 'NonRetryable';
  }
}
