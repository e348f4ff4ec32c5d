/**
 * Goals 1 and 2: reserve+settle pairs per second against pgbench's single-row UPDATE, in the same
 * database, interleaved in rotating order, median of the per-round ratios.
 *
 * A pair is what the worker does: two transactions, reserve then settle, each ONE round trip (a
 * compound `\;` statement: the context as set_config, then the call), run by pgbench as the
 * superuser switching to llm_money with set_config('role', ..., true) inside the transaction.
 * Requests are claimed at enqueue, so every run gets fresh pre-created queued requests
 * (llm_bench.precreate) and each client walks its own with a per-client sequence; pgbench runs
 * with -t (exactly that many pairs per client), sized from the previous run of the same
 * configuration so that a run lasts about BENCH_SECONDS. After every run the attempts of that run
 * are counted: all must be settled and allowed, every request done, or the run is invalid and
 * left out of the medians.
 */
import type { Client } from 'pg';
import { HUGE_CAP, type Log, perClient } from './db';
import { hotRowUpdateScript, PgbenchResult, runPgbench, singleRowUpdateScript } from './pgbench';
import { div, median, rotate } from './stats';

export type PairWorkload = 'distinct' | 'big' | 'hot' | 'global';
export type Conf = 'upd' | 'upd_hot' | PairWorkload;
export const CONFS: readonly Conf[] = ['upd', 'upd_hot', 'distinct', 'big', 'hot', 'global'];
const PAIR_WORKLOADS: readonly PairWorkload[] = ['distinct', 'big', 'hot', 'global'];
/** The w digit of the request offset (bench/sql/bench-schema.sql). 'global' is distinct tenants run with a global limit. */
const W: Record<PairWorkload, bigint> = { distinct: 1n, big: 2n, hot: 3n, global: 4n };

export const CONF_LABEL: Record<Conf, string> = {
  upd: 'pgbench single-row UPDATE (random aid of scale x 100 000)',
  upd_hot: 'pgbench one-hot-row UPDATE (aid = 1)',
  distinct: 'distinct tenants',
  big: 'one tenant with 1 000 users',
  hot: 'one hot user',
  global: 'distinct tenants + global hourly limit (16 escrow shards)',
};

const CTX = (tenant: string, user: string): string =>
  `select set_config('role', 'llm_money', true), set_config('app.current_tenant_id', ${tenant}::text, true), ` +
  `set_config('app.current_user_id', ${user}::text, true), set_config('app.context_tx', llm_private.tx_stamp()::text, true)`;

/**
 * The pair: two transactions, one round trip each. :base = month base + workload and run offset.
 * The worker sends its tenant and user as literals; here they are computed from the request's pk
 * by the bench's helpers, which must cost next to nothing: PL/pgSQL ones (bench-schema.sql), on a
 * pk from a subquery the planner keeps (volatile nextval, or OFFSET 0), so that they run once per
 * statement from a cached plan. The SQL helpers called on a constant made the planner inline and
 * run them, parsing and planning their bodies on every statement: ~25 % of the server's samples
 * of a pair (perf record), none of it the product's.
 */
export function pairScript(): string {
  const seq = `'llm_bench.c' || :client_id`;
  const ctx = (pk: string): string => `${CTX('llm_bench.tenant_of_pk(s.pk)', 'llm_bench.user_of_pk(s.pk)')} from (${pk}) s`;
  return [
    `${ctx(`select nextval(${seq}) + :base as pk`)} \\; ` +
      `select attempt_no, currval(${seq}) + :base as pk from llm.reserve_call(currval(${seq}) + :base, 1, 1000, 30000)`,
    '\\gset',
    `${ctx('select :pk::bigint as pk offset 0')} \\; ` +
      `select state from llm.settle_call(:pk, :attempt_no, 'ok', 1000, 0, 500, 5)`,
    '',
  ].join('\n');
}

export interface RunOutcome {
  tps: number;
  /** Why the run does not count, or null. */
  invalid: string | null;
  pairs: number;
}

export interface ClientsResult {
  clients: number;
  /** Per round, in round order; NaN where the run was invalid. */
  tps: Record<Conf, number[]>;
  invalid: Record<Conf, string[]>;
}

