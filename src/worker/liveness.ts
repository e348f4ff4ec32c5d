/**
 * Worker liveness (see migrations: llm_private.worker_heartbeats). A worker heartbeats its
 * graphile-worker pool id; at start, and in every expiry sweep, workers unlock the jobs of pools
 * whose heartbeat is stale, so a job whose worker was killed mid-call is retried in seconds.
 */
import { hostname } from 'node:os';
import type { WorkerPool } from 'graphile-worker';
import type { Pool } from 'pg';
import type { Logger } from '../logger';

const BEAT_MS = Number(process.env.WORKER_HEARTBEAT_MS ?? 5000);

/**
 * One worker pool's liveness: a heartbeat row, and self-healing of its own orphaned locks. When the
 * database drops a connection at the wrong moment, graphile-worker can fail to record a job's
 * completion or failure, leaving the job locked by this (live) pool for 4 hours. Each beat unlocks
 * jobs this pool has held for a while but is not running, so they are retried; a retry of a
 * settled request only replays, so nothing is charged twice.
 */
export class Heartbeat {
  private timer: NodeJS.Timeout | null = null;
  private id: string | null = null;
  private workerPool: WorkerPool | null = null;
  private idleWithWork = 0;
  readonly running = new Set<string>();
  /** Called when the pool has sat idle beside runnable jobs for three beats despite nudges. */
  onStuck: (() => void) | null = null;

  constructor(private readonly pool: Pool, private readonly logger: Logger, private readonly beatMs = BEAT_MS) {}

  start(workerPool: WorkerPool): void {
    this.workerPool = workerPool;
    const workerPoolId = workerPool.id;
    this.id = workerPoolId;
    const beat = async () => {
      try {
        await this.pool.query(
          `insert into llm_private.worker_heartbeats (worker_pool_id, pid, hostname) values ($1, $2, $3)
           on conflict (worker_pool_id) do update set last_seen_at = now()`,
          [workerPoolId, process.pid, hostname()],
        );
        const { rows } = await this.pool.query(
          `update graphile_worker._private_jobs set locked_at = null, locked_by = null
            where locked_by = $1 and locked_at < now() - make_interval(secs => $2::int / 1000.0) and id <> all($3::bigint[])
           returning id`,
          [workerPoolId, this.beatMs * 2, [...this.running]],
        );
        if (rows.length) this.logger.warn({ event: 'orphaned_locks_released', job_ids: rows.map((r) => r.id) }, 'released jobs this worker no longer runs');
        await this.watchIdle();
      } catch (e) {
        this.logger.warn({ event: 'heartbeat_failed', error: (e as Error).message }, 'heartbeat failed');
      }
    };
    void beat();
    this.timer = setInterval(() => void beat(), this.beatMs);
    this.timer.unref();
  }

  /**
   * After a connection storm graphile-worker's pool can sit idle beside runnable jobs. Nudge it;
   * if that does not help for three beats, report it stuck (the supervisor replaces the pool).
   */
  private async watchIdle(): Promise<void> {
    const { rows } = await this.pool.query(
      `select count(*)::int as n from graphile_worker.jobs
        where locked_at is null and run_at <= now() - interval '1 second' and attempts < max_attempts`);
    if (rows[0].n > 0 && this.running.size === 0) {
      this.idleWithWork++;
      this.workerPool?.nudge(rows[0].n);
      if (this.idleWithWork >= 3 && this.onStuck) {
        this.logger.error({ event: 'worker_pool_stuck', runnable_jobs: rows[0].n }, 'worker pool idle beside runnable jobs; replacing it');
        this.idleWithWork = 0;
        this.onStuck();
      }
    } else {
      this.idleWithWork = 0;
    }
  }

  /** Stops beating; with `orphaned`, also unlocks every job still locked by this pool (it is gone). */
  async stop(orphaned = false): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (!this.id) return;
    if (orphaned) await this.pool.query('select graphile_worker.force_unlock_workers(array[$1])', [this.id]).catch(() => {});
    await this.pool.query('delete from llm_private.worker_heartbeats where worker_pool_id = $1', [this.id]).catch(() => {});
  }
}

export async function unlockDeadWorkers(pool: Pool, staleMs: number, logger: Logger): Promise<string[]> {
  const { rows } = await pool.query('select llm_queue.unlock_dead_workers($1) as ids', [staleMs]);
  const ids: string[] = rows[0].ids;
  if (ids.length) logger.warn({ event: 'dead_workers_unlocked', worker_pool_ids: ids }, 'unlocked the jobs of dead workers');
  return ids;
}
