/**
 * The LLM job payload contract, mirrored by llm_private.payload_errors in sql/api/120-enqueue.sql.
 * test/fixtures/payloads.json holds the cases both must agree on.
 */
import { z } from 'zod';
import { micros } from './int8';

export const ENDPOINTS = ['route', 'explanation', 'investigation', 'budget_optimization'] as const;
export type Endpoint = (typeof ENDPOINTS)[number];

const MessageSchema = z.strictObject({
  role: z.enum(['system', 'user', 'assistant']),
  content: z.string().max(100_000),
});

export const LlmJobPayloadSchema = z
  .strictObject({
    tenant_id: z.guid(),
    user_id: z.guid(),
    request_id: z.string().min(1).max(200),
    endpoint: z.enum(ENDPOINTS),
    model: z.string().regex(/^[a-z0-9_-]{1,40}:[^\s\x01-\x1f]{1,200}$/, 'must be "provider:model"'),
    messages: z.array(MessageSchema).min(1).max(50),
    max_output_tokens: z.int().min(1).max(100_000),
    correlation_id: z.string().min(1).max(200).optional(),
    cost_ceiling_micros: micros.refine((v) => v <= 1_000_000_000_000n, 'at most 1e12').optional(),
    source_watermark: z.string().min(1).max(200).optional(),
    response_format: z.enum(['text', 'json']).optional(),
  })
  .refine((p) => Buffer.byteLength(JSON.stringify(p, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))) <= 262_144, {
    message: 'payload larger than 256 KiB',
  });

export type LlmJobPayload = z.output<typeof LlmJobPayloadSchema>;