export interface PairsOptions {
  admin: Client;
  adminUrl: string;
  pgbench: string;
  pgbenchScale: number;
  clients: number[];
  rounds: number;
  seconds: number;
  log: Log;
}

function pgbenchProblem(r: PgbenchResult): string | null {
  if (r.aborted) return `pgbench: a client aborted: ${r.output.split('\n').filter((l) => /error|abort/i.test(l)).slice(0, 2).join(' / ')}`;
  if (r.failed) return `pgbench: ${r.failed} failed transactions`;
  return null;
}

export class PairsBench {
  private run = 0;
  private monthBase = 0n;
  /** Pairs/s of the last valid run of each workload and client count (sizes the next run). */
  private readonly rate = new Map<string, number>();
  totalPairs = 0;

  constructor(private readonly o: PairsOptions) {}

  private get per(): number {
    return perClient(Math.max(...this.o.clients));
  }

  async measure(): Promise<ClientsResult[]> {
    const { admin, log } = this.o;
    this.monthBase = BigInt((await admin.query<{ b: string }>('select llm_bench.month_base()::text as b')).rows[0]!.b);
    await this.warmSubjects();
    const out: ClientsResult[] = [];
    for (const clients of this.o.clients) {
      log(`pairs, ${clients} client(s): warm-up and calibration runs (not counted)`);
      for (const c of CONFS) await this.runConf(c, clients, true);
      const res: ClientsResult = { clients, tps: emptyConfs(() => []), invalid: emptyConfs(() => []) };
      for (let r = 0; r < this.o.rounds; r++) {
        await this.prepareRound();
        const order = rotate(CONFS, r);
        const line: string[] = [];
        for (const c of order) {
          const o = await this.runConf(c, clients, false);
          res.tps[c][r] = o.invalid ? NaN : o.tps;
          if (o.invalid) res.invalid[c].push(`round ${r + 1}: ${o.invalid}`);
          line.push(`${c} ${o.invalid ? 'INVALID' : o.tps.toFixed(0)}`);
        }
        log(`  round ${r + 1}/${this.o.rounds} (${order.join(' > ')}): ${line.join(', ')}`);
      }
      out.push(res);
    }
    return out;
  }

  /**
   * One reserve + settle on every subject of every workload (in SQL, untimed), so that the usage
   * rows of this period exist: the runs measure the steady state, not first use.
   */
  private async warmSubjects(): Promise<void> {
    const { admin, log } = this.o;
    const maxClients = Math.max(...this.o.clients);
    const plan: [PairWorkload, number, number][] = [['distinct', maxClients, this.per], ['big', maxClients, this.per], ['hot', 1, 1],
      ['global', maxClients, Math.min(this.per, 16)]];
    log(`pairs: warming up every subject (one reserve + settle each, in SQL)`);
    for (const [w, clients, perClient] of plan) {
      const base = this.monthBase + W[w] * 100_000_000_000n + 998n * 100_000_000n;
      await admin.query('select llm_bench.precreate($1::bigint, $2, $3)', [base.toString(), clients, perClient]);
      const limitId = w === 'global'
        ? (await admin.query<{ id: number }>(`select llm.set_limit('global_hourly', $1::bigint) as id`, [HUGE_CAP])).rows[0]!.id : null;
      try {
        // One transaction per client: a row updated many times in one transaction keeps every version alive.
        for (let c = 0; c < clients; c++) {
          await admin.query('select llm_bench.warm($1::bigint, 1, $2)', [(base + BigInt(c) * 1_000_000n).toString(), perClient]);
        }
      } finally {
        if (limitId !== null) await admin.query('select llm.end_limit($1)', [limitId]);
      }
      const invalid = await this.checkOutcomes(base, clients * perClient);
      if (invalid) throw new Error(`warm-up of ${w}: ${invalid}`);
      log(`  ${w}: ${clients * perClient} subjects warmed`);
    }
  }

  /** Between rounds: the same starting state for every round (autovacuum may be off). */
  private async prepareRound(): Promise<void> {
    await this.o.admin.query('vacuum (analyze)');
    await this.o.admin.query('checkpoint');
  }

