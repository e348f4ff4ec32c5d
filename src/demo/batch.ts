/**
 * The demo batch `npm start` enqueues: two tenants, several users, every endpoint, a duplicate
 * enqueue, an o-series model (max_completion_tokens), a model estimated by the provider's own
 * counting endpoint, a provider fault that the retry recovers from, a refusal by a user's small
 * monthly cap, an investigation (a budget scope) that reaches its call cap (alerts, then a
 * refusal), and, once the first batch is answered, a reworded question that the semantic cache
 * answers (src/demo/seed.sql sets the limits and the cache). Everything goes through
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
  budgetScope?: string;
  sourceWatermark?: string;
}

/** The data revision the demo's cached questions are about (a new one would never see old answers). */
export const DEMO_WATERMARK = 'billing-2026-03@rev1';

type Extra = Pick<DemoJob, 'model' | 'budgetScope' | 'sourceWatermark'>;
const demoJob = (runId: string) => (tenant: string, user: string, n: number, endpoint: DemoJob['endpoint'], content: string, extra: Extra = {}): DemoJob =>
  ({ tenant, user, requestId: `${runId}-${n}`, endpoint, content, ...extra });

/** The first batch, enqueued at once. */
export function demoJobs(runId: string): DemoJob[] {
  const { acme, globex } = DEMO_TENANTS;
  const { ana, bo, cy, dee } = DEMO_USERS;
  const j = demoJob(runId);
  const investigation = { budgetScope: `${runId}-checkout-latency` }; // Acme: at most 2 calls per investigation (seed.sql)
  return [
    j(acme, ana, 1, 'route', 'Which team should handle ticket 4411?'),
    j(acme, ana, 2, 'explanation', 'Explain why March cloud spend rose 18%.'),
    j(acme, ana, 2, 'explanation', 'Explain why March cloud spend rose 18%.'), // duplicate enqueue: one request, one call
    j(acme, bo, 3, 'investigation', 'Investigate the latency spike on checkout at 14:05. Answer in JSON.', investigation),
    j(acme, bo, 4, 'budget_optimization', 'Suggest three ways to cut the data warehouse bill.', { model: 'local:o4-mini' }),
    j(acme, cy, 5, 'explanation', 'Explain the new pricing page.', { model: 'local:mock-llama' }),
    j(globex, dee, 6, 'route', 'Route: refund request over 500 USD.'),
    j(globex, dee, 7, 'investigation', 'Investigate failed payouts overnight. [[fault-once:status=500]]'), // retried once
    j(globex, dee, 8, 'explanation', 'Explain the variance in Q3 support costs.'),
    j(acme, cy, 9, 'route', 'Route: the CFO wants the cloud bill split by team.'), // refused: cy's cap is 0.001 USD (seed.sql)
    j(acme, bo, 10, 'investigation', 'Investigate step 2: compare checkout latency with the 14:00 deploy. Answer in JSON.', investigation),
    j(acme, bo, 11, 'investigation', 'Investigate step 3: list the slow database queries. Answer in JSON.', investigation),
    j(globex, dee, 12, 'explanation', 'Why did our AWS bill go up in March?', { sourceWatermark: DEMO_WATERMARK }),
  ];
}

/** Enqueued once the first batch is answered: request 12 reworded, answered by the semantic cache. */
export function demoFollowUps(runId: string): DemoJob[] {
  return [demoJob(runId)(DEMO_TENANTS.globex, DEMO_USERS.dee, 13, 'explanation', 'Why did the AWS bill go up in March?',
    { sourceWatermark: DEMO_WATERMARK })];
}

/** src/demo/seed.sql as llm_operator (a pool of the llm_operator login: the worker's login acts as it for the sweeps only). */
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
      ...(job.budgetScope ? { budget_scope: job.budgetScope } : {}),
      ...(job.sourceWatermark ? { source_watermark: job.sourceWatermark } : {}),
      ...(job.endpoint === 'investigation' ? { response_format: 'json' as const } : {}),
    }));
  }
  return out;
}
