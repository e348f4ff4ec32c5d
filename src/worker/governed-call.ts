/**
 * One governed LLM call, the body of every endpoint task (SPEC.md "The SQL API the worker calls"):
 *   payload {tenant_id, user_id, request_pk} -> llm.request_for_call -> token estimate (an upper
 *   bound) -> llm.reserve_call -> only on allow/cap/fallback the provider -> llm.settle_call, or
 *   llm.release_call when no request was sent.
 * With the semantic cache (docs/semantic-cache.md), before the chat reserve: llm.embedding_for_call
 * -> reserve (purpose embedding) -> embed -> settle, then the chat reserve carries the vector.
 * No money rule lives here. Every ending is recorded in our tables and the task RETURNS; it throws
 * only to ask graphile-worker for a retry (a retryable failure, already settled, with attempts
 * left; or a transient database error). graphile-worker's job rows are never touched.
 */
import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { SpanKind, SpanStatusCode, type Span } from '@opentelemetry/api';
import type { JobHelpers } from 'graphile-worker';
import { z } from 'zod';
import type { RequestContext } from '../db/context';
import type { CallRequest, Decision, FinalFailure, ProviderStatus, SettleArgs, Settlement } from '../db/ledger';
import { int8 } from '../int8';
import type { Logger } from '../logger';
import { hasPii, storableText, validateOutput } from '../outputs';
import type { Endpoint } from '../payload';
import {
  answersAs, estimateInputTokens, findModel, parseModelRef, ProviderConfigError, ProviderError, ProviderNotSentError, TokenizerSchema, tokenizerFor,
  type ChatResult, type ProviderErrorKind,
} from '../provider';
import { semanticText } from '../semantic';
import { contextWith, GEN_AI, inSpan, logFieldsOf, traceIdOf } from '../telemetry';
import type { WorkerDeps } from './deps';
import { errorFields, isPermanentSqlError } from './sql-errors';
import { sqlState } from '../errors';

/** The job payload the database writes (llm.enqueue_call). */
export const JobPayloadSchema = z.object({ tenant_id: z.guid(), user_id: z.guid(), request_pk: int8 });

/** Provider failure kind -> the status settle records, and whether the usage is known (an HTTP error answer bills nothing, but a gateway's 502/504 says nothing of the upstream call). */
const STATUS_OF: Record<ProviderErrorKind, { status: ProviderStatus; usageKnown: boolean }> = {
  timeout: { status: 'timeout', usageKnown: false },
  network: { status: 'network', usageKnown: false },
  malformed: { status: 'malformed', usageKnown: false },
  rate_limited: { status: 'rate_limited', usageKnown: true },
  server: { status: 'error', usageKnown: true },
  // A gateway's 502/504, or its timeout of the upstream call (408, 520, 524, 598, 599): the outcome is unknown, charged the
  // full hold (usage_unknown), like a timeout.
  gateway: { status: 'error', usageKnown: false },
  client: { status: 'client_error', usageKnown: true },
  auth: { status: 'client_error', usageKnown: true },
  not_found: { status: 'client_error', usageKnown: true },
  aborted: { status: 'aborted', usageKnown: false },
};

const CALL_DECISIONS = new Set(['allow', 'cap', 'fallback']);
const ZERO_USAGE = { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 };

/** A provider's model name as our ledger, logs and spans keep it: a model name, or ? (none of the provider's free text). */
function modelName(name: string): string {
  return /^[A-Za-z0-9._:\/@-]{1,200}$/.test(name) ? name : '?';
}

/** Thrown after a failure was recorded (settled) to ask graphile-worker for a retry. */
export class RetryLater extends Error {
  static {
    this.prototype.name = 'RetryLater';
  }
}

