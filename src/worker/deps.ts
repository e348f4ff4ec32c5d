/** What a governed call needs from the running worker: the ledger, the provider clients, limits, logs, metrics, traces. */
import type { Tracer } from '@opentelemetry/api';
import type { Pool } from 'pg';
import type { Ledger } from '../db/ledger';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { createProviderClient, type ProviderClient, type ProviderConfig } from '../provider';
import type { CacheFillListener } from './cache-fill-listener';
import type { Catalog } from './catalog';

export interface ConfiguredProvider {
  config: ProviderConfig;
  client: ProviderClient;
}

/** The counters a governed call moves (an adapter over src/metrics.ts, so either side can change alone). */
export interface CallMetrics {
  decision(endpoint: string, model: string, decision: string, reason: string): void;
  cost(endpoint: string, model: string, micros: bigint): void;
  providerLatency(model: string, outcome: string, seconds: number): void;
  governanceOverhead(seconds: number): void;
  cacheHit(endpoint: string, kind: 'exact' | 'semantic'): void;
}

export const NO_METRICS: CallMetrics = {
  decision: () => {}, cost: () => {}, providerLatency: () => {}, governanceOverhead: () => {}, cacheHit: () => {},
};

export function callMetrics(m: Metrics): CallMetrics {
  return {
    decision: (endpoint, model, decision, reason) => m.calls.inc({ endpoint, model, decision, reason }),
    // Prometheus values are floats; the exact figures are in SQL.
    cost: (endpoint, model, micros) => m.costMicros.inc({ endpoint, model }, Number(micros)),
    providerLatency: (model, outcome, seconds) => m.providerLatency.observe({ model, outcome }, seconds),
    governanceOverhead: (seconds) => m.governanceOverhead.observe(seconds),
    cacheHit: (endpoint, kind) => {
      const labels = (m.cacheHits as unknown as { labelNames?: string[] }).labelNames;
      m.cacheHits.inc(labels?.includes('kind') ? ({ endpoint, kind } as never) : { endpoint });
    },
  };
}

export interface WorkerDeps {
  /** Logged in as llm_worker; money transactions act as llm_money (src/db/context.ts). */
  pool: Pool;
  ledger: Ledger;
  providers: Map<string, ConfiguredProvider>;
  callTimeoutMs: number;
  /** The longest a provider's Retry-After may put a job's next attempt off (config worker.retryAfterMaxMs). */
  retryAfterMaxMs: number;
  logger: Logger;
  metrics: CallMetrics;
  tracer: Tracer;
  /** Shared LISTEN llm_cache_filled connection; null: waits end by their timeout. */
  listener: CacheFillListener | null;
  /** llm.model_catalog as last read (fallback chains for the token estimate); null: not read. */
  catalog: Catalog | null;
  /**
   * Aborted when graphile-worker's pool starts to shut down: no new provider call is sent and the waits (a provider's
   * Retry-After, an identical request's cache fill) end at once, while the calls already sent run on until the job's own
   * abortSignal (worker.shutdownGraceMs later). Absent: only the job's abortSignal.
   */
  stopping?: AbortSignal;
  /**
   * This process's heartbeats (src/worker/health.ts): whether they have gone through without a failure for `ms`. The dead-lock
   * release waits for it: right after a database outage every live worker's heartbeat is stale, and their jobs look dead.
   * Absent: taken as steady.
   */
  heartbeatSteadyFor?: (ms: number) => boolean;
}

export function configureProviders(configs: ProviderConfig[], env: NodeJS.ProcessEnv = process.env): Map<string, ConfiguredProvider> {
  return new Map(configs.map((config) => [config.name, { config, client: createProviderClient(config, env) }]));
}
