/**
 * The application's side, in TypeScript: enqueue a governed call as llm_app with a signed context
 * (SPEC.md "Application API"). The database claims the request and writes the job; this helper
 * only signs, sends, and traces (span `llm.enqueue`). Used by the demo and the tests; an
 * application in another language does the same in SQL (README "Your first request, from SQL").
 */
import { SpanKind, type Tracer } from '@opentelemetry/api';
import type { Pool } from 'pg';
import { z } from 'zod';
import { int8 } from '../int8';
import { GEN_AI, inSpan, tracer as defaultTracer } from '../telemetry';
import { signContext, withApp } from './context';

export interface EnqueuePayload {
  request_id: string;
  endpoint: string;
  model: string;
  messages: Array<{ role: string; content: string }>;
  max_output_tokens: number;
  budget_scope?: string;
  source_watermark?: string;
  response_format?: 'text' | 'json';
  correlation_id?: string;
  cost_ceiling_micros?: string | number;
  tenant_id?: string;
  user_id?: string;
}

export const EnqueueResultSchema = z.object({ request_pk: int8, state: z.string(), created: z.boolean() });
export type EnqueueResult = z.output<typeof EnqueueResultSchema>;

export interface AppIdentity {
  /** LLM_CONTEXT_SECRET, the secret `npm run migrate` installed in the database. */
  secret: string;
  tenantId: string;
  userId: string;
}

/** One llm.enqueue_call in its own transaction; `created` is false for a duplicate of an existing request. */
export async function enqueueCall(appPool: Pool, who: AppIdentity, payload: EnqueuePayload, t: Tracer = defaultTracer()): Promise<EnqueueResult> {
  return inSpan(t, 'llm.enqueue', null, {
    'llm.endpoint': payload.endpoint, 'llm.request_id': payload.request_id, [GEN_AI.requestModel]: payload.model, 'llm.tenant_id': who.tenantId,
  }, async (span) => {
    const token = signContext(who.secret, who.tenantId, who.userId);
    const r = await withApp(appPool, token, async (c) =>
      EnqueueResultSchema.parse((await c.query('select * from llm.enqueue_call($1::jsonb)', [JSON.stringify(payload)])).rows[0]));
    span.setAttributes({ 'llm.request_pk': r.request_pk.toString(), 'llm.created': r.created, 'llm.request_state': r.state });
    return r;
  }, SpanKind.PRODUCER);
}