export async function governedCall(deps: WorkerDeps, endpoint: Endpoint, raw: unknown, helpers: JobHelpers): Promise<void> {
  const job = helpers.job;
  // graphile-worker's abort signal is its pool's, shared by every job: each call in flight listens on it (and on the
  // worker's own stopping signal), so past 10 at once Node warned of a listener leak on every job (backup drill 89).
  if (helpers.abortSignal) setMaxListeners(0, helpers.abortSignal);
  const root = deps.tracer.startSpan(`llm.job ${endpoint}`, {
    kind: SpanKind.CONSUMER,
    attributes: { 'messaging.system': 'graphile_worker', 'llm.endpoint': endpoint, 'graphile_worker.job_id': String(job.id),
      'graphile_worker.attempt': job.attempts, 'graphile_worker.max_attempts': job.max_attempts },
  });
  const log = deps.logger.child({ endpoint, job_id: String(job.id), attempt: job.attempts, max_attempts: job.max_attempts, ...logFieldsOf(root) });
  try {
    const parsed = JobPayloadSchema.safeParse(raw);
    if (!parsed.success) {
      // Not written by llm.enqueue_call: there is no request to record the failure on.
      log.error({ event: 'malformed_payload', error: z.prettifyError(parsed.error) }, 'job payload is not {tenant_id, user_id, request_pk}; job ends');
      root.setStatus({ code: SpanStatusCode.ERROR, message: 'malformed payload' });
      return;
    }
    await new GovernedCall(deps, endpoint, parsed.data, helpers, root, log).run();
  } catch (e) {
    root.setStatus({ code: SpanStatusCode.ERROR, message: (e as Error).message?.slice(0, 200) });
    throw e;
  } finally {
    root.end();
  }
}

type Stage = 'before_reserve' | 'reserved' | 'sent' | 'settled';

class GovernedCall {
  private readonly ctx: RequestContext;
  private readonly pk: bigint;
  private stage: Stage = 'before_reserve';
  private attemptNo: number | null = null;
  /** The expires_at of the reservation attemptNo is: settle and release name it (LG008 when the database's attempt is another). */
  private reservedExpiry: Date | null = null;
  /** What the last settle tried to record: logged when the database refuses it as another reservation's (stale_reservation). */
  private pendingSettle: SettleArgs | null = null;
  private readonly startedAt = performance.now();
  private readonly parent;

  constructor(
    private readonly deps: WorkerDeps,
    private readonly endpoint: Endpoint,
    payload: z.output<typeof JobPayloadSchema>,
    private readonly helpers: JobHelpers,
    private readonly root: Span,
    private log: Logger,
  ) {
    this.ctx = { tenantId: payload.tenant_id, userId: payload.user_id };
    this.pk = payload.request_pk;
    this.parent = contextWith(root);
    this.log = log.child({ tenant_id: payload.tenant_id, user_id: payload.user_id, request_pk: payload.request_pk.toString() });
    root.setAttributes({ 'llm.tenant_id': payload.tenant_id, 'llm.request_pk': payload.request_pk.toString() });
  }

  /**
   * Ends a wait: the worker starts to stop (deps.stopping), or graphile-worker aborts the job. On the job's last attempt
   * only the latter: a wait ended early there fails the request, which a rolling restart must not do; the grace covers it
   * (review 87: a request waiting for an identical call's cache fill ended attempts_exhausted).
   */
  private get waitSignal(): AbortSignal {
    return this.deps.stopping && !this.lastAttempt ? AbortSignal.any([this.helpers.abortSignal, this.deps.stopping]) : this.helpers.abortSignal;
  }

  /**
   * A stopping worker sends no new call: it lets the ones it sent finish within its grace (worker.shutdownGraceMs), and a
   * job reserved but not sent gives its hold back for the next worker. Not on the job's last attempt, which has no next
   * worker: it sends within the grace.
   */
  private get stopping(): boolean {
    return (this.deps.stopping?.aborted === true && !this.lastAttempt) || this.helpers.abortSignal.aborted;
  }

  private get lastAttempt(): boolean {
    return this.helpers.job.attempts >= this.helpers.job.max_attempts;
  }

  async run(): Promise<void> {
    try {
      await this.steps();
    } catch (e) {
      if (e instanceof RetryLater) throw e;
      await this.onError(e);
    }
  }

