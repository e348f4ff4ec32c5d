/**
 * graphile-worker's own CLI (`npx graphile-worker`, `npx graphile-worker --once`): graphile.config.js
 * loads `cliPreset()`, graphile-worker loads tasks/*.js (each exports `cliTask(name)`), and the
 * worker runtime is built from the same environment as `npm run worker` (DATABASE_URL,
 * LLM_CONFIG_FILE, ...) once graphile-worker has checked its own schema (its `postmigrate` hook),
 * before its pool exists: a runtime that refuses to start (a database not migrated to this release,
 * a damaged catalog, a port still bound) ends the process before any job is locked. Built on the
 * pool's creation, it had refused after graphile-worker's workers had locked jobs, which then waited
 * for the 4-hour lock timeout (upgrade drill 84). graphile-worker connects as llm_worker. The
 * runtime is kept on globalThis because the config (require) and the task files (import) may load
 * this module twice.
 */
import { join } from 'node:path';
import type { Task } from 'graphile-worker';
import { ConfigError, loadConfig, shutdownGraceMs, type Config } from '../config';
import { pinnedUrl, urlForRole } from '../db/urls';
import { createLogger, type Logger } from '../logger';
import { LockIds } from './health';
import { createRuntime, graphileLogger, type WorkerRuntime } from './runtime';
import { CRONTAB_FILE, taskFor, type TaskName } from './tasks';

const ROOT = join(__dirname, '..', '..');

interface CliState {
  cfg: Config;
  logger: Logger;
  runtime: Promise<WorkerRuntime> | null;
  events: WorkerRuntimeEvents | null;
  lockIds: LockIds | null;
}
type WorkerRuntimeEvents = WorkerRuntime['events'];

const KEY = Symbol.for('pg-llm-governor.cli');
const g = globalThis as unknown as Record<symbol, CliState | undefined>;

function state(): CliState {
  const s = g[KEY];
  if (!s) throw new Error('graphile.config.js was not loaded: run graphile-worker from the repository root (npx graphile-worker)');
  return s;
}

function runtime(): Promise<WorkerRuntime> {
  const s = state();
  s.runtime ??= createRuntime(s.cfg, s.logger, process.env,
    { allowExitOnIdle: true, events: s.events ?? undefined, lockIds: s.lockIds ?? undefined });
  return s.runtime;
}

/** The runtime could not start: one line, exit 1 (from the postmigrate hook, no job is locked yet). */
function refuse(e: Error): never {
  process.stderr.write(`graphile-worker: ${e.message}\n`);
  process.exit(1);
}

/**
 * Builds the runtime in graphile-worker's postmigrate hook: after its schema check, before its pool polls. Not for
 * `--schema-only` and `--cleanup`, which run no task (graphile-worker runs the hook for them too, then returns).
 */
const RuntimeBeforePool: GraphileConfig.Plugin = {
  name: 'PgLlmGovernorRuntimeBeforePool',
  version: '1.0.0',
  worker: {
    hooks: {
      async postmigrate() {
        // Every spelling graphile-worker's argument parser (yargs) takes: --schema-only, --schemaOnly, =true, --cleanup=...
        if (process.argv.some((a) => /^--(schema-only|schemaOnly|cleanup)(=|$)/.test(a))) return;
        await runtime().catch(refuse);
      },
    },
  },
};

/** The task graphile-worker's CLI runs for `name`. */
export function cliTask(name: TaskName): Task {
  return async (payload, helpers) => taskFor((await runtime()).deps, name)(payload, helpers);
}

/** The preset graphile.config.js exports. A bad setting ends the process with one line. */
export function cliPreset(env: NodeJS.ProcessEnv = process.env): GraphileConfig.Preset {
  let cfg: Config;
  try {
    cfg = loadConfig(env);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    process.stderr.write(`graphile-worker: ${e.message}\n`);
    process.exit(1);
  }
  const logger = createLogger({ level: cfg.logLevel });
  const { EventEmitter } = require('node:events') as typeof import('node:events');
  const events: WorkerRuntimeEvents = new EventEmitter();
  // Before the pool exists: its ids are known from its 'pool:create' on, and the runtime may be built before or after it.
  g[KEY] = { cfg, logger, runtime: null, events, lockIds: new LockIds(events, logger) };
  events.on('pool:create', () => {
    runtime().then(
      (rt) => {
        rt.health.poolCreated();
        logger.info({ event: 'worker_started', mode: 'graphile-worker-cli', concurrency: cfg.worker.concurrency,
          providers: cfg.providers.map((p) => p.name) }, 'worker started');
      },
      refuse, // built and checked in the postmigrate hook: not reached unless graphile-worker skipped it
    );
  });
  events.on('pool:release', () => {
    const s = g[KEY];
    void s?.runtime?.then((rt) => rt.close()).catch(() => {});
  });
  return {
    plugins: [RuntimeBeforePool],
    worker: {
      connectionString: pinnedUrl(urlForRole(cfg.databaseUrl, 'llm_worker', env)),
      concurrentJobs: cfg.worker.concurrency,
      maxPoolSize: cfg.worker.concurrency + 2,
      pollInterval: cfg.worker.pollIntervalMs,
      taskDirectory: join(ROOT, 'tasks'),
      crontabFile: CRONTAB_FILE,
      logger: graphileLogger(logger),
      events,
      completeJobBatchDelay: 0,
      failJobBatchDelay: 0,
      gracefulShutdownAbortTimeout: shutdownGraceMs(cfg),
    },
  };
}
