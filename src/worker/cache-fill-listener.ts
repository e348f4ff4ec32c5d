/**
 * Waiting for a cache fill without polling. When reserve answers `wait` (an identical request is
 * filling the cache), the job waits for NOTIFY on channel `llm_cache_filled` (payload = the fill's
 * random token, which reserve returns in `cache_key`: nothing of the key, the tenant or the request) or for
 * `retry_after_ms`, whichever comes first, then reserves again.
 *
 * The same connection LISTENs on `llm_breaker_transition` (sql/api/055-breaker.sql: a shared breaker changed state, from
 * any worker's call or by hand). The notification only wakes it: any login may NOTIFY any channel (review 92: llm_app
 * could make every worker log a forged "breaker opened"), so it reads the transitions recorded since the last one it
 * logged from llm.breaker_transitions (through the worker's pool as llm_operator, which its login may act as for reads:
 * withRole) and logs each as
 * event `breaker_transition` (warn when a breaker opens, info otherwise; its id identifies it: every worker process logs
 * every one). Transitions while the connection was down are not logged (the table keeps them).
 *
 * One LISTEN connection per worker process, shared by every job. A notification that arrives
 * between the reserve and the wait is not lost: arrivals are remembered for a while and a wait
 * asks "filled since my reserve started?". While the connection is down (it reconnects with
 * backoff), waits end by their timeout: slower, never wrong, because reserve decides again.
 */
import { Client, type Pool } from 'pg';
import { withRole } from '../db/context';
import { z } from 'zod';
import type { Logger } from '../logger';

export const CACHE_FILLED_CHANNEL = 'llm_cache_filled';
export const BREAKER_CHANNEL = 'llm_breaker_transition';

/** A row of llm.breaker_transitions, as the log line gives it (no tenant: the table has them). */
const BreakerTransitionSchema = z.object({
  id: z.coerce.bigint(), model_ref: z.string(), from_state: z.string(), to_state: z.string(), cause: z.string(),
  consecutive_failures: z.number().int().nullable(), open_until: z.date().nullable(), changed_at: z.date(),
});
const TRANSITIONS_SQL = `select id, model_ref, from_state, to_state, cause, consecutive_failures, open_until, changed_at
                           from llm.breaker_transitions where id > $1 order by id limit 200`;
const REMEMBER_MS = 5 * 60_000;
const MAX_REMEMBERED = 10_000;

export type WaitOutcome = 'filled' | 'timeout' | 'aborted';

interface Waiter {
  key: string | null;
  resolve(outcome: WaitOutcome): void;
}

export class CacheFillListener {
  private client: Client | null = null;
  private readonly recent = new Map<string, number>();
  private lastAnyAt = 0;
  private readonly waiters = new Set<Waiter>();
  private stopped = false;
  private retryMs = 500;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private connecting: Promise<void> | null = null;
  /** The newest transition logged (or there when the connection was made); null until known. */
  private lastTransitionId: bigint | null = null;
  private readingTransitions: Promise<void> | null = null;
  private transitionsAgain = false;

  /** `pool`: the worker's, through which breaker transitions are read; without it, none is logged. */
  constructor(private readonly url: string, private readonly logger: Logger, private readonly pool?: Pool) {}

