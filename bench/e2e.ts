/**
 * Row 4b/4c: governed jobs end to end (SQL enqueue -> graphile-worker task -> local provider with
 * zero latency -> settle), and the governance overhead per call (everything but the provider, as
 * the worker measures it: llm_governance_overhead_seconds / the governance_ms log field).
 * The worker runs with the same concurrency and poll interval as the no-op baseline (row 4a).
 */
import { Writable } from 'node:stream';
import { Pool } from 'pg';
import type { E2EResult } from './e2e-hook';
import { parseConfig } from '../src/config';
import { withContext } from '../src/db/context';
import { urlForRole } from '../src/db/urls';
import { createLogger } from '../src/logger';
import { LOCAL_KEY_ENV, localProviderConfig } from '../src/provider/local-config';
import { startMockProvider } from '../src/provider/mock-server';
import { startWorker } from '../src/worker/run';
import { percentile } from './latency';

const CONCURRENCY = Number(process.env.BENCH_WORKER_CONCURRENCY ?? 10);

export async function runE2E(adminUrl: string, seconds: number): Promise<E2EResult> {
  const mock = await startMockProvider({ port: 0 });
  const env = { ...process.env, [LOCAL_KEY_ENV]: 'bench-key' };
  const app = new Pool({ connectionString: urlForRole(adminUrl, 'llm_app', env), max: 8 });
  try {
    const busy = await phase(adminUrl, app, mock.baseUrl, env, CONCURRENCY, Math.max(500, Math.round(seconds * 400)), seconds, 'tp');
    const calm = await phase(adminUrl, app, mock.baseUrl, env, 1, 300, seconds, 'seq');
    return {
      jobsPerSecond: busy.jobsPerSecond,
      overheadP50Ms: percentile(calm.overheads, 50),
      overheadP99Ms: percentile(calm.overheads, 99),
      contendedOverheadP50Ms: percentile(busy.overheads, 50),
      contendedOverheadP99Ms: percentile(busy.overheads, 99),
    };
  } finally {
    await app.end();
    await mock.stop();
  }
}

/** Enqueue `jobs` through llm.enqueue_call, run a worker until they are done or time is up. */
async function phase(adminUrl: string, app: Pool, baseUrl: string, env: NodeJS.ProcessEnv, concurrency: number, jobs: number,
  seconds: number, tag: string): Promise<{ jobsPerSecond: number; overheads: number[] }> {
  const overheads: number[] = [];
  const sink = new Writable({
    write(chunk, _e, cb) {
      for (const line of String(chunk).split('\n')) {
        const m = /"governance_ms":([\d.]+)/.exec(line);
        if (m) overheads.push(Number(m[1]));
      }
      cb();
    },
  });
  await enqueue(app, jobs, tag);
  const cfg = parseConfig({ databaseUrl: adminUrl, providers: [localProviderConfig(baseUrl)], callTimeoutMs: 10000,
    worker: { concurrency, pollIntervalMs: 100 } });
  const started = performance.now();
  const worker = await startWorker(cfg, createLogger({ level: 'info', destination: sink }), env);
  const deadline = started + seconds * 1000;
  while (performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    const left = await worker.deps.pool.query(`select count(*)::int as n from graphile_worker.jobs where task_identifier = 'investigation'`);
    if (left.rows[0].n === 0) break;
  }
  const elapsed = (performance.now() - started) / 1000;
  await worker.stop();
  overheads.sort((a, b) => a - b);
  return { jobsPerSecond: overheads.length / elapsed, overheads };
}

async function enqueue(app: Pool, jobs: number, tag: string): Promise<void> {
  let next = 0;
  const one = async () => {
    for (let i = next++; i < jobs; i = next++) {
      const n = (i % 1000) + 1;
      const t = await app.query(`select md5('t' || $1::int)::uuid::text as t, md5('u' || $1::int)::uuid::text as u`, [n]);
      const { t: tenant, u: user } = t.rows[0];
      await withContext(app, { tenantId: tenant, userId: user }, (c) => c.query('select llm.enqueue_call($1::jsonb)', [JSON.stringify({
        tenant_id: tenant, user_id: user, request_id: `e2e-${tag}-${i}-${Date.now()}`, endpoint: 'investigation', model: 'local:mock-chat',
        messages: [{ role: 'user', content: `Investigate anomaly ${i}.` }], max_output_tokens: 32,
      })]));
    }
  };
  await Promise.all(Array.from({ length: 8 }, one));
}
