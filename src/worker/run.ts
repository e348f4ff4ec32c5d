/**
 * Starting the worker: check the schema version, seed models and prices from the provider
 * configuration, then run graphile-worker with our task list and the expiry sweep on a cron.
 */
import { EventEmitter } from 'node:events';
import { run, Logger as GwLogger, type Runner, type WorkerEvents } from 'graphile-worker';
import { Pool } from 'pg';
import type { Config } from '../config';
import { withRole } from '../db/context';
import { expectedApiHash } from '../db/migrate';
import { urlForRole } from '../db/urls';
import type { Logger } from '../logger';
import type { ProviderConfig } from '../provider';
import { taskList } from '../../tasks';
import { Metrics, serveMetrics } from '../metrics';
import { configureProviders, WorkerDeps } from './deps';
import { Heartbeat, unlockDeadWorkers } from './liveness';

export class SchemaVersionError extends Error {
  static {
    this.prototype.name = 'SchemaVersionError';
  }
}

export interface StartedWorker {
  runner: Runner;
  deps: WorkerDeps;
  /** The port /metrics listens on, when metricsPort is set. */
  metricsPort: number | null;
  stop(): Promise<void>;
}

/** Refuses a database whose schema is not the one this code was built for. */
export async function checkSchemaVersion(pool: Pool): Promise<void> {
  const { rows } = await pool.query('select api_hash from llm_private.schema_state').catch(() => ({ rows: [] as { api_hash: string }[] }));
  if (rows[0]?.api_hash !== expectedApiHash()) {
    throw new SchemaVersionError('database schema is not at the version this code expects: run `npm run migrate` first');
  }
}

/** The provider configuration seeds the SQL price table (as llm_operator; a changed price starts now). */
export async function syncProviders(pool: Pool, providers: ProviderConfig[]): Promise<void> {
  await withRole(pool, 'llm_operator', async (c) => {
    for (const p of providers) {
      for (const m of p.models) {
        await c.query('select llm.sync_model($1, $2, $3, $4, $5, $6, $7, $8)', [p.name, m.name, m.maxOutputTokens, m.trainingAllowed,
          m.inputPerMtokMicros.toString(), m.cachedInputPerMtokMicros.toString(), m.outputPerMtokMicros.toString(), m.fallbacks ?? []]);
      }
    }
    for (const p of providers) {
      for (const m of p.models) await c.query('select llm.set_fallbacks($1, $2, $3)', [p.name, m.name, m.fallbacks ?? []]);
    }
  });
}

/**
 * The semantic cache needs pgvector. Where the extension is absent the feature is off, said once
 * here, and everything else works. (This build ships the exact cache only: see README.)
 */
async function reportSemanticCache(pool: Pool, logger: Logger): Promise<void> {
  const { rows } = await pool.query(`select exists (select 1 from pg_available_extensions where name = 'vector') as available`);
  logger.info({ event: 'semantic_cache', enabled: false, pgvector_available: rows[0].available },
    rows[0].available ? 'semantic cache: off (pgvector is available, but this build ships the exact cache only)'
      : 'semantic cache: off (pgvector is not installed); the exact cache is on');
}

function graphileLogger(logger: Logger): GwLogger {
  return new GwLogger((scope) => (level, message, meta) => {
    // A failed attempt is already logged by the task with its facts; graphile-worker's line adds the stack.
    const failedTask = message.startsWith('Failed task');
    const l = failedTask ? 'warn' : level === 'error' ? 'error' : level === 'warning' ? 'warn' : 'debug';
    logger[l]({ component: 'graphile-worker', job_id: scope.jobId, task: scope.taskIdentifier, error: (meta as { error?: Error })?.error?.message },
      failedTask ? message.split('\n')[0]! : message);
  });
}

