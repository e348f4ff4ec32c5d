/**
 * Waiting for something that may never finish, for at most a while. The timer is cancelled as soon as `p` settles: a
 * pending timer would keep the process alive for nothing.
 */
import { setTimeout as sleep } from 'node:timers/promises';

/** `p`'s value, or undefined once `ms` have passed first (`p` is left running). */
export async function waitAtMost<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  const ac = new AbortController();
  try {
    return await Promise.race([p, sleep(ms, undefined, { signal: ac.signal }).catch(() => undefined)]);
  } finally {
    ac.abort();
  }
}
