/**
 * One zod-validated configuration, read at start from environment variables and an optional JSON
 * file (LLM_CONFIG_FILE). A bad or missing setting stops the process with one line naming it.
 * Provider keys are never in the configuration: a provider names the environment variable that
 * holds its key.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ProviderConfigSchema } from './provider';

const intFromEnv = (min: number, max: number) =>
  z.union([z.int(), z.string().regex(/^\d+$/).transform(Number)]).pipe(z.int().min(min).max(max));

export const ConfigSchema = z.strictObject({
  databaseUrl: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL'),
  providers: z.array(ProviderConfigSchema).default([]),
  /** Hard timeout of one provider call; the hold's expiry is this plus the database's margin. */
  callTimeoutMs: intFromEnv(100, 3_600_000).default(30_000),
  worker: z
    .strictObject({
      concurrency: intFromEnv(1, 256).default(8),
      pollIntervalMs: intFromEnv(50, 60_000).default(1000),
      /** A worker whose heartbeat (every 5 s) is older than this is dead: its jobs are unlocked. */
      deadAfterMs: intFromEnv(1000, 3_600_000).default(60_000),
    })
    .default({ concurrency: 8, pollIntervalMs: 1000, deadAfterMs: 60_000 }),
  metricsPort: intFromEnv(0, 65535).nullable().default(null),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});
export type Config = z.output<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;

export class ConfigError extends Error {
  static {
    this.prototype.name = 'ConfigError';
  }
}

/** Reads the file (if LLM_CONFIG_FILE) and the environment; environment variables win. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  let file: Record<string, unknown> = {};
  if (env.LLM_CONFIG_FILE) {
    try {
      file = JSON.parse(readFileSync(env.LLM_CONFIG_FILE, 'utf8'));
    } catch (e) {
      throw new ConfigError(`config: LLM_CONFIG_FILE ${env.LLM_CONFIG_FILE}: ${(e as Error).message}`);
    }
  }
  const fromEnv: Record<string, unknown> = {
    databaseUrl: env.DATABASE_URL,
    providers: env.LLM_PROVIDERS ? parseJsonSetting('LLM_PROVIDERS', env.LLM_PROVIDERS) : undefined,
    callTimeoutMs: env.LLM_CALL_TIMEOUT_MS,
    metricsPort: env.METRICS_PORT,
    logLevel: env.LOG_LEVEL,
  };
  const worker = { ...(file.worker as object), concurrency: env.WORKER_CONCURRENCY, pollIntervalMs: env.WORKER_POLL_INTERVAL_MS,
    deadAfterMs: env.WORKER_DEAD_AFTER_MS };
  return parseConfig({ ...file, ...definedOnly(fromEnv), worker: definedOnly(worker) });
}

export function parseConfig(input: unknown): Config {
  const r = ConfigSchema.safeParse(input);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new ConfigError(`config: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return r.data;
}

function parseJsonSetting(name: string, value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    throw new ConfigError(`config: ${name} is not valid JSON`);
  }
}

function definedOnly(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== ''));
}
