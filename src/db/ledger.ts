/**
 * Thin wrappers over the worker's SQL API (SPEC.md "The SQL API the worker calls"): one query each,
 * explicit casts, rows parsed by zod (int8 money as bigint). No rule lives here: reserve decides,
 * settle records. sqlLedger sends each as one transaction in one round trip (moneyStatement,
 * src/db/context.ts).
 *
 * `Ledger` is the same API as an interface, so that the governed call can be exercised against a
 * fake in unit tests; `sqlLedger` is the real one.
 */
import type { Pool } from 'pg';
import { z } from 'zod';
import { moneyStatement, type RequestContext, type TxLimits } from './context';
import type { LiteralValue } from './literals';
import { int8 } from '../int8';

const nullableInt8 = int8.nullable();

export const REQUEST_STATES = ['queued', 'running', 'done', 'refused', 'failed', 'cancelled'] as const;

export const CallRequestSchema = z.object({
  request_pk: int8,
  request_id: z.string(),
  endpoint: z.string(),
  state: z.enum(REQUEST_STATES),
  model_ref: z.string(),
  messages: z.array(z.object({ role: z.enum(['system', 'developer', 'user', 'assistant']), content: z.string() })).min(1),
  max_output_tokens: z.int().positive(),
  response_format: z.enum(['text', 'json']).nullable(),
  source_watermark: z.string().nullable(),
  budget_scope: z.string().nullable(),
  correlation_id: z.string().nullable(),
  tokenizer: z.string().nullish(),
});
export type CallRequest = z.output<typeof CallRequestSchema>;

export const DECISIONS = ['allow', 'cap', 'fallback', 'block', 'replay', 'cached', 'wait'] as const;

export const DecisionSchema = z.object({
  decision: z.enum(DECISIONS),
  reason: z.string(),
  attempt_no: z.int().nullable(),
  provider: z.string().nullable(),
  model: z.string().nullable(),
  max_output_tokens: z.int().nullable(),
  held_micros: nullableInt8,
  worst_case_micros: nullableInt8,
  limit_id: nullableInt8,
  limit_name: z.string().nullable(),
  /** The deciding limit's meter scope and window (request for the payload's cost ceiling); NULL when no limit decided. */
  limit_scope: z.string().nullable(),
  limit_window: z.string().nullable(),
  limit_cap: nullableInt8,
  limit_used: nullableInt8,
  expires_at: z.date().nullable(),
  cached_output: z.string().nullable(),
  retry_after_ms: z.int().nullable(),
  /** Not in SPEC.md yet (requested): the cache key a `wait` waits for, so the LISTEN can match its NOTIFY. */
  cache_key: z.string().nullish(),
});
export type Decision = z.output<typeof DecisionSchema>;

export type ProviderStatus = 'ok' | 'error' | 'timeout' | 'rate_limited' | 'malformed' | 'network' | 'client_error' | 'aborted';
export type FinalFailure = 'provider_client_error' | 'attempts_exhausted' | 'provider_not_configured' | 'invalid_output' | 'worker_error';

export interface ReserveArgs {
  requestPk: bigint;
  jobAttempt: number;
  inputTokens: number;
  callTimeoutMs: number;
  traceId: string | null;
  /** 'embedding' reserves the semantic cache's embedding call (docs/semantic-cache.md); default 'chat'. */
  purpose?: 'chat' | 'embedding';
  /** Chat only, after the embedding call settled ok: the question's vector for the semantic lookup. */
  embedding?: number[] | null;
}

export const SettlementSchema = z.object({
  state: z.string(),
  cost_micros: int8,
  held_micros: int8,
  released_micros: int8,
  overrun_micros: int8,
  usage_unknown: z.boolean(),
  late: z.boolean(),
  replayed: z.boolean(),
  request_state: z.string(),
});
export type Settlement = z.output<typeof SettlementSchema>;

export interface SettleArgs {
  requestPk: bigint;
  attemptNo: number;
  status: ProviderStatus;
  /** null when the provider reported no usage: the database charges the full hold (usage_unknown). */
  usage: { inputTokens: number; cachedInputTokens: number; outputTokens: number } | null;
  latencyMs: number;
  output?: string | null;
  reasoning?: string | null;
  outputValid?: boolean | null;
  piiFlagged?: boolean;
  finalFailure?: FinalFailure | null;
  /** Chat only: the vector the chat reserve looked up with, stored with the cache entry. */
  embedding?: number[] | null;
  /**
   * The model the provider said answered, when its name is not the one asked for: the database charges the tokens at the
   * dearest price among the asked model and the answering model's names (an unpriced other model: an unknown usage). Null:
   * the provider answered with the name asked for.
   */
  answeredModel?: string | null;
  /** The configuration takes answeredModel for the model asked for (a dated snapshot, an alias): kept only if priced apart. */
  answeredSame?: boolean;
  /**
   * The expires_at reserve returned: the settle ends that reservation only (LG008 otherwise: a database that went back to an
   * earlier state issued the attempt's ids to another request). Null: not checked.
   */
  reservedExpiry?: Date | null;
}

/** llm.embedding_for_call: which embedding model to call before a chat call (no row: skip the semantic cache). */
export const EmbeddingPlanSchema = z.object({
  embedding_model: z.string(),
  provider: z.string(),
  model: z.string(),
  semantic_threshold: z.number(),
});
export type EmbeddingPlan = z.output<typeof EmbeddingPlanSchema>;

