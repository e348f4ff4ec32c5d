/**
 * Prometheus metrics (prom-client), served by the worker on METRICS_PORT. Counters and histograms
 * are recorded by the governed call; everything else is read from the audit views at scrape time
 * (one query per scrape, src/dashboard/queries.ts), so every worker reports the same shared truth.
 *
 * A full scrape passes `promtool check metrics`: prom-client's default Node metrics include three
 * gauges named `*_total` (active handles, requests, resources), which promtool rejects for a
 * non-counter; they are dropped (their per-type gauges without `_total` remain, and sum to them).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Pool } from 'pg';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { loadMetricsSnapshot } from './dashboard/queries';
import type { MetricsSnapshot } from './dashboard/rows';
import { listenOrExplain } from './listen';
import { ENDPOINTS } from './payload';

export const DEFAULT_METRICS_PREFIX = 'llm_worker_';
/** Default metrics whose names promtool rejects (a gauge must not end in _total). */
export const DROPPED_DEFAULT_METRICS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];
/** Thresholds always exported (at 0 until one fires), so that increase() sees the first alert. */
export const ALERT_THRESHOLDS = ['80', '95'];

const BREAKER_STATE: Record<string, number> = { closed: 0, half_open: 1, open: 2 };

interface QueueRead { depth: number; oldestLockSeconds: number }
interface ScrapeRead { views: MetricsSnapshot | null; queue: QueueRead | null }

/**
 * The job queue, read through the worker's login. Depth: the jobs of our endpoints' tasks waiting or running, by their
 * task's name: graphile-worker hands our workers every job of a task they run, so another application's job named like an
 * endpoint on a shared schema is work waiting for them too; other tasks' jobs (another application's, the maintenance
 * jobs `llm__*`) are not. The oldest lock: among the locked jobs of our requests only (llm.locked_jobs: the job a request
 * names, not a task's name; the maintenance jobs left out), which llm.release_dead_worker_locks releases: another
 * application's long job is no gone worker of ours, and the alert's release by hand must not free it. The lock is read
 * whatever the job's attempts: a job running its last attempt has attempts = max_attempts, and is as stuck as any other
 * when its worker is gone.
 */
const QUEUE_SQL = `select (select count(*) from graphile_worker.jobs
                            where attempts < max_attempts and task_identifier = any ($1::text[]))::int as depth,
                          coalesce(extract(epoch from now() - (select min(locked_at) from llm.locked_jobs()
                                                                where task_identifier not like 'llm\\_\\_%')), 0)::float8 as oldest_lock_seconds`;

