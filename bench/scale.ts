/**
 * Goal 5, latency: reserve (and settle) p50 / p99 with BENCH_SCALE_ROWS governed calls of history
 * in the ledger against the same with BENCH_SCALE_SMALL_ROWS, in databases migrated and seeded
 * alike, measured in alternating rounds (the machine's noise hits all). A third database has the
 * small one's rows and the partitions of a ledger that has run as long as its retention
 * (llm_bench.add_retained_partitions): PostgreSQL 15 opens every partition of a table for an
 * UPDATE through a generic plan, so the partition count is a scale of its own.
 *
 * History is bulk-loaded by llm_bench.load_history (bench/sql/history.sql) in batches, then
 * VACUUM (ANALYZE) and CHECKPOINT. The probe is the worker's shape, one call at a time on one
 * connection logged in as llm_worker: `begin; set local role llm_money; set_config(context)` (one
 * round trip), then the timed `llm.reserve_call` statement, then the timed `llm.settle_call`,
 * then commit. The measured user is the hot user, which also holds one history call in 20.
 */
import { Client } from 'pg';
import { urlForRole } from '../src/db/urls';
import { countRows, HOT, type Log, moneyBytes, withClient } from './db';
import { percentile, rotate } from './stats';

export type LedgerLabel = 'small' | 'large' | 'retention';

export interface LedgerLatency {
  label: LedgerLabel;
  /** Partitions of the attempts table (the default one included). */
  partitions: number;
  requests: number;
  attempts: number;
  reserve: number[];
  settle: number[];
  refused: number;
  /** Money tables (heap + indexes) per history call, bulk-loaded, after VACUUM. */
  bytesPerRow: number;
}

const BATCH = 1_000_000;

export async function loadHistory(adminUrl: string, rows: number, label: string, log: Log): Promise<void> {
  await withClient(adminUrl, async (c) => {
    const t0 = Date.now();
    for (let from = 0; from < rows; from += BATCH) {
      const to = Math.min(rows, from + BATCH);
      await c.query('select llm_bench.load_history($1::bigint, $2::bigint)', [from, to]);
      if (rows > BATCH) {
        const s = (Date.now() - t0) / 1000;
        log(`  ${label}: ${to.toLocaleString('en-US')} / ${rows.toLocaleString('en-US')} calls loaded (${s.toFixed(0)} s, ` +
          `about ${((s / to) * (rows - to)).toFixed(0)} s left)`);
      }
    }
    log(`  ${label}: VACUUM (ANALYZE), CHECKPOINT`);
    await c.query('vacuum (analyze)');
    await c.query('checkpoint');
  });
}

class Probe {
  private constructor(readonly c: Client, readonly next: () => bigint) {}

  static async open(adminUrl: string, first: bigint): Promise<Probe> {
    const c = new Client({ connectionString: urlForRole(adminUrl, 'llm_worker') });
    await c.connect();
    let pk = first;
    return new Probe(c, () => pk++);
  }

  /** One reserve + settle; returns the two statement latencies (ms) and whether reserve allowed. */
  async call(tenant: string, user: string): Promise<{ reserveMs: number; settleMs: number; allowed: boolean }> {
    const pk = this.next().toString();
    await this.c.query(`begin; set local role llm_money; select set_config('app.current_tenant_id', '${tenant}', true), ` +
      `set_config('app.current_user_id', '${user}', true), set_config('app.context_tx', llm_private.tx_stamp()::text, true)`);
    try {
      let t = process.hrtime.bigint();
      const r = await this.c.query<{ decision: string; attempt_no: number }>(
        'select decision, attempt_no from llm.reserve_call($1::bigint, 1, 1000, 30000)', [pk]);
      const reserveMs = Number(process.hrtime.bigint() - t) / 1e6;
      const d = r.rows[0]!;
      let settleMs = NaN;
      if (d.decision === 'allow') {
        t = process.hrtime.bigint();
        await this.c.query(`select state from llm.settle_call($1::bigint, $2::int, 'ok', 1000, 0, 500, 5)`, [pk, d.attempt_no]);
        settleMs = Number(process.hrtime.bigint() - t) / 1e6;
      }
      await this.c.query('commit');
      return { reserveMs, settleMs, allowed: d.decision === 'allow' };
    } catch (e) {
      await this.c.query('rollback').catch(() => {});
      throw e;
    }
  }
}

export async function measureLedgerLatency(o: {
  dbs: { label: LedgerLabel; url: string }[];
  calls: number;
  warmup: number;
  rounds: number;
  log: Log;
}): Promise<LedgerLatency[]> {
  const dbs = o.dbs;
  const perDb = o.warmup + o.calls * o.rounds;
  const tenant = (await withClient(dbs[0]!.url, (c) => c.query<{ t: string; u: string }>(
    'select llm_bench.uuid_of(1, $1)::text as t, llm_bench.uuid_of(2, $1)::text as u', [HOT]))).rows[0]!;
  const probes = new Map<string, Probe>();
  const res = new Map<string, LedgerLatency>();
  try {
    for (const d of dbs) {
      const first = await withClient(d.url, async (c) => {
        // The hot user's subject (w = 3), run number 999: never used by the pair runs.
        const base = BigInt((await c.query<{ b: string }>('select llm_bench.month_base()::text as b')).rows[0]!.b)
          + 3n * 100_000_000_000n + 999n * 100_000_000n;
        await c.query('select llm_bench.precreate($1::bigint, 1, $2)', [base.toString(), perDb]);
        await c.query('vacuum (analyze) llm_private.requests, llm_private.request_inputs');
        const bytes = await moneyBytes(c);
        const requests = await countRows(c, 'requests');
        const attempts = await countRows(c, 'attempts');
        const partitions = Number((await c.query<{ n: string }>(
          `select count(*)::text as n from pg_inherits where inhparent = 'llm_private.attempts'::regclass`)).rows[0]!.n);
        res.set(d.label, { label: d.label, partitions, requests, attempts, reserve: [], settle: [], refused: 0,
          bytesPerRow: Object.values(bytes).reduce((a, b) => a + b, 0) / Math.max(1, attempts) });
        return base + 1n;
      });
      probes.set(d.label, await Probe.open(d.url, first));
    }
    for (let r = 0; r < o.rounds; r++) {
      for (const d of rotate(dbs, r)) {
        const p = probes.get(d.label)!;
        const out = res.get(d.label)!;
        const n = o.calls + (r === 0 ? o.warmup : 0);
        for (let i = 0; i < n; i++) {
          const x = await p.call(tenant.t, tenant.u);
          if (!x.allowed) out.refused++;
          if (r === 0 && i < o.warmup) continue;
          out.reserve.push(x.reserveMs);
          if (Number.isFinite(x.settleMs)) out.settle.push(x.settleMs);
        }
      }
      o.log(`  round ${r + 1}/${o.rounds}: reserve p50 ${dbs.map((d) => `${d.label} ${percentile(res.get(d.label)!.reserve, 50).toFixed(2)} ms`).join(', ')}`);
    }
  } finally {
    for (const p of probes.values()) await p.c.end().catch(() => {});
  }
  return dbs.map((d) => res.get(d.label)!);
}
