/**
 * Worker liveness (see migrations: llm_private.worker_heartbeats). A worker heartbeats its
 * graphile-worker pool id; at start, and in every expiry sweep, workers unlock the jobs of pools
 * whose heartbeat is stale, so a job whose worker was killed mid-call is retried in seconds.
 */
import { hostname } from 'node:os';
import type { Pool } from 'pg';
import type { Logger } from '../logger';

const BEAT_MS = 5000;

export class Heartbeat {
  private timer: NodeJS.Timeout | null = null;
  private id: string | null = null;

  constructor(private readonly pool: Pool, private readonly logger: Logger, private readonly beatMs = BEAT_MS) {}

  start(workerPoolId: string): void {
    this.id = workerPoolId;
    const beat = () =>
      this.pool
        .query(
          `insert into llm_private.worker_heartbeats (worker_pool_id, pid, hostname) values ($1, $2, $3)
           on conflict (worker_pool_id) do update set last_seen_at = now()`,
          [workerPoolId, process.pid, hostname()],
        )
        .catch((e: Error) => this.logger.warn({ event: 'heartbeat_failed', error: e.message }, 'heartbeat failed'));
    void beat();
    this.timer = setInterval(beat, this.beatMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.id) await this.pool.query('delete from llm_private.worker_heartbeats where worker_pool_id = $1', [this.id]).catch(() => {});
  }
}

export async function unlockDeadWorkers(pool: Pool, staleMs: number, logger: Logger): Promise<string[]> {
  const { rows } = await pool.query('select llm_queue.unlock_dead_workers($1) as ids', [staleMs]);
  const ids: string[] = rows[0].ids;
  if (ids.length) logger.warn({ event: 'dead_workers_unlocked', worker_pool_ids: ids }, 'unlocked the jobs of dead workers');
  return ids;
}
