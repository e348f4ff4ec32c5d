/**
 * The bench's databases: created (migrated with the project's own migrateAll, current.sql
 * included), seeded as the superuser, and dropped at the end. One seed for every section:
 *   - model bench:chat (1 / 0.5 / 2 USD per million tokens: 1 000 in + 500 out = 2 000 micros worst case,
 *     far under the explanation endpoint's per-request cap), endpoint explanation;
 *   - subjects of bench/sql/bench-schema.sql: 1 000 tenants of one user (distinct), one tenant of
 *     1 000 users, one hot user, and 1 000 history tenants x 10 users (goal 5);
 *   - user_monthly and tenant_monthly raised to 10^15 micro-USD for everyone, so that every
 *     decision is allow (checked after every run).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { migrateAll } from '../src/db/migrate';
import { urlForDatabase } from '../src/db/urls';

export const CONTEXT_SECRET = 'bench-context-secret-0123456789abcdef';
export const HUGE_CAP = '1000000000000000';
export const ENDPOINT = 'explanation';
/** Subject numbers of bench-schema.sql. */
export const BIG_TENANT = 1000;
export const HOT = 2000;

export type Log = (msg: string) => void;

export async function withClient<T>(url: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end().catch(() => {});
  }
}

export async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  await withClient(urlForDatabase(serverUrl, 'postgres'), (c) =>
    c.query(`drop database if exists ${c.escapeIdentifier(name)} with (force)`));
}

/** floor(1 000 / the largest client count): how many tenants (or users) each pgbench client cycles over. */
export function perClient(maxClients: number): number {
  return Math.max(1, Math.floor(1000 / maxClients));
}

/**
 * A migrated, seeded bench database. Returns its admin (superuser) URL.
 * `maxClients` fixes the per-client subject pools of the pgbench workloads.
 */
export async function createBenchDatabase(serverUrl: string, name: string, maxClients: number, log: Log): Promise<string> {
  const url = urlForDatabase(serverUrl, name);
  await dropDatabase(serverUrl, name);
  log(`creating and migrating ${name}`);
  await migrateAll(url, { includeCurrent: true, contextSecret: CONTEXT_SECRET });
  await withClient(url, async (c) => {
    const helpers = readFileSync(join(__dirname, 'sql', 'bench-schema.sql'), 'utf8')
      .replace(/__PER__/g, String(perClient(maxClients)));
    await c.query(helpers);
    await c.query(readFileSync(join(__dirname, 'sql', 'history.sql'), 'utf8'));
    await seed(c);
  });
  return url;
}

async function seed(c: Client): Promise<void> {
  await c.query('begin');
  await c.query(`select llm.define_model('bench', 'chat', 4096, false, 1000000, 500000, 2000000)`);
  // Tenants: 0..999 (distinct), 1000 (one tenant of many users), 2000 (hot), 3000..3999 (history).
  await c.query(`select llm.upsert_tenant(llm_bench.uuid_of(1, n), 'bench tenant ' || n)
                   from (select generate_series(0, 1000) n union all select 2000 union all select generate_series(3000, 3999)) t`);
  await c.query(`insert into llm_private.users (tenant_id, id)
                 select llm_bench.uuid_of(1, n), llm_bench.uuid_of(2, n) from generate_series(0, 999) n
                 union all select llm_bench.uuid_of(1, 1000), llm_bench.uuid_of(2, n) from generate_series(1000, 1999) n
                 union all select llm_bench.uuid_of(1, 2000), llm_bench.uuid_of(2, 2000)
                 union all select llm_bench.uuid_of(1, 3000 + j % 1000), llm_bench.uuid_of(2, 3000 + j) from generate_series(0, 9999) j`);
  await c.query(`select llm.set_limit('user_monthly', $1::bigint), llm.set_limit('tenant_monthly', $1::bigint)`, [HUGE_CAP]);
  await c.query('commit');
  await c.query('vacuum (analyze)');
}

/**
 * Bytes on disk of the money tables (heap + indexes + TOAST of every partition): requests,
 * attempts, usage, alerts. Not request_inputs, call_outputs, reasoning_traces or the cache.
 */
export const MONEY_TABLES = ['requests', 'attempts', 'usage', 'alerts'] as const;

export async function moneyBytes(c: Client): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of MONEY_TABLES) {
    const { rows } = await c.query<{ b: string }>(
      `select coalesce(sum(pg_total_relation_size(relid)), 0)::bigint::text as b from pg_partition_tree($1::regclass)`,
      [`llm_private.${t}`]);
    out[t] = Number(rows[0]!.b);
  }
  return out;
}

export async function countRows(c: Client, table: string): Promise<number> {
  const { rows } = await c.query<{ n: string }>(`select count(*)::text as n from llm_private.${table}`);
  return Number(rows[0]!.n);
}