  private async steps(): Promise<void> {
    const req = await inSpan(this.deps.tracer, 'llm.request_for_call', this.parent, {}, () => this.deps.ledger.requestForCall(this.ctx, this.pk));
    if (!req) {
      this.log.error({ event: 'request_not_found' }, 'no request with this pk in the job\'s tenant/user context; job ends');
      return;
    }
    this.log = this.log.child({ request_id: req.request_id, correlation_id: req.correlation_id });
    if (req.endpoint !== this.endpoint) {
      this.log.error({ event: 'endpoint_mismatch', request_endpoint: req.endpoint }, 'request belongs to another task; failing it');
      await this.recordFinal('worker_error');
      return;
    }
    const inputTokens = await this.estimate(req);
    const embedding = await this.semanticVector(req);
    const d = await this.reserveUntilDecided(req, inputTokens, embedding);
    const modelRef = d.provider && d.model ? `${d.provider}:${d.model}` : req.model_ref;
    if (d.decision === 'cached') this.deps.metrics.cacheHit(this.endpoint, d.reason === 'semantic_hit' ? 'semantic' : 'exact');
    if (d.decision === 'block' && d.retry_after_ms !== null) {
      // Every model of the chain is behind an open breaker, and the request stays open: the job tries again (its last
      // attempt is refused for good by reserve itself; this one ends the request if the settings changed since enqueue).
      if (this.lastAttempt) {
        await this.recordFinal('attempts_exhausted');
        return;
      }
      // graphile-worker runs the job again on its own backoff (README, rule 14), not after the breaker's cooldown: the message
      // had said "trying again (after 30000 ms)" while the retry came seconds later (adopter's review 76).
      throw new RetryLater(`every model of the chain is behind an open breaker (cooldown ${d.retry_after_ms} ms): the job is retried on ` +
        'graphile-worker\'s backoff');
    }
    if (!CALL_DECISIONS.has(d.decision)) return; // block | replay | cached: recorded by reserve, nothing to call
    await this.callProvider(req, d, modelRef, embedding);
  }

  /**
   * The semantic cache's embedding call, governed like any call (docs/semantic-cache.md steps 1-3):
   * the database says whether and with which model; reserve, embed, settle. Any refusal or failure
   * only means the chat reserve runs without a vector (the exact cache still applies).
   */
  private async semanticVector(req: CallRequest): Promise<number[] | null> {
    // Without a watermark there is no cache at all (llm.embedding_for_call would say so): skip the round trip.
    const text = req.source_watermark === null ? null : semanticText(req.messages);
    if (text === null) return null;
    const plan = await inSpan(this.deps.tracer, 'llm.embedding_for_call', this.parent, {}, () => this.deps.ledger.embeddingForCall(this.ctx, this.pk));
    if (!plan) return null;
    const provider = this.deps.providers.get(plan.provider);
    const model = provider ? findModel(provider.config, plan.model) : undefined;
    if (!provider || !model || model.kind !== 'embedding') {
      this.log.warn({ event: 'embedding_not_configured', model: plan.embedding_model },
        'the endpoint\'s embedding model is not configured as an embedding model in this worker; no semantic lookup');
      return null;
    }
    const est = await provider.client.estimateInputTokens(plan.model, [{ role: 'user', content: text }]);
    this.logFallback(plan.embedding_model, est);
    const d = await inSpan(this.deps.tracer, 'llm.reserve', this.parent, { 'llm.purpose': 'embedding', [GEN_AI.requestModel]: plan.embedding_model },
      () => this.deps.ledger.reserve(this.ctx, { requestPk: this.pk, jobAttempt: this.helpers.job.attempts, inputTokens: est.tokens,
        callTimeoutMs: this.deps.callTimeoutMs, traceId: traceIdOf(this.root), purpose: 'embedding' }));
    this.deps.metrics.decision(this.endpoint, plan.embedding_model, d.decision, d.reason);
    this.log.info({ event: 'reserve', purpose: 'embedding', decision: d.decision, reason: d.reason, attempt_no: d.attempt_no,
      model: plan.embedding_model, held_micros: d.held_micros?.toString() ?? null, limit_name: d.limit_name,
      input_tokens_estimate: est.tokens }, 'embedding reserve decision');
    const held = CALL_DECISIONS.has(d.decision) || (d.decision === 'replay' && d.reason === 'in_flight');
    if (!held || d.attempt_no === null) return null; // refused (a limit, a shutoff, its breaker): the chat reserve decides
    this.attemptNo = d.attempt_no;
    this.reservedExpiry = d.expires_at;
    this.stage = 'reserved';
    if (this.stopping) return this.releaseNotSent(d.attempt_no, 'embedding', 'not sent: the worker is stopping');
    let vector: number[] | null = null;
    try {
      this.stage = 'sent';
      const r = await inSpan(this.deps.tracer, `embeddings ${plan.model}`, this.parent, {
        [GEN_AI.operationName]: 'embeddings', [GEN_AI.system]: provider.config.name, [GEN_AI.providerName]: provider.config.name,
        [GEN_AI.requestModel]: plan.model,
      }, () => provider.client.embed({ model: plan.model, input: text, timeoutMs: this.deps.callTimeoutMs, signal: this.helpers.abortSignal }),
      SpanKind.CLIENT);
      // An answer without usage is an unknown usage: NULL tokens, charged the full hold and flagged usage_unknown (it was
      // charged the client's byte-count bound and recorded as known; review of the provider boundary, 2026-11-26).
      const s = await this.settle({ requestPk: this.pk, attemptNo: d.attempt_no, status: 'ok',
        usage: r.usageReported ? { inputTokens: r.inputTokens, cachedInputTokens: 0, outputTokens: 0 } : null, latencyMs: r.latencyMs });
      this.deps.metrics.providerLatency(plan.embedding_model, 'ok', r.latencyMs / 1000);
      this.deps.metrics.cost(this.endpoint, plan.embedding_model, s.cost_micros);
      this.log.info({ event: 'settle', purpose: 'embedding', model: plan.embedding_model, input_tokens: r.usageReported ? r.inputTokens : null,
        usage_reported: r.usageReported, usage_unknown: s.usage_unknown, dims: r.vector.length, latency_ms: r.latencyMs, cost_micros: s.cost_micros.toString() }, 'embedding settled');
      vector = r.vector;
    } catch (e) {
      if (e instanceof ProviderConfigError) {
        this.stage = 'reserved';
        this.log.error({ event: 'provider_not_configured', model: plan.embedding_model, error: e.message }, 'embedding call refused by the client; releasing its hold');
        await this.deps.ledger.release(this.ctx, this.pk, d.attempt_no, 'provider_not_configured', null, this.reservedExpiry);
      } else if (e instanceof ProviderNotSentError) {
        return this.releaseNotSent(d.attempt_no, 'embedding', e.message);
      } else if (e instanceof ProviderError) {
        const { status, usageKnown } = STATUS_OF[e.kind];
        // Never a final failure: a failed embedding call does not end the request.
        const s = await this.settle({ requestPk: this.pk, attemptNo: d.attempt_no, status, usage: usageKnown ? ZERO_USAGE : null, latencyMs: e.latencyMs });
        this.deps.metrics.providerLatency(plan.embedding_model, e.kind, e.latencyMs / 1000);
        this.log.warn({ event: 'provider_error', purpose: 'embedding', model: plan.embedding_model, kind: e.kind, status: e.status,
          code: e.code, error_type: e.type, latency_ms: e.latencyMs, cost_micros: s.cost_micros.toString(), usage_unknown: s.usage_unknown,
          error: e.message },
          'embedding call failed; the chat reserve runs without a vector');
      } else {
        throw e;
      }
    }
    // The embedding attempt is closed; what follows is the chat attempt.
    this.attemptNo = null;
    this.reservedExpiry = null;
    this.stage = 'before_reserve';
    return vector;
  }

