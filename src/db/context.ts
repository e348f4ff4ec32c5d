/**
 * The one place TypeScript touches the request context. Every transaction of ours sets its
 * context locally (set_config(..., true)) together with `app.context_tx`, the stamp of the
 * transaction that set it: the database honours a context only in that transaction, so nothing
 * leaks to the next user of a pooled connection even if someone set it at session level.
 *
 *   withApp(pool, token, fn)        the application (llm_app): a signed context token (signContext)
 *   withMoney(pool, ctx, fn)        the worker's money path: SET LOCAL ROLE llm_money + tenant/user
 *   withRole(pool, role, fn)        cross-tenant work as llm_operator, llm_auditor or llm_viewer (no tenant)
 *
 * Each helper sends BEGIN, the role, the context and the per-transaction limits as one round trip
 * (values quoted with escapeLiteral; roles come from a closed list). moneyStatement(pool, ctx,
 * text, params) sends the whole transaction, statement and COMMIT included, as one round trip:
 * the worker's hot path (reserve, settle) holds no transaction open while Node waits. statement_timeout,
 * idle_in_transaction_session_timeout and lock_timeout are set per transaction because role defaults do not apply
 * after SET ROLE.
 */
import { createHmac } from 'node:crypto';
import type { Pool, PoolClient, QueryResult } from 'pg';
import { inlineParams, type LiteralValue } from './literals';

export interface RequestContext {
  tenantId: string;
  userId: string;
}

/** Roles a pooled worker connection (logged in as llm_worker) may act as. */
export type ActingRole = 'llm_money' | 'llm_operator' | 'llm_auditor' | 'llm_viewer';

export interface TxLimits {
  statementTimeoutMs?: number;
  idleInTransactionTimeoutMs?: number;
  /**
   * The longest wait for a lock. An application session can lock its own request rows (it may cancel them), and a
   * reserve waiting on one held a worker slot for the whole statement timeout (review of 2026-11-26): a few dozen such
   * rows starved every tenant. Past it the statement fails with 55P03, transient: the job is retried later.
   */
  lockTimeoutMs?: number;
  /**
   * BEGIN ISOLATION LEVEL <this> whatever the session's default. 'read committed': a statement that vouches for the ledger
   * as of now (llm.check_reconciliation refuses any other level) must not inherit a default a login set for itself.
   * 'repeatable read': several reads that must agree with each other (the dashboard's sections, its drift count and rows).
   */
  isolation?: 'read committed' | 'repeatable read';
}

const DEFAULT_LIMITS: Required<Omit<TxLimits, 'isolation'>> = { statementTimeoutMs: 30_000, idleInTransactionTimeoutMs: 60_000, lockTimeoutMs: 5_000 };

/**
 * A context token for the application: tenant, user and expiry signed with the context secret
 * (HMAC-SHA256). The database verifies it (llm.use_context); without the secret, an SQL injection
 * in the application cannot produce a token for another tenant or user.
 */
export function signContext(secret: string, tenantId: string, userId: string, ttlS = 300, nowMs = Date.now()): string {
  const expires = Math.floor(nowMs / 1000) + ttlS;
  const body = `v1.${tenantId.toLowerCase()}.${userId.toLowerCase()}.${expires}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('hex')}`;
}

function limitsSql(client: PoolClient, l: TxLimits): string {
  const s = Math.max(1, Math.round(l.statementTimeoutMs ?? DEFAULT_LIMITS.statementTimeoutMs));
  const i = Math.max(1, Math.round(l.idleInTransactionTimeoutMs ?? DEFAULT_LIMITS.idleInTransactionTimeoutMs));
  const k = Math.max(1, Math.round(l.lockTimeoutMs ?? DEFAULT_LIMITS.lockTimeoutMs));
  return `select set_config('statement_timeout', ${client.escapeLiteral(`${s}ms`)}, true), ` +
    `set_config('idle_in_transaction_session_timeout', ${client.escapeLiteral(`${i}ms`)}, true), ` +
    `set_config('lock_timeout', ${client.escapeLiteral(`${k}ms`)}, true);`;
}

/**
 * A pooled client for fn; on failure the transaction (if any) is rolled back, and a client that cannot roll back is discarded.
 * While it is checked out, a connection's error (the server restarting) is the query's to report: pg-pool listens on idle
 * clients only, and an 'error' event nobody listens to ended the application's process (soak review 85: an application
 * enqueuing with this helper died at the database's fast stop).
 */
