/**
 * The enqueue payload contract (what an application passes to llm.enqueue_call), mirrored by
 * llm_private.payload_errors in sql/api/100-requests.sql; test/fixtures/payloads.json holds the
 * cases both must agree on. The tenant and user come from the signed context; when the payload
 * names them too they must be the context's. (A job's own payload is only the request's identity,
 * written by the database: src/worker.)
 */
import { z } from 'zod';
import { micros } from './int8';

export const ENDPOINTS = ['route', 'explanation', 'investigation', 'budget_optimization'] as const;
export type Endpoint = (typeof ENDPOINTS)[number];

const MessageSchema = z.strictObject({
  role: z.enum(['system', 'user', 'assistant']),
  content: z.string().max(100_000),
});

export const EnqueuePayloadSchema = z
  .strictObject({
    tenant_id: z.guid().optional(),
    user_id: z.guid().optional(),
    request_id: z.string().min(1).max(200),
    endpoint: z.enum(ENDPOINTS),
    model: z.string().regex(/^[a-z0-9_-]{1,40}:[^\s\x01-\x1f]{1,200}$/, 'must be "provider:model"'),
    messages: z.array(MessageSchema).min(1).max(50),
    max_output_tokens: z.int().min(1).max(100_000),
    correlation_id: z.string().min(1).max(200).optional(),
    cost_ceiling_micros: micros.refine((v) => v <= 1_000_000_000_000n, 'at most 1e12').optional(),
    source_watermark: z.string().min(1).max(200).optional(),
    response_format: z.enum(['text', 'json']).optional(),
    budget_scope: z.string().min(1).max(200).optional(),
  })
  .refine((p) => Buffer.byteLength(JSON.stringify(p, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))) <= 262_144, {
    message: 'payload larger than 256 KiB',
  });

export type EnqueuePayload = z.output<typeof EnqueuePayloadSchema>;