  /** A configured counting endpoint that failed: the local upper bound was used instead (a larger hold). */
  private logFallback(modelRef: string, est: { tokens: number; method: string; fallback?: string }): void {
    if (est.fallback === undefined) return;
    this.log.warn({ event: 'token_count_fallback', model: modelRef, error: est.fallback, method: est.method, input_tokens: est.tokens },
      `the counting endpoint (tokenCountUrl) of ${modelRef} failed: estimated by ${est.method} instead`);
  }

  /** The largest estimate over the requested model and its fallback chain: reserve may pick any of them. */
  private async estimate(req: CallRequest): Promise<number> {
    const refs = [...new Set([req.model_ref, ...(this.deps.catalog?.fallbacks(req.model_ref) ?? [])])];
    let max = 0;
    const methods: Record<string, string> = {};
    for (const ref of refs) {
      let est: { tokens: number; method: string };
      try {
        const { provider, model } = parseModelRef(ref);
        const p = this.deps.providers.get(provider);
        if (p && findModel(p.config, model)) {
          est = await p.client.estimateInputTokens(model, req.messages);
          this.logFallback(ref, est);
        }
        else {
          const dbRule = ref === req.model_ref ? TokenizerSchema.safeParse(req.tokenizer) : null;
          const tokenizer = dbRule?.success ? dbRule.data : tokenizerFor(model);
          est = { tokens: estimateInputTokens(req.messages, tokenizer), method: tokenizer };
        }
      } catch {
        continue; // an unparseable ref in a chain: reserve will not choose it either
      }
      methods[ref] = est.method;
      max = Math.max(max, est.tokens);
    }
    this.log.debug({ event: 'token_estimate', input_tokens: max, methods }, 'input-token estimate');
    return max;
  }

