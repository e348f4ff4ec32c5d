/**
 * One zod-validated configuration, read at start from environment variables and an optional JSON
 * file (LLM_CONFIG_FILE, format: ConfigFileSchema, JSON Schema in config.schema.json, example in
 * config.example.json). Environment variables win over the file. A bad or missing setting stops
 * the process with one line naming what the user sets: the environment variable (METRICS_PORT),
 * or the file and the JSON path in it. Provider keys are never in the configuration: a provider
 * names the environment variable that holds its key.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ENDPOINTS } from './payload';
import { parseModelRef, ProviderConfigSchema } from './provider/models';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const port = z.int().min(0).max(65535);

const isModelRef = (ref: string): boolean => {
  try {
    parseModelRef(ref);
    return true;
  } catch {
    return false;
  }
};

/**
 * An endpoint's cache settings for every tenant: the default row of llm_private.endpoint_settings,
 * written by `npm run sync-config` through llm.set_endpoint_cache(NULL, endpoint, ...). A key left
 * out keeps what the database has; a tenant's own row is an operator's SQL, not configuration.
 */
export const EndpointCacheSchema = z.strictObject({
  shared: z.boolean().optional().meta({
    description: "every user of a tenant shares the endpoint's cache (else each user has their own); omitted: unchanged",
  }),
  semanticThreshold: z.number().gt(0).lte(1).nullable().optional().meta({
    description: 'cosine similarity in (0, 1] at or above which the answer to a reworded question is served; null: exact cache only; omitted: unchanged',
  }),
  embeddingModel: z.string().refine(isModelRef, 'embeddingModel must be a "provider:model" ref').nullable().optional().meta({
    description: 'provider:model of a priced model of kind embedding (openai:text-embedding-3-small in production); null: none; omitted: unchanged',
  }),
});
export type EndpointCacheConfig = z.output<typeof EndpointCacheSchema>;

/** What LLM_CONFIG_FILE holds. Every key is optional; the comments are the documentation. */
export const ConfigFileSchema = z
  .strictObject({
    $schema: z.string().optional().meta({ description: 'path or URL of config.schema.json, for editors' }),
    providers: z.array(ProviderConfigSchema).max(50).default([]).meta({
      description: 'OpenAI-compatible providers and their models (env: LLM_PROVIDERS, a JSON array, replaces this list)',
    }),
    endpoints: z.partialRecord(z.enum(ENDPOINTS), EndpointCacheSchema).default({}).meta({
      description: "per-endpoint cache settings (semantic threshold, embedding model, sharing) for every tenant, written by `npm run sync-config`",
    }),
    callTimeoutMs: z.int().min(1000).max(3_600_000).default(30_000).meta({
      description: 'hard timeout of one provider call in ms, 1 s .. 1 h as llm.reserve_call accepts (env: LLM_CALL_TIMEOUT_MS)',
    }),
    worker: z
      .strictObject({
        concurrency: z.int().min(1).max(256).default(8).meta({ description: 'jobs run at once (env: WORKER_CONCURRENCY)' }),
        pollIntervalMs: z.int().min(50).max(60_000).default(1000).meta({
          description: 'graphile-worker poll interval for future jobs and retries (env: WORKER_POLL_INTERVAL_MS)',
        }),
        retryAfterMaxMs: z.int().min(0).max(600_000).default(60_000).meta({
          description: "the longest a provider's Retry-After (retry-after-ms, retry-after) may put a job's next attempt off, in ms; 0: ignored (env: WORKER_RETRY_AFTER_MAX_MS)",
        }),
        shutdownGraceMs: z.int().min(0).max(3_700_000).nullable().default(null).meta({
          description: 'how long a stopping worker lets the calls it has sent run before it aborts them (charged their full hold, retried), in ms; null: callTimeoutMs + 10 s, so that a call in flight ends with its answer (env: WORKER_SHUTDOWN_GRACE_MS)',
        }),
      })
      .default({ concurrency: 8, pollIntervalMs: 1000, retryAfterMaxMs: 60_000, shutdownGraceMs: null }),
    metricsPort: port.nullable().default(null).meta({ description: 'serve Prometheus /metrics on METRICS_HOST (env: METRICS_PORT)' }),
    metricsHost: z.string().regex(/^[0-9A-Za-z.:-]{1,255}$/, 'must be an IP address or a host name').default('127.0.0.1').meta({
      description: 'the address /metrics listens on: 127.0.0.1 (the default) for a Prometheus on the same host, 0.0.0.0 or the container\'s address for one that scrapes over the network (the metrics carry no tenant, user or prompt; env: METRICS_HOST)',
    }),
    healthPort: port.nullable().default(null).meta({ description: 'serve /healthz for a supervisor on 127.0.0.1 (env: HEALTH_PORT)' }),
    dashboardPort: port.nullable().default(null).meta({
      description: 'serve the read-only dashboard (read as llm_viewer) on 127.0.0.1, or DASHBOARD_HOST with DASHBOARD_TOKEN (env: DASHBOARD_PORT)',
    }),
    logLevel: z.enum(LOG_LEVELS).default('info').meta({ description: 'pino level (env: LOG_LEVEL)' }),
  })
  .meta({ title: 'pg-llm-governor configuration (LLM_CONFIG_FILE)' });