  private async runConf(c: Conf, clients: number, warmup: boolean): Promise<RunOutcome> {
    if (c === 'upd' || c === 'upd_hot') {
      const r = await runPgbench({
        bin: this.o.pgbench, url: this.o.adminUrl, clients, seconds: warmup ? 1 : this.o.seconds,
        script: c === 'upd' ? singleRowUpdateScript(this.o.pgbenchScale) : hotRowUpdateScript(),
      });
      return { tps: r.tps, invalid: pgbenchProblem(r), pairs: r.transactions };
    }
    return this.runPairs(c, clients, warmup);
  }

  private async runPairs(w: PairWorkload, clients: number, warmup: boolean): Promise<RunOutcome> {
    const { admin } = this.o;
    const key = `${w}/${clients}`;
    // Calibration: about 100 pairs in all, to size the first counted run.
    const perClient = warmup
      ? Math.max(5, Math.ceil(100 / clients))
      : Math.min(999_999, Math.max(20, Math.ceil(((this.rate.get(key) ?? 200) * this.o.seconds) / clients)));
    const run = ++this.run;
    if (run >= 998) throw new Error('more than 997 pgbench pair runs in one database (998 and 999 are the warm-up and the probe)');
    const base = this.monthBase + W[w] * 100_000_000_000n + BigInt(run) * 100_000_000n;
    await admin.query('select llm_bench.precreate($1::bigint, $2, $3)', [base.toString(), clients, perClient]);
    await admin.query('select llm_bench.reset_counters($1)', [clients]);
    let limitId: number | null = null;
    if (w === 'global') {
      limitId = (await admin.query<{ id: number }>(`select llm.set_limit('global_hourly', $1::bigint) as id`, [HUGE_CAP])).rows[0]!.id;
    }
    let r: PgbenchResult;
    try {
      r = await runPgbench({ bin: this.o.pgbench, url: this.o.adminUrl, script: pairScript(), clients, perClient,
        defines: { base: base.toString() } });
    } finally {
      if (limitId !== null) await admin.query('select llm.end_limit($1)', [limitId]);
    }
    const expected = clients * perClient;
    const invalid = pgbenchProblem(r) ?? (await this.checkOutcomes(base, expected));
    if (!invalid) this.rate.set(key, r.tps);
    if (!warmup) this.totalPairs += expected;
    return { tps: r.tps, invalid, pairs: expected };
  }

  /** All pairs of the run allowed and settled, every request done: else the reason the run is invalid. */
  private async checkOutcomes(base: bigint, expected: number): Promise<string | null> {
    const { rows } = await this.o.admin.query<{ state: string; decision: string; attempts: string; requests_done: string }>(
      'select * from llm_bench.outcomes($1::bigint, $2::bigint)', [base.toString(), (base + 100_000_000n).toString()]);
    const ok = rows.find((x) => x.state === 'settled' && x.decision === 'allow');
    const others = rows.filter((x) => x !== ok).map((x) => `${x.attempts} ${x.state}/${x.decision}`);
    const n = Number(ok?.attempts ?? 0);
    const done = Number(ok?.requests_done ?? 0);
    if (n === expected && done === expected && !others.length) return null;
    return `${n} of ${expected} pairs settled+allow (${done} requests done)${others.length ? `; also ${others.join(', ')}` : ''}`;
  }
}

function emptyConfs<T>(f: () => T): Record<Conf, T> {
  return Object.fromEntries(CONFS.map((c) => [c, f()])) as Record<Conf, T>;
}

export interface RatioSummary {
  /** Median raw figure of ours and of the baseline over valid rounds. */
  ours: number;
  base: number;
  /** Median of the per-round ratios (rounds where both runs were valid). */
  ratio: number;
  rounds: number;
  invalid: string[];
}

export function summarize(r: ClientsResult, ours: Conf, base: Conf): RatioSummary {
  const ratios = r.tps[ours].map((x, i) => div(x, r.tps[base][i] ?? NaN)).filter(Number.isFinite);
  return {
    ours: median(r.tps[ours]),
    base: median(r.tps[base]),
    ratio: median(ratios),
    rounds: ratios.length,
    invalid: [...r.invalid[ours].map((s) => `${ours} ${s}`), ...r.invalid[base].map((s) => `${base} ${s}`)],
  };
}

export { PAIR_WORKLOADS };