  private async reserveUntilDecided(req: CallRequest, inputTokens: number, embedding: number[] | null): Promise<Decision> {
    const deadline = Date.now() + 2 * this.deps.callTimeoutMs + 10_000;
    for (;;) {
      const since = Date.now();
      const d = await inSpan(this.deps.tracer, 'llm.reserve', this.parent,
        { [GEN_AI.requestModel]: req.model_ref, 'llm.input_tokens_estimate': inputTokens, 'llm.job_attempt': this.helpers.job.attempts },
        async (span) => {
          const d = await this.deps.ledger.reserve(this.ctx, { requestPk: this.pk, jobAttempt: this.helpers.job.attempts, inputTokens,
            callTimeoutMs: this.deps.callTimeoutMs, traceId: traceIdOf(this.root), embedding });
          span.setAttributes({ 'llm.decision': d.decision, 'llm.reason': d.reason, ...(d.attempt_no !== null ? { 'llm.attempt_no': d.attempt_no } : {}),
            ...(d.held_micros !== null ? { 'llm.held_micros': d.held_micros.toString() } : {}) });
          return d;
        });
      if (CALL_DECISIONS.has(d.decision)) {
        if (d.attempt_no === null || !d.provider || !d.model) throw new Error(`reserve answered ${d.decision} without attempt_no, provider or model`);
        this.attemptNo = d.attempt_no;
        this.reservedExpiry = d.expires_at;
        this.stage = 'reserved';
      }
      this.logDecision(d, inputTokens, req.model_ref);
      if (d.decision !== 'wait') return d;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('an identical request is still filling the cache');
      const timeout = Math.min(Math.max(d.retry_after_ms ?? 1000, 10), left);
      const outcome = this.deps.listener
        ? await this.deps.listener.waitFor(d.cache_key ?? null, since, timeout, this.waitSignal)
        : await new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), timeout));
      this.log.debug({ event: 'cache_fill_wait', outcome, waited_ms: Date.now() - since }, 'waited for a cache fill');
      if (outcome === 'aborted') throw new Error('worker shutting down while waiting for a cache fill');
    }
  }

  private logDecision(d: Decision, inputTokens: number, requested: string): void {
    const model = d.provider && d.model ? `${d.provider}:${d.model}` : null;
    this.deps.metrics.decision(this.endpoint, model ?? requested, d.decision, d.reason);
    this.log.info({ event: 'reserve', decision: d.decision, reason: d.reason, attempt_no: d.attempt_no, model,
      max_output_tokens: d.max_output_tokens, held_micros: d.held_micros?.toString() ?? null,
      worst_case_micros: d.worst_case_micros?.toString() ?? null, limit_name: d.limit_name, limit_scope: d.limit_scope,
      limit_window: d.limit_window, limit_cap: d.limit_cap?.toString() ?? null, limit_used: d.limit_used?.toString() ?? null, retry_after_ms: d.retry_after_ms, input_tokens_estimate: inputTokens }, 'reserve decision');
  }

  private async callProvider(req: CallRequest, d: Decision, modelRef: string, embedding: number[] | null): Promise<void> {
    const provider = this.deps.providers.get(d.provider ?? '');
    const model = provider ? findModel(provider.config, d.model ?? '') : undefined;
    if (!provider || !model) return this.notConfigured(modelRef, `provider ${d.provider} / model ${d.model} is not configured in this worker`);
    // The hold covers d.max_output_tokens; a lower configured maximum only lowers the cost.
    const maxOutputTokens = Math.min(d.max_output_tokens ?? model.maxOutputTokens, model.maxOutputTokens);
    if (this.stopping) return this.releaseNotSent(this.attemptNo!, 'chat', 'not sent: the worker is stopping');
    let res: ChatResult;
    try {
      res = await inSpan(this.deps.tracer, `chat ${d.model}`, this.parent, {
        [GEN_AI.operationName]: 'chat', [GEN_AI.system]: provider.config.name, [GEN_AI.providerName]: provider.config.name,
        [GEN_AI.requestModel]: d.model!, [GEN_AI.requestMaxTokens]: maxOutputTokens,
      }, async (span) => {
        span.setAttribute('llm.decision', d.decision);
        this.stage = 'sent';
        const r = await provider.client.chat({ model: d.model!, messages: req.messages, maxOutputTokens, timeoutMs: this.deps.callTimeoutMs,
          responseFormatJson: req.response_format === 'json', signal: this.helpers.abortSignal });
        span.setAttributes({ [GEN_AI.responseModel]: modelName(r.providerModel), ...(r.finishReason ? { [GEN_AI.responseFinishReasons]: [r.finishReason] } : {}),
          ...(r.usage ? { [GEN_AI.usageInputTokens]: r.usage.inputTokens + r.usage.cachedInputTokens,
            [GEN_AI.usageOutputTokens]: r.usage.outputTokens, [GEN_AI.usageCacheReadInputTokens]: r.usage.cachedInputTokens } : {}) });
        return r;
      }, SpanKind.CLIENT);
    } catch (e) {
      if (e instanceof ProviderConfigError) {
        this.stage = 'reserved'; // refused by our client before anything was sent
        return this.notConfigured(modelRef, e.message);
      }
      if (e instanceof ProviderNotSentError) return this.releaseNotSent(this.attemptNo!, 'chat', e.message);
      if (!(e instanceof ProviderError)) throw e;
      return this.settleFailure(e, modelRef);
    }
    // The name the answer gives, whenever it is not the name asked for: the database prices it (a dated snapshot may be
    // priced apart: gpt-4o-2024-05-13 costs more than gpt-4o). answeredSame: the configuration takes it for the model
    // asked for (answersAs: a snapshot, an alias); otherwise another model answered (a gateway's routing or fallback),
    // and the answer fills no cache and is not eligible for distillation.
    const answeredModel = res.providerModel === model.name ? null : modelName(res.providerModel);
    const answeredSame = answersAs(model, res.providerModel);
    if (!answeredSame) {
      this.log.warn({ event: 'answered_model_mismatch', model: modelRef, answered_model: answeredModel },
        'the provider answered with another model; the settle charges its price when it is dearer');
    }
    return this.settleSuccess(req, res, modelRef, embedding, answeredModel, answeredSame);
  }

  /** The worker is stopping and nothing was sent: give the hold back, and have graphile-worker run the job again later. */
  private async releaseNotSent(attemptNo: number, purpose: 'chat' | 'embedding', why: string): Promise<never> {
    this.stage = 'reserved';
    this.log.warn({ event: 'not_sent', purpose, error: why }, 'the worker is stopping before the call was sent; releasing the hold');
    await inSpan(this.deps.tracer, 'llm.release', this.parent, { 'llm.reason': 'not_sent' }, () =>
      this.deps.ledger.release(this.ctx, this.pk, attemptNo, 'not sent: the worker is stopping', null, this.reservedExpiry));
    this.stage = 'settled';
    throw new RetryLater('not sent: the worker is stopping');
  }

  private async notConfigured(modelRef: string, why: string): Promise<void> {
    this.log.error({ event: 'provider_not_configured', model: modelRef, error: why }, 'provider not configured; releasing the hold');
    await inSpan(this.deps.tracer, 'llm.release', this.parent, { 'llm.reason': 'provider_not_configured' }, () =>
      this.deps.ledger.release(this.ctx, this.pk, this.attemptNo!, 'provider_not_configured', 'provider_not_configured', this.reservedExpiry));
    this.stage = 'settled';
  }

  private async settleFailure(err: ProviderError, modelRef: string): Promise<void> {
    const { status, usageKnown } = STATUS_OF[err.kind];
    const finalFailure: FinalFailure | null = !err.retryable ? 'provider_client_error' : this.lastAttempt ? 'attempts_exhausted' : null;
    const s = await this.settle({ requestPk: this.pk, attemptNo: this.attemptNo!, status, usage: usageKnown ? ZERO_USAGE : null,
      latencyMs: err.latencyMs, finalFailure });
    this.deps.metrics.providerLatency(modelRef, err.kind, err.latencyMs / 1000);
    // The provider's Retry-After, bounded by the configuration: the next attempt must not come before it.
    const waitMs = finalFailure === null ? Math.min(err.retryAfterMs ?? 0, this.deps.retryAfterMaxMs) : 0;
    this.log.warn({ event: 'provider_error', model: modelRef, kind: err.kind, status: err.status, code: err.code, error_type: err.type, retryable: err.retryable,
      latency_ms: err.latencyMs, final_failure: finalFailure, cost_micros: s.cost_micros.toString(), usage_unknown: s.usage_unknown,
      request_state: s.request_state, retry_after_ms: err.retryAfterMs, retry_wait_ms: waitMs, error: err.message }, 'provider call failed');
    if (finalFailure !== null) return;
    if (waitMs > 0) await this.waitRetryAfter(waitMs);
    throw new RetryLater(`provider ${err.kind}${err.status ? ` (${err.status})` : ''}: retrying`);
  }

  /**
   * graphile-worker's backoff (e^attempts s after the failure: 2.7 s, 7.4 s, ...) knows nothing of the provider's Retry-After:
   * a 429 asking for 30 s was tried again at +3 s and +10.7 s and the request failed attempts_exhausted in 11 s (review of the
   * provider boundary, 2026-11-26). The job waits here first, already settled (nothing held), so that the backoff starts after it: the next
   * attempt, which reserves again, comes no earlier than the provider asked. Its running job can only be put off this way:
   * graphile-worker moves a locked job's run_at only in its private tables, and a request's job is set once. A worker that
   * stops ends the wait at once (the job is then retried on the backoff alone).
   */
  private async waitRetryAfter(ms: number): Promise<void> {
    const signal = this.waitSignal;
    const since = Date.now();
    const outcome = await inSpan(this.deps.tracer, 'llm.retry_after_wait', this.parent, { 'llm.retry_after_ms': ms }, () =>
      sleep(ms, 'waited' as const, { signal }).catch(() => 'aborted' as const)); // node's timer: it rejects on abort
    this.log.info({ event: 'retry_after_wait', outcome, wait_ms: ms, waited_ms: Date.now() - since },
      outcome === 'waited' ? "waited for the provider's Retry-After before the retry" : 'the worker is stopping: the Retry-After wait ends early');
  }

  private async settleSuccess(req: CallRequest, res: ChatResult, modelRef: string, embedding: number[] | null,
    answeredModel: string | null, answeredSame: boolean): Promise<void> {
    const format = req.response_format ?? 'text';
    const outputValid = validateOutput(this.endpoint, format, res.content, res.finishReason);
    // The reasoning too: a trace is exported with its call when the tenant allows traces (tenth review).
    const piiFlagged = hasPii(res.content, res.reasoning ?? '', ...req.messages.map((m) => m.content));
    // A JSON answer that fails its schema ends the request (a retry would spend again, with no promise).
    const finalFailure: FinalFailure | null = format === 'json' && !outputValid ? 'invalid_output' : null;
    const s = await this.settle({ requestPk: this.pk, attemptNo: this.attemptNo!, status: 'ok', usage: res.usage, latencyMs: res.latencyMs,
      output: storableText(res.content), reasoning: storableText(res.reasoning), outputValid, piiFlagged, finalFailure, embedding, answeredModel, answeredSame });
    const governanceMs = performance.now() - this.startedAt - res.latencyMs;
    this.deps.metrics.governanceOverhead(governanceMs / 1000);
    this.deps.metrics.providerLatency(modelRef, 'ok', res.latencyMs / 1000);
    this.deps.metrics.cost(this.endpoint, modelRef, s.cost_micros);
    this.log.info({ event: 'settle', model: modelRef, input_tokens: res.usage?.inputTokens ?? null,
      cached_input_tokens: res.usage?.cachedInputTokens ?? null, output_tokens: res.usage?.outputTokens ?? null,
      usage_unknown: s.usage_unknown, latency_ms: res.latencyMs, cost_micros: s.cost_micros.toString(),
      held_micros: s.held_micros.toString(), released_micros: s.released_micros.toString(), overrun_micros: s.overrun_micros.toString(),
      output_valid: outputValid, pii_flagged: piiFlagged, final_failure: finalFailure, request_state: s.request_state,
      governance_ms: Math.round(governanceMs * 100) / 100 }, 'settled');
  }

  /**
   * The provider has billed by now, so a settle must not be lost to a dropped connection: retry
   * transient failures a bounded number of times (settle is idempotent, a retry after an unseen
   * commit is safe).
   */
  private async settle(given: SettleArgs): Promise<Settlement> {
    const a: SettleArgs = { ...given, reservedExpiry: given.reservedExpiry ?? this.reservedExpiry };
    this.pendingSettle = a;
    const s = await inSpan(this.deps.tracer, 'llm.settle', this.parent, { 'llm.status': a.status, 'llm.attempt_no': a.attemptNo }, async (span) => {
      for (let i = 1; ; i++) {
        try {
          const s = await this.deps.ledger.settle(this.ctx, a);
          span.setAttributes({ 'llm.cost_micros': s.cost_micros.toString(), 'llm.usage_unknown': s.usage_unknown, 'llm.request_state': s.request_state });
          return s;
        } catch (e) {
          if (isPermanentSqlError(e) || i >= 8) throw e;
          this.log.warn({ event: 'settle_retry', try: i, ...errorFields(e) }, 'settle failed on the connection; retrying');
          await new Promise((r) => setTimeout(r, Math.min(200 * 2 ** i, 3000)));
        }
      }
    });
    this.stage = 'settled';
    return s;
  }

  /** Unexpected errors: logged with the SQL facts; permanent ones (or any on the last attempt) recorded as final. */
  private async onError(e: unknown): Promise<void> {
    if (sqlState(e) === 'LG008') {
      // The database's attempt of this pk and number is another request's: it went back to an earlier state (a restore, a
      // point-in-time recovery, a failover that lost commits) and issued this request's ids again. Nothing can be recorded
      // here, and nothing may be changed on that other request: the call's usage goes to the log, for finance.
      const p = this.stage === 'sent' ? this.pendingSettle : null;
      this.log.error({ event: 'stale_reservation', stage: this.stage, attempt_no: this.attemptNo,
        reserved_expiry: this.reservedExpiry?.toISOString() ?? null, status: p?.status ?? null, input_tokens: p?.usage?.inputTokens ?? null,
        cached_input_tokens: p?.usage?.cachedInputTokens ?? null, output_tokens: p?.usage?.outputTokens ?? null,
        answered_model: p?.answeredModel ?? null, latency_ms: p ? Math.round(p.latencyMs) : null, ...errorFields(e) },
        this.stage === 'sent'
          ? 'the database no longer has this call\'s reservation (a restore or failover issued its ids again): its usage is recorded nowhere but here'
          : 'the database no longer has this job\'s reservation (a restore or failover issued its ids again): nothing to release');
      return;
    }
    const permanent = isPermanentSqlError(e);
    const final = permanent || this.lastAttempt;
    this.log[final ? 'error' : 'warn']({ event: 'job_error', stage: this.stage, permanent, last_attempt: this.lastAttempt, ...errorFields(e) },
      permanent ? 'permanent error; recording the failure' : final ? 'error on the last attempt; recording the failure' : 'transient error; graphile-worker will retry');
    if (!final) throw e;
    const recorded = await this.recordFinal(permanent ? 'worker_error' : 'attempts_exhausted');
    // Nothing could be recorded after a transient error: let graphile-worker mark the job failed;
    // llm.fail_lost_requests() ends the request later.
    if (!recorded && !permanent) throw e;
  }

  /** Ends the request as failed in our tables, as far as the stage allows. True when recorded (or nothing was left to record). */
  private async recordFinal(reason: FinalFailure): Promise<boolean> {
    try {
      if (this.stage === 'before_reserve') await this.deps.ledger.failRequest(this.ctx, this.pk, reason);
      else if (this.stage === 'reserved') await this.deps.ledger.release(this.ctx, this.pk, this.attemptNo!, reason, reason, this.reservedExpiry);
      else if (this.stage === 'sent') {
        // A request went out and could not be settled: the hold stays until the expiry sweep charges it in full.
        // With what the call used, for finance: after a restore or failover the attempt may not exist any more (review 92).
        const p = this.pendingSettle;
        this.log.error({ event: 'settle_lost', attempt_no: this.attemptNo, status: p?.status ?? null, input_tokens: p?.usage?.inputTokens ?? null,
          cached_input_tokens: p?.usage?.cachedInputTokens ?? null, output_tokens: p?.usage?.outputTokens ?? null,
          answered_model: p?.answeredModel ?? null }, 'provider was called but the settle failed; the hold will be charged in full at expiry');
      }
      return true;
    } catch (e) {
      this.log.error({ event: 'record_failure_failed', reason, ...errorFields(e) }, 'could not record the failure');
      return false;
    }
  }
}