export const ReleaseSchema = z.object({ state: z.string(), released_micros: int8, request_state: z.string() });
export type Release = z.output<typeof ReleaseSchema>;

const REQUEST_FOR_CALL_SQL = 'select * from llm.request_for_call($1::bigint)';
const EMBEDDING_FOR_CALL_SQL = 'select * from llm.embedding_for_call($1::bigint)';
const RESERVE_SQL = `select * from llm.reserve_call(p_request_pk => $1::bigint, p_job_attempt => $2::int, p_input_tokens => $3::int,
       p_call_timeout_ms => $4::int, p_trace_id => $5::text, p_purpose => $6::text, p_embedding => $7::real[])`;
const SETTLE_SQL = `select * from llm.settle_call(p_request_pk => $1::bigint, p_attempt_no => $2::int, p_status => $3::text,
       p_input_tokens => $4::int, p_cached_input_tokens => $5::int, p_output_tokens => $6::int, p_latency_ms => $7::int,
       p_output => $8::text, p_reasoning => $9::text, p_output_valid => $10::boolean, p_pii_flagged => $11::boolean,
       p_final_failure => $12::text, p_embedding => $13::real[], p_answered_model => $14::text,
       p_answered_same => $15::boolean, p_reserved_expiry => $16::timestamptz)`;
const RELEASE_SQL = 'select * from llm.release_call(p_request_pk => $1::bigint, p_attempt_no => $2::int, p_reason => $3::text, ' +
  'p_final_failure => $4::text, p_reserved_expiry => $5::timestamptz)';
const FAIL_REQUEST_SQL = 'select llm.fail_request(p_request_pk => $1::bigint, p_reason => $2::text) as state';

function reserveParams(a: ReserveArgs): LiteralValue[] {
  return [a.requestPk, a.jobAttempt, a.inputTokens, a.callTimeoutMs, a.traceId, a.purpose ?? 'chat', a.embedding ?? null];
}

function settleParams(a: SettleArgs): LiteralValue[] {
  return [a.requestPk, a.attemptNo, a.status, a.usage?.inputTokens ?? null, a.usage?.cachedInputTokens ?? null,
    a.usage?.outputTokens ?? null, Math.round(a.latencyMs), a.output ?? null, a.reasoning ?? null, a.outputValid ?? null,
    a.piiFlagged ?? false, a.finalFailure ?? null, a.embedding ?? null, a.answeredModel ?? null,
    a.answeredSame ?? false, a.reservedExpiry?.toISOString() ?? null];
}

/** The money path of one job: each method is one transaction as llm_money in the job's context. */
export interface Ledger {
  requestForCall(ctx: RequestContext, requestPk: bigint): Promise<CallRequest | null>;
  embeddingForCall(ctx: RequestContext, requestPk: bigint): Promise<EmbeddingPlan | null>;
  reserve(ctx: RequestContext, a: ReserveArgs): Promise<Decision>;
  settle(ctx: RequestContext, a: SettleArgs): Promise<Settlement>;
  release(ctx: RequestContext, requestPk: bigint, attemptNo: number, reason: string, finalFailure?: FinalFailure | null,
    reservedExpiry?: Date | null): Promise<Release>;
  failRequest(ctx: RequestContext, requestPk: bigint, reason: FinalFailure): Promise<string>;
}

export function sqlLedger(pool: Pool, limits: TxLimits = {}): Ledger {
  // Each call is one transaction sent in one round trip (moneyStatement): BEGIN, context, the call, COMMIT.
  const one = async (ctx: RequestContext, text: string, params: readonly LiteralValue[], own: TxLimits = {}) =>
    (await moneyStatement(pool, ctx, text, params, { ...own, ...limits })).rows;
  // What records money already spent (a settle, a release, a request's end) waits for locks as long as its statement may:
  // with the short default an application that locked its own request made every settle try fail, the settle was given up,
  // and an overrun above the hold was never billed (review of 2026-11-26). A reserve keeps the short wait: it spends nothing.
  const recording: TxLimits = { lockTimeoutMs: 30_000 };
  return {
    requestForCall: async (ctx, pk) => {
      const rows = await one(ctx, REQUEST_FOR_CALL_SQL, [pk]);
      return rows[0] ? CallRequestSchema.parse(rows[0]) : null;
    },
    embeddingForCall: async (ctx, pk) => {
      const rows = await one(ctx, EMBEDDING_FOR_CALL_SQL, [pk]);
      return rows[0] ? EmbeddingPlanSchema.parse(rows[0]) : null;
    },
    reserve: async (ctx, a) => DecisionSchema.parse((await one(ctx, RESERVE_SQL, reserveParams(a)))[0]),
    settle: async (ctx, a) => SettlementSchema.parse((await one(ctx, SETTLE_SQL, settleParams(a), recording))[0]),
    release: async (ctx, pk, n, reason, final = null, expiry = null) =>
      ReleaseSchema.parse((await one(ctx, RELEASE_SQL, [pk, n, reason, final, expiry?.toISOString() ?? null], recording))[0]),
    failRequest: async (ctx, pk, reason) => z.string().parse((await one(ctx, FAIL_REQUEST_SQL, [pk, reason], recording))[0]?.state),
  };
}