export const ConfigSchema = ConfigFileSchema.omit({ $schema: true }).extend({
  databaseUrl: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL'),
});
export type Config = z.output<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;

export class ConfigError extends Error {
  static {
    this.prototype.name = 'ConfigError';
  }
}

/** Environment variable -> path in the configuration. */
export const ENV_SETTINGS = {
  DATABASE_URL: ['databaseUrl'],
  LLM_PROVIDERS: ['providers'],
  LLM_CALL_TIMEOUT_MS: ['callTimeoutMs'],
  WORKER_CONCURRENCY: ['worker', 'concurrency'],
  WORKER_POLL_INTERVAL_MS: ['worker', 'pollIntervalMs'],
  WORKER_RETRY_AFTER_MAX_MS: ['worker', 'retryAfterMaxMs'],
  WORKER_SHUTDOWN_GRACE_MS: ['worker', 'shutdownGraceMs'],
  METRICS_PORT: ['metricsPort'],
  METRICS_HOST: ['metricsHost'],
  HEALTH_PORT: ['healthPort'],
  DASHBOARD_PORT: ['dashboardPort'],
  LOG_LEVEL: ['logLevel'],
} as const satisfies Record<string, readonly string[]>;
type EnvName = keyof typeof ENV_SETTINGS;

const INT_ENV = new Set<EnvName>(['LLM_CALL_TIMEOUT_MS', 'WORKER_CONCURRENCY', 'WORKER_POLL_INTERVAL_MS', 'WORKER_RETRY_AFTER_MAX_MS', 'WORKER_SHUTDOWN_GRACE_MS', 'METRICS_PORT', 'HEALTH_PORT', 'DASHBOARD_PORT']);

/**
 * Reads the file (if LLM_CONFIG_FILE) and the environment; environment variables win.
 * `requireDatabase: false` for commands that do not connect (e.g. printing the schema).
 */
/**
 * How long a stopping worker lets its sent calls run (graphile-worker's gracefulShutdownAbortTimeout, 5 s by default): a
 * call aborted is charged its full hold and sent again by the next worker, so by default a call in flight gets its whole
 * timeout and 10 s for its settle (upgrade drill 84: a rolling restart charged calls of 9 s 6.8 times their cost).
 */