  /** Connects and LISTENs; resolves once listening (or after the first failure, retrying in the background). */
  start(): Promise<void> {
    this.connecting ??= this.connect().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  get listening(): boolean {
    return this.client !== null;
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new Client({ connectionString: this.url, application_name: 'llm-worker-listen', keepAlive: true });
    client.on('error', (e) => this.lost(client, e));
    client.on('end', () => this.lost(client, null));
    client.on('notification', (n) => {
      if (n.channel === CACHE_FILLED_CHANNEL) this.filled(n.payload ?? '');
      else if (n.channel === BREAKER_CHANNEL) void this.breakerChanged();
    });
    try {
      await client.connect();
      await client.query(`listen ${CACHE_FILLED_CHANNEL}; listen ${BREAKER_CHANNEL}`);
      this.lastTransitionId = await this.newestTransition();
      if (this.stopped) {
        await client.end().catch(() => {});
        return;
      }
      this.client = client;
      this.retryMs = 500;
    } catch (e) {
      await client.end().catch(() => {});
      this.logger.warn({ event: 'listen_failed', channel: CACHE_FILLED_CHANNEL, error: (e as Error).message }, 'cache-fill LISTEN failed; retrying');
      this.scheduleReconnect();
    }
  }

  private lost(client: Client, e: Error | null): void {
    if (this.client !== client) return;
    this.client = null;
    if (this.stopped) return;
    this.logger.warn({ event: 'listen_lost', channel: CACHE_FILLED_CHANNEL, error: e?.message ?? 'connection ended' },
      'cache-fill LISTEN connection lost; reconnecting');
    client.end().catch(() => {});
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      void this.start();
    }, this.retryMs);
    this.reconnectTimer.unref();
    this.retryMs = Math.min(this.retryMs * 2, 10_000);
  }

  private async newestTransition(): Promise<bigint | null> {
    if (!this.pool) return null;
    try {
      return await withRole(this.pool, 'llm_operator', async (c) =>
        BigInt((await c.query<{ id: string }>('select coalesce(max(id), 0)::text as id from llm.breaker_transitions')).rows[0]!.id));
    } catch {
      return null; // a database without the view, or a login that may not act as operator: no breaker lines
    }
  }

  /** Exposed for tests: what a breaker's NOTIFY does (whatever its payload: the rows are read). */
  breakerChanged(): Promise<void> {
    if (this.readingTransitions) {
      this.transitionsAgain = true;
      return this.readingTransitions;
    }
    this.readingTransitions = (async () => {
      do {
        this.transitionsAgain = false;
        await this.logTransitions();
      } while (this.transitionsAgain);
    })().finally(() => {
      this.readingTransitions = null;
    });
    return this.readingTransitions;
  }

  private async logTransitions(): Promise<void> {
    const pool = this.pool;
    if (!pool || this.lastTransitionId === null) return;
    let rows: unknown[];
    try {
      rows = await withRole(pool, 'llm_operator', async (c) => (await c.query(TRANSITIONS_SQL, [this.lastTransitionId!.toString()])).rows);
    } catch (e) {
      this.logger.warn({ event: 'breaker_transition_unread', error: (e as Error).message }, 'a breaker changed state; its transition could not be read (see llm.breaker_transitions)');
      return;
    }
    for (const raw of rows) {
      const b = BreakerTransitionSchema.parse(raw);
      this.lastTransitionId = b.id;
      const fields = { event: 'breaker_transition', transition_id: b.id.toString(), model: b.model_ref, from_state: b.from_state,
        to_state: b.to_state, cause: b.cause, consecutive_failures: b.consecutive_failures,
        open_until: b.open_until?.toISOString() ?? null, changed_at: b.changed_at.toISOString() };
      const msg = `breaker ${b.model_ref} ${b.from_state} -> ${b.to_state} (${b.cause})`;
      if (b.to_state === 'open') this.logger.warn(fields, msg);
      else this.logger.info(fields, msg);
    }
  }

  /** Exposed for tests: what a cache fill's NOTIFY does. */
  filled(key: string): void {
    const now = Date.now();
    this.lastAnyAt = now;
    this.recent.delete(key);
    this.recent.set(key, now);
    if (this.recent.size > MAX_REMEMBERED) this.prune(now);
    for (const w of [...this.waiters]) if (w.key === null || w.key === key) w.resolve('filled');
  }

  private prune(now: number): void {
    for (const [k, at] of this.recent) {
      if (now - at < REMEMBER_MS && this.recent.size <= MAX_REMEMBERED) break;
      this.recent.delete(k);
    }
  }

  /**
   * Resolves 'filled' when `key` (any key when null: the database did not name it) was notified at
   * or after `sinceMs`, 'timeout' after `timeoutMs`, 'aborted' when `signal` fires.
   */
  waitFor(key: string | null, sinceMs: number, timeoutMs: number, signal?: AbortSignal): Promise<WaitOutcome> {
    const seen = key === null ? this.lastAnyAt : (this.recent.get(key) ?? 0);
    if (seen >= sinceMs && seen > 0) return Promise.resolve('filled');
    if (signal?.aborted) return Promise.resolve('aborted');
    return new Promise((resolve) => {
      const done = (outcome: WaitOutcome) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.waiters.delete(waiter);
        resolve(outcome);
      };
      const onAbort = () => done('aborted');
      const waiter: Waiter = { key, resolve: done };
      const timer = setTimeout(() => done('timeout'), Math.max(0, timeoutMs));
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.add(waiter);
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    for (const w of [...this.waiters]) w.resolve('aborted');
    await this.connecting?.catch(() => {});
    const c = this.client;
    this.client = null;
    await c?.end().catch(() => {});
  }
}
