/**
 * Ending a pg Pool for good. pool.end() resolves once it has asked each connection to end, not once
 * the server has ended it: a server stopped right after (the embedded one of `npm start -- --once`)
 * terminated connections still ending, and each logged two warnings. `closeWhenEnded(pool)`, called
 * before the pool's first connection, returns a close that waits for every connection's socket to
 * close (the server has then ended its backend).
 */
import type { Pool } from 'pg';
import { waitAtMost } from '../wait';

/** `waitMs` bounds the wait for the sockets (a connection that never reports its end does not hold a shutdown). */
export function closeWhenEnded(pool: Pool, waitMs = 5_000): () => Promise<void> {
  const open = new Set<Promise<void>>();
  pool.on('connect', (client) => {
    const ended: Promise<void> = new Promise<void>((resolve) => client.once('end', () => resolve())).finally(() => open.delete(ended));
    open.add(ended);
  });
  return async () => {
    await pool.end();
    await waitAtMost(Promise.all(open), waitMs);
  };
}