export function shutdownGraceMs(cfg: Pick<Config, 'callTimeoutMs' | 'worker'>): number {
  return cfg.worker.shutdownGraceMs ?? cfg.callTimeoutMs + 10_000;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, opts: { requireDatabase?: boolean } = {}): Config {
  const file = env.LLM_CONFIG_FILE ? readConfigFile(env.LLM_CONFIG_FILE) : {};
  const fromEnv = readEnv(env);
  if (opts.requireDatabase !== false && fromEnv.databaseUrl === undefined) {
    throw new ConfigError('config: DATABASE_URL is not set (an administrator connection URL, postgres://...; see README "Configuration")');
  }
  const merged = {
    ...file,
    ...fromEnv,
    databaseUrl: fromEnv.databaseUrl ?? 'postgres://unset/unset',
    worker: { ...(file.worker as object | undefined), ...(fromEnv.worker as object | undefined) },
  };
  delete (merged as { $schema?: unknown }).$schema;
  const r = ConfigSchema.safeParse(merged);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const env_ = envFor(issue.path);
  const source = env_ && env_ !== 'LLM_PROVIDERS' && env[env_] !== undefined && env[env_] !== ''
    ? env_
    : issue.path[0] === 'providers' && env.LLM_PROVIDERS
      ? 'LLM_PROVIDERS'
      : env.LLM_CONFIG_FILE
        ? `LLM_CONFIG_FILE (${env.LLM_CONFIG_FILE})`
        : (env_ ?? 'configuration');
  throw new ConfigError(`config: ${describeIssue(source, issue, env_)}`);
}

/** Validates a full configuration object (tests and library use); errors name the setting's variable. */
export function parseConfig(input: unknown): Config {
  const r = ConfigSchema.safeParse(input);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const env = envFor(issue.path);
  throw new ConfigError(`config: ${describeIssue(env ?? 'configuration', issue, env)}`);
}

function readConfigFile(path: string): Record<string, unknown> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ConfigError(`config: LLM_CONFIG_FILE ${path}: ${oneLine((e as Error).message)}`);
  }
  if (Array.isArray(raw)) {
    throw new ConfigError(`config: LLM_CONFIG_FILE ${path}: holds a JSON array; the file is an object like config.example.json, ` +
      'with the providers under "providers" (a bare providers array goes in LLM_PROVIDERS)');
  }
  if (typeof raw !== 'object' || raw === null) throw new ConfigError(`config: LLM_CONFIG_FILE ${path}: must hold a JSON object`);
  const r = ConfigFileSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new ConfigError(`config: ${describeIssue(`LLM_CONFIG_FILE (${path})`, issue, envFor(issue.path))}`);
  }
  return raw as Record<string, unknown>;
}

function readEnv(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, path] of Object.entries(ENV_SETTINGS) as [EnvName, readonly string[]][]) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    let parsed: unknown = value;
    if (name === 'LLM_PROVIDERS') {
      try {
        parsed = JSON.parse(value);
      } catch {
        throw new ConfigError('config: LLM_PROVIDERS is not valid JSON (a JSON array of providers, as "providers" in config.example.json)');
      }
    } else if (INT_ENV.has(name)) {
      if (!/^\d{1,10}$/.test(value)) throw new ConfigError(`config: ${name}: must be a whole number`);
      parsed = Number(value);
    }
    const [top, sub] = path as readonly [string, string?];
    if (sub !== undefined) out[top] = { ...(out[top] as object | undefined), [sub]: parsed };
    else out[top] = parsed;
  }
  return out;
}

function envFor(path: readonly PropertyKey[]): EnvName | null {
  const key = path.slice(0, 2).join('.');
  for (const [name, p] of Object.entries(ENV_SETTINGS) as [EnvName, readonly string[]][]) {
    if (p.join('.') === key || p.join('.') === String(path[0])) return name;
  }
  return null;
}

/** `LLM_CONFIG_FILE (x.json) at providers[0].models[1].name: ...`, or `METRICS_PORT: ...`. */
function describeIssue(source: string, issue: z.core.$ZodIssue, env: EnvName | null): string {
  const fromFile = source.startsWith('LLM_CONFIG_FILE');
  const fromProviders = source === 'LLM_PROVIDERS';
  const path = fromProviders ? issue.path.slice(1) : issue.path;
  const where = (fromFile || fromProviders) && path.length ? ` at ${jsonPath(path)}` : '';
  let message = oneLine(issue.message);
  if (issue.code === 'unrecognized_keys') message = `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
  const hint = fromFile && env && env !== 'LLM_PROVIDERS' ? ` (or set ${env})` : '';
  return `${source}${where}: ${message}${hint}`;
}

function jsonPath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`)).join('');
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/** The JSON Schema of the config file (committed as config.schema.json; a test keeps it current). */
export function configJsonSchema(): object {
  return z.toJSONSchema(ConfigFileSchema, { io: 'input', target: 'draft-2020-12' });
}
