/**
 * The one place TypeScript touches the request context: run a callback in a transaction as a
 * given role with app.current_tenant_id / app.current_user_id set locally (SET LOCAL semantics),
 * so nothing leaks to the next user of a pooled connection.
 */
import type { Pool, PoolClient } from 'pg';

export interface RequestContext {
  tenantId: string | null;
  userId: string | null;
}

/** Roles a pooled connection (logged in as llm_worker or llm_owner) may act as. */
export type ActingRole = 'llm_app' | 'llm_operator' | 'llm_auditor';

export async function withContext<T>(
  pool: Pool,
  ctx: RequestContext,
  fn: (client: PoolClient) => Promise<T>,
  role: ActingRole | null = 'llm_app',
): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    // One round trip for the three statements (a multi-statement query cannot take parameters, so
    // the values are quoted with escapeLiteral; the role comes from a closed list).
    await client.query(
      `begin; ${role ? `set local role ${role};` : ''} ` +
        `select set_config('app.current_tenant_id', ${client.escapeLiteral(ctx.tenantId ?? '')}, true), ` +
        `set_config('app.current_user_id', ${client.escapeLiteral(ctx.userId ?? '')}, true)`,
    );
    const result = await fn(client);
    await client.query('commit');
    return result;
  } catch (e) {
    await client.query('rollback').catch(() => {
      broken = true;
    });
    throw e;
  } finally {
    client.release(broken);
  }
}

/** The same, for work that belongs to no tenant (operator sweeps, breaker, audits). */
export function withRole<T>(pool: Pool, role: ActingRole, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  return withContext(pool, { tenantId: null, userId: null }, fn, role);
}
