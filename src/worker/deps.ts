/** What a governed call needs from the running worker: the pool, the provider clients, limits, logs. */
import type { Pool } from 'pg';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { createProviderClient, type ProviderClient, type ProviderConfig } from '../provider';

export interface ConfiguredProvider {
  config: ProviderConfig;
  client: ProviderClient;
}

export interface WorkerDeps {
  /** Logged in as llm_worker; each of our transactions acts as llm_app (src/db/context.ts). */
  pool: Pool;
  providers: Map<string, ConfiguredProvider>;
  callTimeoutMs: number;
  /** Heartbeat age after which a worker is taken for dead. */
  deadAfterMs: number;
  logger: Logger;
  metrics: Metrics;
}

export function configureProviders(configs: ProviderConfig[], env: NodeJS.ProcessEnv = process.env): Map<string, ConfiguredProvider> {
  return new Map(configs.map((config) => [config.name, { config, client: createProviderClient(config, env) }]));
}
