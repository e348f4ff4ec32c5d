/**
 * Everything a worker process needs around graphile-worker, built the same way for library mode
 * (`npm run worker`, src/worker/run.ts) and for graphile-worker's own CLI (src/worker/cli.ts):
 * the llm_worker pool, the schema check, the catalog warnings, providers, the shared cache-fill
 * LISTEN connection, telemetry, metrics, the health endpoint and, when `dashboardPort` is set, the
 * read-only dashboard (src/dashboard, its own llm_viewer pool). Nothing here writes prices,
 * fallbacks or consent (the database is their source of truth), nor graphile-worker's tables.
 */
import { EventEmitter, setMaxListeners } from 'node:events';
import type { Server } from 'node:http';
import { Logger as GwLogger, type WorkerEvents } from 'graphile-worker';
import { Pool } from 'pg';
import type { Config } from '../config';
import { dashboardSettings, startDashboard } from '../dashboard';
import { lostCatalogFacts, lostCatalogMessage } from '../db/catalog-guard';
import { sqlLedger } from '../db/ledger';
import { closeWhenEnded } from '../db/pool-end';
import { apiGeneration, compareApi } from '../db/migrate';
import { pinnedUrl, urlForRole } from '../db/urls';
import type { Logger } from '../logger';
import { Metrics, serveMetrics } from '../metrics';
import { initTelemetry, tracer, type Telemetry } from '../telemetry';
import { CacheFillListener } from './cache-fill-listener';
import { Catalog, catalogWarnings } from './catalog';
import { callMetrics, configureProviders, type WorkerDeps } from './deps';
import { LockIds, serveHealth, WorkerHealth } from './health';

export class SchemaVersionError extends Error {
  static {
    this.prototype.name = 'SchemaVersionError';
  }
}

/**
 * Refuses a database whose schema is not the one this code was built for, saying which way: an older one is migrated with
 * this release's `npm run migrate`; one a later release migrated (a later API generation) must never be (the older
 * worker's advice to migrate had been the way to put an older API over newer tables).
 */
export async function checkSchemaVersion(pool: Pool): Promise<void> {
  let denied = false;
  const { rows } = await pool.query('select * from llm_private.schema_state').catch((e: { code?: string }) => {
    denied = e?.code === '42501';
    return { rows: [] as Record<string, unknown>[] };
  });
  if (denied) {
    // The schema is there but the login holds none of its grants: a restore with --no-acl (review 89), which migrate
    // refuses, naming the grants lost; "not at the version, run migrate" had sent the operator to a migrate that said "at head".
    throw new SchemaVersionError('the worker\'s login may not read llm_private.schema_state (permission denied): the database ' +
      'lost its grants (a restore with --no-acl?) or was never migrated. Run this release\'s `npm run migrate`: it names what was ' +
      'lost (README: Backups and restore)');
  }
  const how = compareApi(rows[0]);
  if (how === 'same') {
    // The schema is this release's; it must still have what its last migrate recorded (a worker on a database that lost its
    // triggers would write money no rule checks).
    const lost = await lostCatalogFacts(pool);
    if (lost.length > 0) throw new SchemaVersionError(lostCatalogMessage(lost));
    return;
  }
  const theirs = rows[0]?.api_generation;
  const ours = apiGeneration().generation;
  if (how === 'later') {
    throw new SchemaVersionError(`database schema is of a later release (API generation ${theirs}, this code's ${ours}): run that ` +
      'release (or a newer one); do not run this release\'s `npm run migrate` against it (README: Upgrades and rolling back)');
  }
  if (how === 'branch') {
    throw new SchemaVersionError(`database schema is of another branch (API generation ${theirs}, as this code's, another API): run ` +
      'that branch against it, not this one\'s `npm run migrate`');
  }
  throw new SchemaVersionError('database schema is not at the version this code expects ' +
    `(${theirs === undefined || theirs === null ? 'no API generation recorded' : `API generation ${theirs}`}, this code's ${ours}): ` +
    'run this release\'s `npm run migrate` first');
}

export interface WorkerRuntime {
  deps: WorkerDeps;
  events: WorkerEvents;
  health: WorkerHealth;
  /** The ids this process locks graphile-worker jobs with, as they become known. */
  lockIds: LockIds;
  metricsPort: number | null;
  healthPort: number | null;
  /** The dashboard's base URL (without its token), when dashboardPort is set. */
  dashboardUrl: string | null;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  /** Catalog refresh period (0: read once). */
  catalogRefreshMs?: number;
  /** Let the process exit while the pool is idle (graphile-worker's CLI ends its own resources, not ours). */
  allowExitOnIdle?: boolean;
  /** graphile-worker's event emitter when it already exists (the CLI's preset). */
  events?: WorkerEvents;
  /** Lock ids tracked from before the pool existed (the CLI builds the runtime only after 'pool:create'). */
  lockIds?: LockIds;
}

