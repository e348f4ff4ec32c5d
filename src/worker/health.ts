/**
 * Liveness for a process supervisor (systemd, a container runtime): GET /healthz on 127.0.0.1
 * (HEALTH_PORT) answers 200 when the worker is healthy, 503 otherwise, with the facts as JSON.
 * Healthy = graphile-worker's pool is running, the database answered a ping in the last 30 s, and
 * the pool shows life: it asked for a job recently or is running one. Read from graphile-worker's
 * public events only; nothing here touches its tables. The supervisor restarts an unhealthy
 * worker; graphile-worker's own mechanisms recover its jobs, sooner through the heartbeat below (the cron job
 * llm__release_dead_locks releases the locks of ids no live worker names). The body also lists the ids this
 * process locks jobs with (`locked_by`), so that an operator can tell the locks of live workers
 * from those a gone one left behind (README: Supervision and crash recovery).
 */
import { createServer, type Server } from 'node:http';
import { hostname } from 'node:os';
import type { AddressInfo } from 'node:net';
import type { WorkerEvents } from 'graphile-worker';
import type { Pool } from 'pg';
import { sqlState } from '../errors';
import { listenOrExplain } from '../listen';
import type { Logger } from '../logger';

const PING_EVERY_MS = 10_000;
const PING_STALE_MS = 30_000;

export interface HealthReport {
  ok: boolean;
  running: boolean;
  db_ok: boolean;
  last_ping_ms_ago: number | null;
  last_activity_ms_ago: number | null;
  jobs_running: number;
  fatal: string | null;
  /** This process's ids in graphile_worker.jobs.locked_by: its pool's and its workers'. */
  locked_by: string[];
}

/**
 * The ids this process's graphile-worker pool locks jobs with (graphile_worker.jobs.locked_by): the
 * pool's id and each worker's. A process that dies without releasing its locks (kill -9, or a
 * database outage that kept it from running forceUnlockWorkers) leaves its jobs locked for
 * graphile-worker's 4-hour lock timeout, and nothing in the table says which ids are dead: so each
 * process logs its ids (event `worker_lock_ids`) and /healthz shows them. Attach before the pool
 * exists (its 'pool:create' event).
 */
export class LockIds {
  private readonly ids = new Set<string>();
  /** The pool's id: this process's name in llm_private.worker_heartbeats. */
  poolId: string | null = null;

  constructor(events: WorkerEvents, logger: Logger) {
    events.on('pool:create', ({ workerPool }) => {
      this.poolId = workerPool.id;
      this.ids.add(workerPool.id);
      // graphile-worker creates the pool's workers right after this event, in the same tick: by the next one all are known.
      setImmediate(() => logger.info({ event: 'worker_lock_ids', locked_by: this.list() },
        `this worker locks jobs as ${this.list().join(', ')}`));
    });
    events.on('worker:create', ({ worker }) => void this.ids.add(worker.workerId));
  }

  list(): string[] {
    return [...this.ids];
  }
}

export class WorkerHealth {
  private running = false;
  private fatal: string | null = null;
  private lastPingOk = 0;
  private lastActivity = 0;
  private jobs = 0;
  private timer: NodeJS.Timeout | null = null;

  private heartbeatWarned = false;
  private heartbeatMissing = false;
  /** Since when the heartbeats have gone through without a failure (0: not yet), and when one last went through. */
  private heartbeatSteadySince = 0;
  private heartbeatOkAt = 0;

  /** `quietMs`: how long an idle pool may go without asking for a job (several poll intervals). */
  constructor(private readonly pool: Pool, private readonly quietMs: number, private readonly lockIds?: LockIds,
    private readonly logger?: Logger) {}

  /** graphile-worker's pool is up (its 'pool:create' event). */
  poolCreated(): void {
    this.running = true;
    this.lastActivity = Date.now();
  }

  attach(events: WorkerEvents): void {
    const alive = () => void (this.lastActivity = Date.now());
    events.on('pool:create', () => {
      this.poolCreated();
      // Once its workers exist (created in the same tick, LockIds): say so at once, not 10 s later.
      setImmediate(() => void this.heartbeat());
    });
    events.on('pool:release', () => void (this.running = false));
    events.on('pool:fatalError', ({ error }) => void (this.fatal = String((error as Error)?.message ?? error)));
    events.on('worker:getJob:start', alive);
    events.on('worker:getJob:empty', alive);
    events.on('job:start', () => {
      this.jobs++;
      alive();
    });
    events.on('job:complete', () => {
      this.jobs = Math.max(0, this.jobs - 1);
      alive();
    });
  }

  start(): void {
    const ping = () => {
      void this.pool.query('select 1').then(() => void (this.lastPingOk = Date.now()), () => {});
      void this.heartbeat();
    };
    ping();
    this.timer = setInterval(ping, PING_EVERY_MS);
    this.timer.unref();
  }

  /**
   * While the pool runs: this process is alive and locks jobs as these ids (llm.record_worker_heartbeat), so that the cron job
   * llm__release_dead_locks tells its locks from a dead process's. Best effort: a failure is logged once, the ping decides
   * health; a database without the function (not yet migrated) is skipped.
   */
  private async heartbeat(): Promise<void> {
    const poolId = this.lockIds?.poolId;
    if (!this.running || this.fatal || !poolId || this.heartbeatMissing) return;
    try {
      await this.pool.query('select llm.record_worker_heartbeat($1, $2::text[], $3, $4)', [poolId, this.lockIds!.list(), hostname(), process.pid]);
      this.heartbeatWarned = false;
      this.heartbeatOkAt = Date.now();
      this.heartbeatSteadySince ||= this.heartbeatOkAt;
    } catch (e) {
      this.heartbeatSteadySince = 0;
      if (sqlState(e) === '42883') {
        this.heartbeatMissing = true;
        return;
      }
      if (!this.heartbeatWarned) {
        this.heartbeatWarned = true;
        this.logger?.warn({ event: 'heartbeat_failed', error: (e as Error).message }, 'worker heartbeat failed (its locks may be released as a dead worker\'s)');
      }
    }
  }

  /**
   * Whether this process's heartbeats have gone through, without a failure, for the last `ms` (and one within 20 s): after
   * a database outage every live worker's heartbeat is stale until it beats again, so a release of the locks no heartbeat
   * names waits until every live worker has had a minute to (review 92).
   */
  heartbeatSteadyFor(ms: number, now = Date.now()): boolean {
    return this.heartbeatSteadySince > 0 && now - this.heartbeatSteadySince >= ms && now - this.heartbeatOkAt < 20_000;
  }

  report(now = Date.now()): HealthReport {
    const pingAge = this.lastPingOk ? now - this.lastPingOk : null;
    const activityAge = this.lastActivity ? now - this.lastActivity : null;
    const dbOk = pingAge !== null && pingAge < PING_STALE_MS;
    const lively = this.jobs > 0 || (activityAge !== null && activityAge < this.quietMs);
    return { ok: this.running && !this.fatal && dbOk && lively, running: this.running, db_ok: dbOk, last_ping_ms_ago: pingAge,
      last_activity_ms_ago: activityAge, jobs_running: this.jobs, fatal: this.fatal, locked_by: this.lockIds?.list() ?? [] };
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}

export async function serveHealth(health: WorkerHealth, port: number): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    if (req.url !== '/healthz') {
      res.writeHead(404).end();
      return;
    }
    const r = health.report();
    res.writeHead(r.ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(r));
  });
  await listenOrExplain(server, port, '127.0.0.1', 'HEALTH_PORT');
  return { server, port: (server.address() as AddressInfo).port };
}

