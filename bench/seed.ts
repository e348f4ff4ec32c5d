/**
 * Seeding the bench database as the superuser: a model with a price, N tenants of one user each
 * (throughput runs), one tenant of many users (latency runs), and bulk ledger history.
 * Ids are md5-derived uuids so pgbench scripts can compute them: tenant n = md5('t' || n)::uuid,
 * its user = md5('u' || n)::uuid; the latency tenant = md5('lat-t'), its users md5('lat-u' || k).
 */
import { createHash } from 'node:crypto';
import type { Client } from 'pg';

export const PROVIDER = 'bench';
export const MODEL = 'large';
export const ENDPOINT = 'investigation';
/** Caps high enough that nothing in a bench run is ever refused for money. */
export const HUGE_CAP = '1000000000000000';

export function md5Uuid(s: string): string {
  const h = createHash('md5').update(s).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export const LATENCY_TENANT = md5Uuid('lat-t');
export const latencyUser = (k: number): string => md5Uuid(`lat-u${k}`);
/** Users of the latency tenant; user 0 is the measured one, the others carry history. */
export const LATENCY_USERS = 1000;

export async function seed(c: Client, tenants: number): Promise<void> {
  await c.query('begin');
  await c.query(`select llm.upsert_model($1, $2, 8192)`, [PROVIDER, MODEL]);
  // 10 / 5 / 30 USD per million tokens: 1 000 in + 1 000 out = 40 000 micros worst case, under the
  // default 300 000 micros per-request cap of the investigation endpoint.
  await c.query(`select llm.set_model_price($1, $2, '2000-01-01', 10000000, 5000000, 30000000)`, [PROVIDER, MODEL]);
  await c.query(
    `select llm.upsert_tenant(md5('t' || n)::uuid, 'bench tenant ' || n, $2::bigint, $2::bigint)
       from generate_series(1, $1::int) n`,
    [tenants, HUGE_CAP],
  );
  await c.query(
    `insert into llm_private.users (tenant_id, id) select md5('t' || n)::uuid, md5('u' || n)::uuid from generate_series(1, $1::int) n`,
    [tenants],
  );
  await c.query(`select llm.upsert_tenant(md5('lat-t')::uuid, 'bench latency tenant', $1::bigint, $1::bigint)`, [HUGE_CAP]);
  await c.query(
    `insert into llm_private.users (tenant_id, id) select md5('lat-t')::uuid, md5('lat-u' || k)::uuid from generate_series(0, $1::int - 1) k`,
    [LATENCY_USERS],
  );
  await c.query('commit');
  await c.query('analyze');
}

/** Empties the ledger (between the throughput runs and the latency runs). */
export async function truncateLedger(c: Client): Promise<void> {
  await c.query(`truncate llm_private.decisions, llm_private.reservations, llm_private.requests, llm_private.spend_rollups,
    llm_private.shutoff_windows restart identity cascade`);
}

export async function ledgerRows(c: Client): Promise<{ requests: number; reservations: number; decisions: number; rollups: number }> {
  const { rows } = await c.query(`select
      (select count(*) from llm_private.requests)::int as requests,
      (select count(*) from llm_private.reservations)::int as reservations,
      (select count(*) from llm_private.decisions)::int as decisions,
      (select count(*) from llm_private.spend_rollups)::int as rollups`);
  return rows[0];
}

/**
 * Appends `count` settled calls of the latency tenant to the ledger: one request (done), one
 * reservation (settled) and one decision (allow) each, plus the month and hour rollups they imply.
 * Every 20th call belongs to the measured user (latencyUser(0)), the rest to users 1..999.
 * Calls are spread over the 180 days before the current hour.
 *
 * Rows are inserted directly in their final state with session_replication_role = replica (as the
 * superuser, in this transaction only): that skips the insert triggers that force rows to be born
 * held/open (and the FK triggers), which is why it is fast. CHECK constraints still apply, and the
 * rows satisfy every foreign key by construction.
 */
export async function loadHistory(c: Client, count: number): Promise<void> {
  if (count <= 0) return;
  await c.query('begin');
  try {
    await c.query('set local session_replication_role = replica');
    const { rows } = await c.query(`select
        coalesce((select max(id) from llm_private.requests), 0)::bigint as req,
        coalesce((select max(id) from llm_private.reservations), 0)::bigint as res,
        coalesce((select max(id) from llm_private.decisions), 0)::bigint as dec,
        (select count(*) from llm_private.requests where request_id like 'h-%')::bigint as done,
        (select id from llm_private.model_prices where provider = $1 and model = $2 order by effective_from desc limit 1) as price`,
      [PROVIDER, MODEL]);
    const base = rows[0] as { req: string; res: string; dec: string; done: string; price: string };
    await c.query(
      `create temp table h on commit drop as
       select g.i, g.i - $1::bigint as k,
              md5('lat-u' || case when g.i % 20 = 0 then 0 else 1 + g.i % ($3::int - 1) end)::uuid as user_id,
              date_trunc('hour', now()) - interval '1 hour' * (1 + (g.i * 7919) % 4320) + interval '1 second' * (g.i % 3500) as ts
         from generate_series($1::bigint, $1::bigint + $2::bigint - 1) g(i)`,
      [base.done, count, LATENCY_USERS],
    );
    await c.query(
      `insert into llm_private.requests (id, tenant_id, user_id, request_id, endpoint, fingerprint, state, attempt_count,
         last_caller_attempt, spent_micros, created_at, updated_at)
       overriding system value
       select $1::bigint + h.k + 1, md5('lat-t')::uuid, h.user_id, 'h-' || h.i, $2::llm_private.endpoint, md5(h.i::text), 'done', 1,
              1, 24000, h.ts, h.ts + interval '2 seconds'
         from h`,
      [base.req, ENDPOINT],
    );
    await c.query(
      `insert into llm_private.reservations (id, tenant_id, user_id, request_pk, request_id, endpoint, attempt, caller_attempt, decision,
         requested_provider, requested_model, provider, model, price_id, input_tokens_estimate, max_output_tokens, held_micros,
         holds_global, month_start, hour_start, reserved_at, expires_at, state, ended_at, end_reason, settled_at, input_tokens,
         cached_input_tokens, output_tokens, cost_micros, overrun_micros, latency_ms, provider_status, usage_estimated, late)
       overriding system value
       select $1::bigint + h.k + 1, md5('lat-t')::uuid, h.user_id, $2::bigint + h.k + 1, 'h-' || h.i, $3::llm_private.endpoint, 1, 1,
              'allow', $4, $5, $4, $5, $6::bigint, 1000, 1000, 40000,
              false, date_trunc('month', h.ts, 'UTC'), date_trunc('hour', h.ts), h.ts, h.ts + interval '90 seconds', 'settled',
              h.ts + interval '2 seconds', 'settled', h.ts + interval '2 seconds', 900,
              0, 500, 24000, 0, 1500, 'ok', false, false
         from h`,
      [base.res, base.req, ENDPOINT, PROVIDER, MODEL, base.price],
    );
    await c.query(
      `insert into llm_private.decisions (id, decided_at, tenant_id, user_id, request_id, endpoint, caller_attempt, reservation_id,
         decision, reason, requested_provider, requested_model, provider, model, input_tokens_estimate, requested_max_output_tokens,
         granted_max_output_tokens, worst_case_micros, limit_name, limit_micros, used_micros)
       overriding system value
       select $1::bigint + h.k + 1, h.ts, md5('lat-t')::uuid, h.user_id, 'h-' || h.i, $2::llm_private.endpoint, 1, $3::bigint + h.k + 1,
              'allow', 'ok', $4, $5, $4, $5, 1000, 1000, 1000, 40000, 'per_request_cap', 300000, 0
         from h`,
      [base.dec, ENDPOINT, base.res, PROVIDER, MODEL],
    );
    // The rollups the history implies (user and tenant, month and hour); spend only grows.
    await c.query(
      `insert into llm_private.spend_rollups as r (tenant_id, user_id, scope, period, period_start, held_micros, spent_micros)
       select md5('lat-t')::uuid, k.user_id, k.scope, k.period, k.period_start, 0, sum(24000)
         from h
         cross join lateral (values
           (h.user_id, 'user', 'month', date_trunc('month', h.ts, 'UTC')),
           (h.user_id, 'user', 'hour', date_trunc('hour', h.ts)),
           ('00000000-0000-0000-0000-000000000000'::uuid, 'tenant', 'month', date_trunc('month', h.ts, 'UTC')),
           ('00000000-0000-0000-0000-000000000000'::uuid, 'tenant', 'hour', date_trunc('hour', h.ts))
         ) k(user_id, scope, period, period_start)
        group by 1, 2, 3, 4, 5
       on conflict (tenant_id, user_id, scope, period, period_start)
       do update set spent_micros = r.spent_micros + excluded.spent_micros`,
    );
    for (const t of ['requests', 'reservations', 'decisions']) {
      await c.query(`select setval(pg_get_serial_sequence('llm_private.${t}', 'id'), (select max(id) from llm_private.${t}))`);
    }
    await c.query('commit');
  } catch (e) {
    await c.query('rollback').catch(() => {});
    throw e;
  }
  await c.query('analyze llm_private.requests, llm_private.reservations, llm_private.decisions, llm_private.spend_rollups');
  // Write the load out now, so that its checkpoint does not land in the middle of a measurement.
  await c.query('checkpoint');
}