export async function createRuntime(cfg: Config, logger: Logger, env: NodeJS.ProcessEnv = process.env,
  opts: RuntimeOptions = {}): Promise<WorkerRuntime> {
  const workerUrl = urlForRole(cfg.databaseUrl, 'llm_worker', env);
  const pool = new Pool({ connectionString: pinnedUrl(workerUrl), max: cfg.worker.concurrency + 4, application_name: 'llm-worker',
    allowExitOnIdle: opts.allowExitOnIdle ?? false });
  pool.on('error', (e) => logger.warn({ event: 'pool_error', error: e.message }, 'idle database connection failed'));
  pool.on('connect', (client) => client.on('error', (e) => logger.warn({ event: 'client_error', error: e.message }, 'database connection failed')));
  const closers: Array<() => Promise<unknown> | void> = [closeWhenEnded(pool)];
  const close = async () => {
    for (const c of closers.reverse()) await Promise.resolve(c()).catch(() => {});
  };
  try {
    await checkSchemaVersion(pool);
    const providers = configureProviders(cfg.providers, env);
    const catalog = new Catalog(pool, logger);
    closers.push(() => catalog.stop());
    await warnAboutConfiguration(cfg, catalog, logger, opts.catalogRefreshMs ?? 60_000);
    await logSemanticCachePath(pool, logger);
    const telemetry: Telemetry = await initTelemetry(env);
    closers.push(() => telemetry.shutdown());
    const listener = new CacheFillListener(pinnedUrl(workerUrl), logger, pool);
    closers.push(() => listener.stop());
    await listener.start();
    const metrics = new Metrics(pool);
    const events: WorkerEvents = opts.events ?? new EventEmitter();
    const stopping = new AbortController();
    setMaxListeners(0, stopping.signal); // every call in flight listens on it (src/worker/governed-call.ts)
    events.on('pool:gracefulShutdown', () => stopping.abort());
    events.on('pool:forcefulShutdown', () => stopping.abort());
    const deps: WorkerDeps = { pool, ledger: sqlLedger(pool), providers, callTimeoutMs: cfg.callTimeoutMs,
      retryAfterMaxMs: cfg.worker.retryAfterMaxMs, logger,
      metrics: callMetrics(metrics), tracer: tracer(), listener, catalog, stopping: stopping.signal };
    const lockIds = opts.lockIds ?? new LockIds(events, logger);
    const health = new WorkerHealth(pool, Math.max(60_000, 5 * cfg.worker.pollIntervalMs), lockIds, logger);
    deps.heartbeatSteadyFor = (ms) => health.heartbeatSteadyFor(ms);
    health.attach(events);
    health.start();
    closers.push(() => health.stop());
    const metricsPort = await listen(cfg.metricsPort, (p) => serveMetrics(metrics, p, cfg.metricsHost), closers);
    if (metricsPort !== null) {
      const at = cfg.metricsHost.includes(':') ? `[${cfg.metricsHost}]` : cfg.metricsHost;
      logger.info({ event: 'metrics_listening', host: cfg.metricsHost, port: metricsPort }, `metrics on http://${at}:${metricsPort}/metrics`);
    }
    const healthPort = await listen(cfg.healthPort, (p) => serveHealth(health, p), closers);
    if (healthPort !== null) logger.info({ event: 'health_listening', port: healthPort }, `health on http://127.0.0.1:${healthPort}/healthz`);
    const dashboardUrl = await serveDashboard(cfg, logger, env, closers);
    logger.info({ event: 'telemetry', otlp: telemetry.enabled }, telemetry.enabled ? 'tracing: OTLP export on' : 'tracing: off (no OTEL_EXPORTER_OTLP_ENDPOINT)');
    return { deps, events, health, lockIds, metricsPort, healthPort, dashboardUrl, close };
  } catch (e) {
    await close();
    throw e;
  }
}

async function listen(port: number | null, serve: (p: number) => Promise<{ server: Server; port: number }>,
  closers: Array<() => Promise<unknown> | void>): Promise<number | null> {
  if (port === null) return null;
  const s = await serve(port);
  closers.push(() => new Promise((resolve) => s.server.close(resolve)));
  return s.port;
}

/**
 * The read-only dashboard when cfg.dashboardPort is set (off otherwise): loopback unless
 * DASHBOARD_HOST, which then needs DASHBOARD_TOKEN (checked before anything listens). Its own small
 * pool logs in as llm_viewer, so that it can read the audit views and nothing else.
 */
