/**
 * The demo batch `npm start` enqueues: two tenants, several users, every endpoint, a duplicate
 * enqueue, an o-series model (max_completion_tokens), a model estimated by the provider's own
 * counting endpoint, and a provider fault that the retry recovers from. Everything goes through
 * llm.enqueue_call as the application (llm_app, signed context), as an application would.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Pool } from 'pg';
import { withRole } from '../db/context';
import { enqueueCall, type EnqueueResult } from '../db/enqueue';

export const DEMO_TENANTS = {
  acme: 'd0000000-0000-4000-8000-00000000ac3e',
  globex: 'd0000000-0000-4000-8000-0000000091be',
} as const;
export const DEMO_USERS = {
  ana: 'd1000000-0000-4000-8000-000000000001',
  bo: 'd1000000-0000-4000-8000-000000000002',
  cy: 'd1000000-0000-4000-8000-000000000003',
  dee: 'd1000000-0000-4000-8000-000000000004',
} as const;

export interface DemoJob {
  tenant: string;
  user: string;
  requestId: string;
  endpoint: 'route' | 'explanation' | 'investigation' | 'budget_optimization';
  content: string;
  model?: string;
}

export function demoJobs(runId: string): DemoJob[] {
  const { acme, globex } = DEMO_TENANTS;
  const { ana, bo, cy, dee } = DEMO_USERS;
  const j = (tenant: string, user: string, n: number, endpoint: DemoJob['endpoint'], content: string, model?: string): DemoJob =>
    ({ tenant, user, requestId: `${runId}-${n}`, endpoint, content, ...(model ? { model } : {}) });
  return [
    j(acme, ana, 1, 'route', 'Which team should handle ticket 4411?'),
    j(acme, ana, 2, 'explanation', 'Explain why March cloud spend rose 18%.'),
    j(acme, ana, 2, 'explanation', 'Explain why March cloud spend rose 18%.'), // duplicate enqueue: one request, one call
    j(acme, bo, 3, 'investigation', 'Investigate the latency spike on checkout at 14:05. Answer in JSON.'),
    j(acme, bo, 4, 'budget_optimization', 'Suggest three ways to cut the data warehouse bill.', 'local:o4-mini'),
    j(acme, cy, 5, 'explanation', 'Explain the new pricing page.', 'local:mock-llama'),
    j(globex, dee, 6, 'route', 'Route: refund request over 500 USD.'),
    j(globex, dee, 7, 'investigation', 'Investigate failed payouts overnight. [[fault-once:status=500]]'), // retried once
    j(globex, dee, 8, 'explanation', 'Explain the variance in Q3 support costs.'),
  ];
}

/** src/demo/seed.sql as llm_operator (the worker's pool may act as it). */
export async function seedDemoTenants(pool: Pool): Promise<void> {
  const sql = readFileSync(join(__dirname, 'seed.sql'), 'utf8');
  await withRole(pool, 'llm_operator', (c) => c.query(sql));
}

export async function enqueueDemo(appPool: Pool, secret: string, jobs: DemoJob[], model: string): Promise<EnqueueResult[]> {
  const out: EnqueueResult[] = [];
  for (const job of jobs) {
    out.push(await enqueueCall(appPool, { secret, tenantId: job.tenant, userId: job.user }, {
      request_id: job.requestId, endpoint: job.endpoint, model: job.model ?? model,
      messages: [{ role: 'system', content: 'You are a concise analyst.' }, { role: 'user', content: job.content }],
      max_output_tokens: 256, correlation_id: `demo:${job.requestId}`,
      ...(job.endpoint === 'investigation' ? { response_format: 'json' as const } : {}),
    }));
  }
  return out;
}
