/**
 * Thin wrappers over the ledger functions: one query each, explicit casts, rows parsed by zod
 * (int8 money as bigint). No rule lives here: reserve decides, settle records.
 */
import type { PoolClient } from 'pg';
import { z } from 'zod';
import { int8 } from '../int8';
import type { Endpoint } from '../payload';

const nullableInt8 = int8.nullable();

export const DecisionSchema = z.object({
  decision: z.enum(['allow', 'cap', 'fallback', 'block', 'replay', 'cached', 'wait']),
  reason: z.string(),
  reservation_id: nullableInt8,
  provider: z.string().nullable(),
  model: z.string().nullable(),
  max_output_tokens: z.int().nullable(),
  held_micros: nullableInt8,
  worst_case_micros: nullableInt8,
  limit_name: z.string().nullable(),
  limit_micros: nullableInt8,
  used_micros: nullableInt8,
  expires_at: z.date().nullable(),
  cached_output: z.string().nullable(),
});
export type Decision = z.output<typeof DecisionSchema>;

export interface ReserveArgs {
  tenantId: string;
  userId: string;
  requestId: string;
  endpoint: Endpoint;
  provider: string;
  model: string;
  inputTokens: number;
  maxOutputTokens: number;
  attempt: number;
  callTimeoutMs: number;
  costCeilingMicros?: bigint | null;
  /** The job payload, when the request may use the cache (the key is computed in SQL: llm.cache_key). */
  cachePayload?: unknown;
}

export async function reserveCall(c: PoolClient, a: ReserveArgs): Promise<Decision> {
  const { rows } = await c.query(
    `select * from llm.reserve_call($1::uuid, $2::uuid, $3::text, $4::text, $5::text, $6::text, $7::int, $8::int, $9::int, $10::int,
       $11::bigint, llm.cache_key($12::jsonb))`,
    [a.tenantId, a.userId, a.requestId, a.endpoint, a.provider, a.model, a.inputTokens, a.maxOutputTokens, a.attempt,
      a.callTimeoutMs, a.costCeilingMicros?.toString() ?? null,
      a.cachePayload === undefined ? null : JSON.stringify(a.cachePayload, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))],
  );
  return DecisionSchema.parse(rows[0]);
}

export const SettlementSchema = z.object({
  reservation_id: int8,
  state: z.string(),
  cost_micros: int8,
  held_micros: int8,
  released_micros: int8,
  overrun_micros: int8,
  late: z.boolean(),
  replayed: z.boolean(),
});
export type Settlement = z.output<typeof SettlementSchema>;

export type ProviderStatus = 'ok' | 'error' | 'timeout' | 'rate_limited' | 'malformed' | 'network' | 'client_error';

export interface SettleArgs {
  reservationId: bigint;
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  latencyMs: number;
  status: ProviderStatus;
  usageEstimated: boolean;
  /** What the call produced; stored apart (outputs, traces) and judged by the distillation gate. */
  result?: { messages: unknown; output: string; reasoning: string | null; outputValid: boolean; piiFlagged: boolean };
}

export async function settleCall(c: PoolClient, a: SettleArgs): Promise<Settlement> {
  const { rows } = await c.query(
    `select * from llm.settle_call($1::bigint, $2::int, $3::int, $4::int, $5::int, $6::text, $7::boolean, $8::jsonb, $9::text, $10::text,
       $11::boolean, $12::boolean)`,
    [a.reservationId.toString(), a.inputTokens, a.cachedInputTokens, a.outputTokens, Math.round(a.latencyMs), a.status, a.usageEstimated,
      a.result ? JSON.stringify(a.result.messages) : null, a.result?.output ?? null, a.result?.reasoning ?? null,
      a.result?.outputValid ?? null, a.result?.piiFlagged ?? false],
  );
  return SettlementSchema.parse(rows[0]);
}