async function serveDashboard(cfg: Config, logger: Logger, env: NodeJS.ProcessEnv,
  closers: Array<() => Promise<unknown> | void>): Promise<string | null> {
  if (cfg.dashboardPort === null) return null;
  const settings = dashboardSettings(cfg.dashboardPort, env);
  const pool = new Pool({ connectionString: pinnedUrl(urlForRole(cfg.databaseUrl, 'llm_viewer', env)), max: 2, application_name: 'llm-dashboard' });
  pool.on('error', (e) => logger.warn({ event: 'pool_error', pool: 'dashboard', error: e.message }, 'idle dashboard connection failed'));
  closers.push(closeWhenEnded(pool));
  const dash = await startDashboard({ ...settings, pool,
    onError: (e) => logger.warn({ event: 'dashboard_error', error: (e as Error)?.message }, 'dashboard request failed') });
  closers.push(() => dash.close());
  logger.info({ event: 'dashboard_listening', url: dash.url, token_required: settings.token !== null }, `dashboard on ${dash.url}`);
  return dash.url;
}

/** One warning per thing that would make a call fail later (README "Configuration"). */
async function warnAboutConfiguration(cfg: Config, catalog: Catalog, logger: Logger, refreshMs: number): Promise<void> {
  if (cfg.providers.length === 0) {
    logger.warn({ event: 'config_warning', kind: 'no_providers' },
      'no provider configured (LLM_CONFIG_FILE / LLM_PROVIDERS): every call will fail with provider_not_configured');
  }
  const rows = await catalog.load(refreshMs);
  if (rows === null) {
    logger.warn({ event: 'config_warning', kind: 'no_catalog' }, 'llm.model_catalog does not exist in this database: prices cannot be checked');
    return;
  }
  for (const w of catalogWarnings(rows, cfg.providers)) logger.warn({ event: 'config_warning', kind: w.kind, model: w.model_ref }, w.message);
}

/**
 * Which similarity path the semantic cache takes here (docs/semantic-cache.md), logged once: per
 * embedding width, llm.semantic_cache_path says pgvector (an HNSW index that `npm run migrate` built)
 * or portable. The widths: the default ones (256: the local provider and text-embedding-3-small at
 * 256; 1536: text-embedding-3-small's full width) and every width with an index.
 */
export async function logSemanticCachePath(pool: Pick<Pool, 'query'>, logger: Logger): Promise<void> {
  try {
    const { rows } = await pool.query<{ dims: number; path: 'pgvector' | 'portable' }>(
      `select d as dims, llm.semantic_cache_path(d) as path from (
         select unnest(array[256, 1536])
          union
         select substring(c.relname from '^cache_entries_embedding_hnsw_([0-9]+)_idx$')::int
           from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
          where n.nspname = 'llm_private' and c.relname ~ '^cache_entries_embedding_hnsw_[0-9]+_idx$') w(d)
        order by d`);
    const pgvector = rows.filter((r) => r.path === 'pgvector').map((r) => r.dims);
    const portable = rows.filter((r) => r.path === 'portable').map((r) => r.dims);
    logger.info({ event: 'semantic_cache_path', path: pgvector.length ? 'pgvector' : 'portable', pgvector_dims: pgvector, portable_dims: portable },
      pgvector.length
        ? `semantic cache: pgvector path (HNSW) for embeddings of ${pgvector.join(', ')} dimensions, portable path for other widths`
        : 'semantic cache: portable path (cosine over real[] in SQL, newest entries of the scope up to the candidate bound; no pgvector HNSW index: see `npm run migrate`)');
  } catch (e) {
    logger.warn({ event: 'semantic_cache_path', error: (e as Error).message }, 'could not tell which semantic cache path is active');
  }
}

/** graphile-worker's log lines through our logger. */
export function graphileLogger(logger: Logger): GwLogger {
  return new GwLogger((scope) => (level, message, meta) => {
    // A failed attempt is already logged by the task with its facts; graphile-worker's line adds the stack.
    const failedTask = message.startsWith('Failed task');
    // A governed call's end is its settle line (or its refusal's reserve line): graphile-worker's "Completed task" repeats it,
    // a third of the worker's log at info (soak review 85: 1.6 kB and 3.2 lines per call). The maintenance jobs' (llm__*)
    // stay at info: their duration is logged nowhere else.
    const task = (meta as { job?: { task_identifier?: string } } | undefined)?.job?.task_identifier ?? scope.taskIdentifier ?? '';
    const completedCall = message.startsWith('Completed task') && !task.startsWith('llm__');
    const l = failedTask ? 'warn' : level === 'error' ? 'error' : level === 'warning' ? 'warn' : level === 'info' && !completedCall ? 'info' : 'debug';
    logger[l]({ component: 'graphile-worker', job_id: scope.jobId, task: scope.taskIdentifier, error: (meta as { error?: Error })?.error?.message },
      failedTask ? message.split('\n')[0]! : message);
  });
}
