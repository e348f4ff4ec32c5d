/**
 * Prometheus metrics (prom-client), served by the worker on METRICS_PORT. Counters and the latency
 * histogram are recorded by the governed call; breaker state, open holds and queue depth are read
 * from Postgres at scrape time, so every worker reports the same shared truth.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Pool } from 'pg';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { withRole } from './db/context';

const BREAKER_STATE = { closed: 0, half_open: 1, open: 2 } as const;

export class Metrics {
  readonly registry = new Registry();
  readonly calls = new Counter({ name: 'llm_calls_total', help: 'Reserve decisions by endpoint, model and decision.',
    labelNames: ['endpoint', 'model', 'decision', 'reason'], registers: [this.registry] });
  readonly costMicros = new Counter({ name: 'llm_cost_micros_total', help: 'Settled cost in micro-USD.',
    labelNames: ['endpoint', 'model'], registers: [this.registry] });
  readonly providerLatency = new Histogram({ name: 'llm_provider_latency_seconds', help: 'Provider call latency.',
    labelNames: ['model', 'outcome'], buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60], registers: [this.registry] });
  readonly governanceOverhead = new Histogram({ name: 'llm_governance_overhead_seconds',
    help: 'Time a governed call spends outside the provider: payload, token count, reserve and settle.',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25], registers: [this.registry] });
  readonly cacheHits = new Counter({ name: 'llm_cache_hits_total', help: 'Requests served from the Postgres cache.',
    labelNames: ['endpoint'], registers: [this.registry] });

  constructor(pool: Pool) {
    collectDefaultMetrics({ register: this.registry, prefix: 'llm_worker_' });
    new Gauge({
      name: 'llm_breaker_state', help: 'Shared circuit breaker per model: 0 closed, 1 half-open, 2 open.', labelNames: ['model'],
      registers: [this.registry],
      async collect() {
        const rows = await withRole(pool, 'llm_operator', async (c) =>
          (await c.query(`select provider || ':' || model as model, state from llm_private.provider_breakers`)).rows);
        this.reset();
        for (const r of rows) this.set({ model: r.model }, BREAKER_STATE[r.state as keyof typeof BREAKER_STATE]);
      },
    });
    new Gauge({
      name: 'llm_open_holds', help: 'Reservations holding money now.', registers: [this.registry],
      async collect() {
        const n = await withRole(pool, 'llm_operator', async (c) =>
          (await c.query(`select count(*)::int as n from llm_private.reservations where state = 'held'`)).rows[0].n);
        this.set(n);
      },
    });
    new Gauge({
      name: 'llm_job_queue_depth', help: 'LLM jobs waiting or running in graphile-worker.', registers: [this.registry],
      async collect() {
        const { rows } = await pool.query(
          `select count(*)::int as n from graphile_worker.jobs where attempts < max_attempts and task_identifier not like 'llm\\_\\_%'`);
        this.set(rows[0].n);
      },
    });
  }
}

/** Serves GET /metrics; port 0 picks a free port (tests). */
export async function serveMetrics(metrics: Metrics, port: number): Promise<{ server: Server; port: number }> {
  const server = createServer(async (req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    try {
      const body = await metrics.registry.metrics();
      res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(body);
    } catch (e) {
      res.writeHead(500).end(`metrics failed: ${(e as Error).message}`);
    }
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}
