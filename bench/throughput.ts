/**
 * reserve+settle pairs per second, driven by pgbench (the same driver as the single-row UPDATE
 * baseline), connected as llm_app. One pgbench transaction = set the context, reserve, settle.
 */
import type { Client } from 'pg';
import { ENDPOINT, MODEL, PROVIDER } from './seed';
import { combineRuns, PgbenchResult, runPgbench } from './pgbench';

/**
 * Client c (0-based) uses tenants n = c + 1 + clients * j, j in [0, per): pools are disjoint, so
 * no two clients ever share a tenant, a user, or any rollup row. `hot` puts every client on n = 1.
 * :run tags the request ids of one pgbench run so that runs never collide with each other.
 */
export function reserveSettleScript(hot: boolean): string {
  const pick = hot ? '\\set n 1' : '\\set n :client_id + 1 + :clients * random(0, :per - 1)';
  return [
    pick,
    '\\set r random(1, 2000000000)',
    'BEGIN;',
    `SELECT set_config('app.current_tenant_id', md5('t' || :n)::uuid::text, true), set_config('app.current_user_id', md5('u' || :n)::uuid::text, true);`,
    `SELECT llm.settle_call((SELECT reservation_id FROM llm.reserve_call(md5('t' || :n)::uuid, md5('u' || :n)::uuid, 'b' || :run || '-' || :client_id || '-' || :r, '${ENDPOINT}', '${PROVIDER}', '${MODEL}', 1000, 1000)), 900, 0, 500, 10, 'ok');`,
    'COMMIT;',
    '',
  ].join('\n');
}

export interface ReserveSettleResult extends PgbenchResult {
  decisions: Record<string, number>;
}

let runSeq = 0;

export async function runReserveSettle(opts: {
  bin: string;
  appUrl: string;
  admin: Client;
  clients: number;
  seconds: number;
  tenants: number;
  hot: boolean;
}): Promise<ReserveSettleResult> {
  const run = ++runSeq;
  const per = Math.floor(opts.tenants / opts.clients);
  if (!opts.hot && per < 1) throw new Error(`BENCH_TENANTS (${opts.tenants}) must be >= the number of clients (${opts.clients})`);
  const result = await runPgbench({
    bin: opts.bin,
    url: opts.appUrl,
    script: reserveSettleScript(opts.hot),
    clients: opts.clients,
    seconds: opts.seconds,
    defines: { run, clients: opts.clients, per: Math.max(per, 1) },
  });
  const { rows } = await opts.admin.query<{ decision: string; n: number }>(
    `select decision, count(*)::int as n from llm_private.decisions where request_id like $1 group by 1 order by 1`,
    [`b${run}-%`],
  );
  const decisions: Record<string, number> = {};
  for (const r of rows) decisions[r.decision] = r.n;
  return { ...result, decisions };
}

/** "all 1234 allow" or "1200 allow, 3 replay". */
export function describeDecisions(d: Record<string, number>): string {
  const entries = Object.entries(d);
  const total = entries.reduce((s, [, n]) => s + n, 0);
  if (entries.length === 1 && entries[0]![0] === 'allow') return `all ${total} decisions allow`;
  if (!entries.length) return 'no decisions recorded';
  return entries.map(([k, n]) => `${n} ${k}`).join(', ');
}

export function combineReserveSettle(runs: ReserveSettleResult[]): ReserveSettleResult {
  const decisions: Record<string, number> = {};
  for (const r of runs) for (const [k, n] of Object.entries(r.decisions)) decisions[k] = (decisions[k] ?? 0) + n;
  return { ...combineRuns(runs), decisions };
}

/**
 * One reserve+settle per seeded tenant, as the superuser, so that every tenant's rollup rows of
 * the current month and hour exist: row 1 then measures the steady state, not first use.
 */
export async function warmTenants(admin: Client, tenants: number): Promise<void> {
  await admin.query(
    `do $$
     declare n int;
     begin
       for n in 1..${Math.floor(tenants)} loop
         perform set_config('app.current_tenant_id', md5('t' || n)::uuid::text, true),
                 set_config('app.current_user_id', md5('u' || n)::uuid::text, true);
         perform llm.settle_call((select r.reservation_id from llm.reserve_call(md5('t' || n)::uuid, md5('u' || n)::uuid,
           'warm-' || n, '${ENDPOINT}', '${PROVIDER}', '${MODEL}', 1000, 1000) r), 900, 0, 500, 10, 'ok');
       end loop;
     end $$`,
  );
}