export interface MetricsOptions {
  /**
   * A pool logged in as llm_viewer: the views are read as llm_viewer. Without it they are read
   * through the worker's pool as llm_operator.
   */
  auditPool?: Pool;
}

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
  readonly cacheHits = new Counter({ name: 'llm_cache_hits_total', help: 'Requests served from the Postgres cache (kind: exact or semantic).',
    labelNames: ['endpoint', 'kind'], registers: [this.registry] });

  /** Failed database reads at scrape time; counted before the scrape that failed is rendered. */
  readonly readErrors: Counter;

  private pending: Promise<ScrapeRead> | null = null;

  constructor(pool: Pool, opts: MetricsOptions = {}) {
    collectDefaultMetrics({ register: this.registry, prefix: DEFAULT_METRICS_PREFIX });
    for (const name of DROPPED_DEFAULT_METRICS) this.registry.removeSingleMetric(DEFAULT_METRICS_PREFIX + name);
    const readViews = opts.auditPool
      ? () => loadMetricsSnapshot(opts.auditPool!, 'llm_viewer')
      : () => loadMetricsSnapshot(pool, 'llm_operator');
    const readQueue = async (): Promise<QueueRead> => {
      const row = (await pool.query(QUEUE_SQL, [ENDPOINTS])).rows[0];
      return { depth: row.depth as number, oldestLockSeconds: row.oldest_lock_seconds as number };
    };
    const read = () => this.read(readViews, readQueue);
    this.readErrors = new Counter({ name: 'llm_metrics_read_errors_total', registers: [this.registry],
      help: 'Database reads at scrape time that failed (their metrics read NaN or are left out of that scrape).',
      async collect() {
        await read();
      } });
    this.registerDbMetrics(read);
  }

  /**
   * One database read per scrape: prom-client collects every metric in the same tick, so they all
   * share it. A failed read yields null and is counted, rather than failing the whole scrape (a
   * database problem must not look like a dead worker): gauges then read NaN (unknown, never a
   * reassuring 0) and labelled series are left out.
   */
  private read(readViews: () => Promise<MetricsSnapshot>, readQueue: () => Promise<QueueRead>): Promise<ScrapeRead> {
    const failed = () => {
      this.readErrors.inc();
      return null;
    };
    this.pending ??= Promise.all([readViews().catch(failed), readQueue().catch(failed)])
      .then(([views, queue]) => ({ views, queue }))
      .finally(() => {
        this.pending = null;
      });
    return this.pending;
  }

  private registerDbMetrics(read: () => Promise<ScrapeRead>): void {
    const registers = [this.registry];
    const gauge = (name: string, help: string, pick: (r: ScrapeRead) => bigint | number | null) =>
      new Gauge({ name, help, registers, async collect() {
        const v = pick(await read());
        this.set(v === null ? NaN : Number(v));
      } });
    gauge('llm_open_holds', 'Reservations holding money now.', (r) => r.views?.open_holds ?? null);
    gauge('llm_holds_overdue', 'Open holds past their expires_at (the expiry sweep is behind or not running).', (r) => r.views?.holds_overdue ?? null);
    gauge('llm_reconciliation_drift_rows',
      'Rows of llm.reconciliation_drift at the last scheduled check (llm.reconciliation_status): usage counters that disagree with the ledger. Must be 0.',
      (r) => r.views?.drift_rows ?? null);
    gauge('llm_reconciliation_check_age_seconds',
      'Seconds since the last scheduled reconciliation check started its count (llm.check_reconciliation, every 5 minutes); +Inf before the first.',
      (r) => (r.views ? (r.views.drift_check_age_seconds ?? Infinity) : null));
    gauge('llm_role_settings_drift', 'Rows of llm.role_settings_drift: session defaults a login changed for itself since the last migrate. Must be 0.',
      (r) => r.views?.role_settings_drift ?? null);
    gauge('llm_job_queue_depth', 'Jobs of the LLM endpoints\' tasks waiting or running in graphile-worker.', (r) => r.queue?.depth ?? null);
    gauge('llm_job_oldest_lock_seconds',
      'Age of the oldest lock among the jobs of our requests (llm.locked_jobs; 0: none locked). A governed job runs minutes at most: an older lock is a gone worker\'s, which graphile-worker frees only after 4 hours.',
      (r) => r.queue?.oldestLockSeconds ?? null);
    new Gauge({
      name: 'llm_breaker_state', help: 'Shared circuit breaker per model: 0 closed, 1 half-open, 2 open.', labelNames: ['model'], registers,
      async collect() {
        const { views } = await read();
        this.reset();
        for (const b of views?.breakers ?? []) this.set({ model: b.model_ref }, BREAKER_STATE[b.state] ?? (b.state.startsWith('open') ? 2 : 1));
      },
    });
    new Gauge({
      name: 'llm_partition_months_ahead',
      help: 'Months past the current one that a ledger table has partitions for without a gap (llm.partition_coverage; -Inf: unknown). Below llm_partition_months_ahead_wanted for a day: npm run maintain-partitions is not running; at -1 this month\'s rows go to the DEFAULT partition.',
      labelNames: ['table'], registers,
      async collect() {
        const { views } = await read();
        this.reset();
        for (const p of views?.partitions ?? []) this.set({ table: p.table }, p.ahead ?? -Infinity);
      },
    });
    gauge('llm_partition_months_ahead_wanted', 'How many months ahead the partition maintenance keeps created (settings.partitions_ahead_months).',
      (r) => (r.views ? (r.views.partitions[0]?.wanted ?? null) : null));
    new Gauge({
      name: 'llm_limit_used_ratio_max',
      help: 'Highest used/cap ratio among current limit periods, per limit scope (budget_scope: among those that crossed an alert threshold in the last 24 hours, the newest 200 crossings; absent when none).',
      labelNames: ['scope'], registers,
      async collect() {
        const { views } = await read();
        this.reset();
        for (const u of views?.used_ratio_max ?? []) this.set({ scope: u.scope }, u.ratio);
      },
    });
    gauge('llm_budget_scope_crossings_unread',
      'Alert-threshold crossings of budget scopes in the last 24 hours beyond the newest 200 that llm_limit_used_ratio_max{scope="budget_scope"} reads (counted up to 10 000): above 0, that maximum is over part of them.',
      (r) => r.views?.budget_scope_crossings_unread ?? null);
    new Counter({
      name: 'llm_limit_alerts_total', help: 'Limit alerts fired (rows of llm.alerts, append-only), per threshold percentage.',
      labelNames: ['threshold'], registers,
      async collect() {
        const { views } = await read();
        this.reset();
        if (!views) return;
        for (const t of ALERT_THRESHOLDS) this.inc({ threshold: t }, 0);
        for (const a of views.alerts) this.inc({ threshold: a.threshold }, Number(a.n));
      },
    });
  }
}

/** Serves GET /metrics; port 0 picks a free port (tests). */
export async function serveMetrics(metrics: Metrics, port: number, host = '127.0.0.1'): Promise<{ server: Server; port: number }> {
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
  await listenOrExplain(server, port, host, 'METRICS_PORT');
  return { server, port: (server.address() as AddressInfo).port };
}