export async function startWorker(cfg: Config, logger: Logger, env: NodeJS.ProcessEnv = process.env): Promise<StartedWorker> {
  const pool = new Pool({ connectionString: urlForRole(cfg.databaseUrl, 'llm_worker', env), max: cfg.worker.concurrency + 4 });
  pool.on('error', (e) => logger.warn({ event: 'pool_error', error: e.message }, 'idle database connection failed'));
  pool.on('connect', (client) => client.on('error', (e) => logger.warn({ event: 'client_error', error: e.message }, 'database connection failed')));
  try {
    await checkSchemaVersion(pool);
    await syncProviders(pool, cfg.providers);
  } catch (e) {
    await pool.end();
    throw e;
  }
  const metrics = new Metrics(pool);
  const deps: WorkerDeps = { pool, providers: configureProviders(cfg.providers, env), callTimeoutMs: cfg.callTimeoutMs,
    deadAfterMs: cfg.worker.deadAfterMs, logger, metrics };
  const served = cfg.metricsPort === null ? null : await serveMetrics(metrics, cfg.metricsPort);
  if (served) logger.info({ event: 'metrics_listening', port: served.port }, `metrics on http://127.0.0.1:${served.port}/metrics`);
  await unlockDeadWorkers(pool, cfg.worker.deadAfterMs, logger);
  await reportSemanticCache(pool, logger);
  let stopped = false;
  let current = await launchRunner(cfg, deps, logger);
  // Supervision: if graphile-worker's pool gives up (it aborts when it cannot record job outcomes
  // for a long while, e.g. the database is down) or sits idle beside runnable jobs after a
  // connection storm, unlock what it held and start a new one, in process.
  let replacing = false;
  const replace = async (r: LaunchedRunner, why: string): Promise<void> => {
    if (stopped || replacing || r !== current) return;
    replacing = true;
    logger.error({ event: 'runner_replaced', reason: why }, 'replacing the worker pool');
    await Promise.race([r.runner.stop().catch(() => {}), new Promise((res) => setTimeout(res, 5000))]);
    await r.heartbeat.stop(true);
    if (!stopped) {
      current = await launchRunner(cfg, deps, logger);
      supervise(current);
    }
    replacing = false;
  };
  const supervise = (r: LaunchedRunner): void => {
    r.heartbeat.onStuck = () => void replace(r, 'idle beside runnable jobs');
    r.runner.promise.catch((e: Error) => void replace(r, e.message));
  };
  supervise(current);
  return {
    get runner() {
      return current.runner;
    },
    deps,
    metricsPort: served?.port ?? null,
    async stop() {
      if (stopped) return;
      stopped = true;
      await current.runner.stop().catch(() => {});
      await current.heartbeat.stop();
      await new Promise((resolve) => (served ? served.server.close(resolve) : resolve(undefined)));
      await pool.end();
    },
  };
}

interface LaunchedRunner {
  runner: Runner;
  heartbeat: Heartbeat;
}

async function launchRunner(cfg: Config, deps: WorkerDeps, logger: Logger): Promise<LaunchedRunner> {
  const events: WorkerEvents = new EventEmitter();
  const heartbeat = new Heartbeat(deps.pool, logger);
  events.on('pool:create', ({ workerPool }) => heartbeat.start(workerPool));
  events.on('job:start', ({ job }) => heartbeat.running.add(String(job.id)));
  events.on('job:complete', ({ job }) => heartbeat.running.delete(String(job.id)));
  const runner = await run({
    events,
    pgPool: deps.pool,
    concurrency: cfg.worker.concurrency,
    pollInterval: cfg.worker.pollIntervalMs,
    noHandleSignals: true,
    taskList: taskList(deps),
    crontab: ['* * * * * llm__expire_holds ?max=1', '17 * * * * llm__purge_expired ?max=1'].join('\n'),
    logger: graphileLogger(logger),
    // Batched completion retries a lost connection (up to ~20 times with backoff) instead of
    // leaving an unhandled rejection behind, as 0.17's unbatched path does.
    preset: { worker: { completeJobBatchDelay: 0, failJobBatchDelay: 0 } },
  });
  return { runner, heartbeat };
}
