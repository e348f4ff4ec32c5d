/** Helpers for tests that arrange an interleaving of transactions on locks. */
import type { Pool } from 'pg';

/** Resolves once at least n sessions of this database are blocked by another (pg_blocking_pids: the lock manager's live view). */
export async function blocked(admin: Pool, n: number): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const { rows } = await admin.query(
      `select count(*)::int as n from pg_stat_activity where datname = current_database() and cardinality(pg_blocking_pids(pid)) > 0`);
    if (rows[0].n >= n) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`fewer than ${n} sessions blocked`);
}
