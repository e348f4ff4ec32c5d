/**
 * The demo batch `npm start` enqueues: two tenants, several users, every endpoint, a duplicate
 * enqueue, a user whose cap is too small, and a provider fault that the retry recovers from.
 * Everything goes through the SQL enqueue function, as an application would.
 */
import type { Pool } from 'pg';
import { withContext, withRole } from '../db/context';

export const DEMO_TENANTS = {
  acme: 'd0000000-0000-4000-8000-00000000ac3e',
  globex: 'd0000000-0000-4000-8000-0000000091be',
} as const;
export const DEMO_USERS = {
  ana: 'd1000000-0000-4000-8000-000000000001',
  bo: 'd1000000-0000-4000-8000-000000000002',
  cy: 'd1000000-0000-4000-8000-000000000003', // her cap is 50 micro-USD: she hits it
  dee: 'd1000000-0000-4000-8000-000000000004',
} as const;

export interface DemoJob {
  tenant: string;
  user: string;
  requestId: string;
  endpoint: 'route' | 'explanation' | 'investigation' | 'budget_optimization';
  content: string;
}

export function demoJobs(runId: string): DemoJob[] {
  const { acme, globex } = DEMO_TENANTS;
  const { ana, bo, cy, dee } = DEMO_USERS;
  const j = (tenant: string, user: string, n: number, endpoint: DemoJob['endpoint'], content: string): DemoJob =>
    ({ tenant, user, requestId: `${runId}-${n}`, endpoint, content });
  return [
    j(acme, ana, 1, 'route', 'Which team should handle ticket 4411?'),
    j(acme, ana, 2, 'explanation', 'Explain why March cloud spend rose 18%.'),
    j(acme, ana, 2, 'explanation', 'Explain why March cloud spend rose 18%.'), // duplicate enqueue: one call
    j(acme, bo, 3, 'investigation', 'Investigate the latency spike on checkout at 14:05. Answer in JSON.'),
    j(acme, bo, 4, 'budget_optimization', 'Suggest three ways to cut the data warehouse bill.'),
    j(acme, cy, 5, 'explanation', 'Explain the new pricing page.'), // refused: user_monthly_cap
    j(globex, dee, 6, 'route', 'Route: refund request over 500 USD.'),
    j(globex, dee, 7, 'investigation', 'Investigate failed payouts overnight. [[fault-once:status=500]]'), // retried once
    j(globex, dee, 8, 'explanation', 'Explain the variance in Q3 support costs.'),
  ];
}

export async function seedDemoTenants(pool: Pool): Promise<void> {
  await withRole(pool, 'llm_operator', async (c) => {
    await c.query(`select llm.upsert_tenant($1, 'Acme', 500000000, 25000000), llm.upsert_tenant($2, 'Globex', 200000000, 25000000)`,
      [DEMO_TENANTS.acme, DEMO_TENANTS.globex]);
    await c.query('select llm.set_user_caps($1, $2, 50)', [DEMO_TENANTS.acme, DEMO_USERS.cy]);
  });
}

export async function enqueueDemo(pool: Pool, jobs: DemoJob[], model: string): Promise<void> {
  for (const job of jobs) {
    await withContext(pool, { tenantId: job.tenant, userId: job.user }, (c) =>
      c.query('select llm.enqueue_call($1::jsonb)', [JSON.stringify({
        tenant_id: job.tenant, user_id: job.user, request_id: job.requestId, endpoint: job.endpoint, model,
        messages: [{ role: 'system', content: 'You are a concise analyst.' }, { role: 'user', content: job.content }],
        max_output_tokens: 256, correlation_id: `demo:${job.requestId}`,
      })]));
  }
}