async function onClient<T>(pool: Pool, fn: (c: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  const onError = () => {
    broken = true;
  };
  client.on('error', onError);
  try {
    return await fn(client);
  } catch (e) {
    await client.query('rollback').catch(() => {
      broken = true;
    });
    throw e;
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}

/**
 * Every transaction names its isolation level: READ COMMITTED unless a caller asks for a REPEATABLE READ snapshot (the
 * audits). The SQL API is written for READ COMMITTED (a claim refuses anything else, 0A000), and a database or role default
 * of another level (`ALTER DATABASE ... SET default_transaction_isolation = 'serializable'`, a DBA's routine setting) had
 * made every enqueue fail (review 79).
 */
function beginSql(isolation: TxLimits['isolation']): string {
  return isolation === 'repeatable read' ? 'begin isolation level repeatable read' : 'begin isolation level read committed';
}

function inTransaction<T>(pool: Pool, prelude: (c: PoolClient) => string, fn: (c: PoolClient) => Promise<T>,
  isolation?: TxLimits['isolation']): Promise<T> {
  return onClient(pool, async (client) => {
    await client.query(`${beginSql(isolation)}; ${prelude(client)}`);
    const result = await fn(client);
    await client.query('commit');
    return result;
  });
}

function moneyPrelude(c: PoolClient, ctx: RequestContext, limits: TxLimits): string {
  return 'set local role llm_money; ' + limitsSql(c, limits) +
    `select set_config('app.current_tenant_id', ${c.escapeLiteral(ctx.tenantId)}, true), ` +
    `set_config('app.current_user_id', ${c.escapeLiteral(ctx.userId)}, true), ` +
    `set_config('app.context_tx', llm_private.tx_stamp()::text, true)`;
}

/**
 * One statement in its own transaction in ONE round trip: BEGIN, the prelude, the statement (its
 * parameters inlined as literals, src/db/literals.ts) and COMMIT as one simple-protocol query.
 * If any part fails, the server skips the rest and the transaction is rolled back here; a failed
 * COMMIT rejects too, so a resolved promise means the statement's effects are committed.
 * statement_timeout applies to each statement of the query separately (PostgreSQL 13+).
 */
function inOneTrip(pool: Pool, prelude: (c: PoolClient) => string, text: string, params: readonly LiteralValue[]): Promise<QueryResult> {
  return onClient(pool, async (client) => {
    const sql = `${beginSql(undefined)}; ${prelude(client)}; ${inlineParams(text, params, (s) => client.escapeLiteral(s))}; commit`;
    const results = (await client.query(sql)) as unknown as QueryResult[];
    return results[results.length - 2]!;
  });
}

/** The worker's money path as one round trip: `text` (with $n parameters) as llm_money in the job's tenant+user context. */
export function moneyStatement(pool: Pool, ctx: RequestContext, text: string, params: readonly LiteralValue[],
  limits: TxLimits = {}): Promise<QueryResult> {
  return inOneTrip(pool, (c) => moneyPrelude(c, ctx, limits), text, params);
}

/** The worker's money path: reserve, settle, release as llm_money in the job's tenant+user context. */
export function withMoney<T>(pool: Pool, ctx: RequestContext, fn: (client: PoolClient) => Promise<T>, limits: TxLimits = {}): Promise<T> {
  return inTransaction(pool, (c) => moneyPrelude(c, ctx, limits), fn);
}

/** Cross-tenant work (operator sweeps, audits): a role, no tenant context. */
export function withRole<T>(pool: Pool, role: ActingRole, fn: (client: PoolClient) => Promise<T>, limits: TxLimits = {}): Promise<T> {
  return inTransaction(pool, (c) => `set local role ${role}; ` + limitsSql(c, limits), fn, limits.isolation);
}

/** The application (a pool logged in as llm_app): a signed token for this transaction. */
export function withApp<T>(pool: Pool, token: string, fn: (client: PoolClient) => Promise<T>, limits: TxLimits = {}): Promise<T> {
  return inTransaction(pool, (c) => limitsSql(c, limits) + `select llm.use_context(${c.escapeLiteral(token)})`, fn);
}
