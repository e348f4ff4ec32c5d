/**
 * Per-call latency of llm.reserve_call (and llm.settle_call) seen from Node with `pg`, sequential,
 * one connection as llm_app, through the product's own src/db/context.ts transaction wrapper.
 * Only the reserve (resp. settle) statement's round trip is timed, not BEGIN/context/COMMIT.
 */
import { Pool } from 'pg';
import { withContext } from '../src/db/context';
import { ENDPOINT, MODEL, PROVIDER } from './seed';

export interface LatencyStats {
  n: number;
  p50: number;
  p99: number;
  mean: number;
  max: number;
}

/** Nearest-rank percentile (ms) of a sample. */
export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

export function stats(samples: number[]): LatencyStats {
  const s = [...samples].sort((a, b) => a - b);
  return {
    n: s.length,
    p50: percentile(s, 50),
    p99: percentile(s, 99),
    mean: s.reduce((a, b) => a + b, 0) / (s.length || 1),
    max: s[s.length - 1] ?? NaN,
  };
}

export interface LatencyResult {
  reserve: LatencyStats;
  settle: LatencyStats;
  decisions: Record<string, number>;
}

let seq = 0;

/**
 * A sequential caller on one database: `run(n, record)` makes n reserve+settle calls for one user,
 * recording their latencies when `record` is set. Several probes can be interleaved in rounds so
 * that a noisy machine affects them alike.
 */
export class LatencyProbe {
  private readonly pool: Pool;
  private readonly tag = `lat${++seq}-${process.pid}`;
  private i = 0;
  private readonly reserveMs: number[] = [];
  private readonly settleMs: number[] = [];
  private readonly decisions: Record<string, number> = {};

  constructor(
    appUrl: string,
    private readonly tenantId: string,
    private readonly userId: string,
  ) {
    this.pool = new Pool({ connectionString: appUrl, max: 1 });
  }

  async run(n: number, record: boolean): Promise<void> {
    for (let k = 0; k < n; k++) {
      const requestId = `${this.tag}-${this.i++}`;
      await withContext(this.pool, { tenantId: this.tenantId, userId: this.userId }, async (c) => {
        const t0 = process.hrtime.bigint();
        const { rows } = await c.query<{ decision: string; reservation_id: string | null }>(
          'select decision, reservation_id from llm.reserve_call($1, $2, $3, $4, $5, $6, $7, $8)',
          [this.tenantId, this.userId, requestId, ENDPOINT, PROVIDER, MODEL, 1000, 1000],
        );
        const t1 = process.hrtime.bigint();
        const d = rows[0];
        if (!d?.reservation_id) throw new Error(`reserve_call did not allow: ${JSON.stringify(d)}`);
        await c.query('select state from llm.settle_call($1, 900, 0, 500, 10)', [d.reservation_id]);
        const t2 = process.hrtime.bigint();
        if (record) {
          this.reserveMs.push(Number(t1 - t0) / 1e6);
          this.settleMs.push(Number(t2 - t1) / 1e6);
          this.decisions[d.decision] = (this.decisions[d.decision] ?? 0) + 1;
        }
      });
    }
  }

  result(): LatencyResult {
    return { reserve: stats(this.reserveMs), settle: stats(this.settleMs), decisions: { ...this.decisions } };
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}

/** Warms every probe up, then measures them in `rounds` alternating rounds of calls/rounds each. */
export async function measureInterleaved(probes: LatencyProbe[], calls: number, warmup: number, rounds: number): Promise<LatencyResult[]> {
  for (const p of probes) await p.run(warmup, false);
  for (let r = 0; r < rounds; r++) {
    const n = Math.floor(calls / rounds) + (r < calls % rounds ? 1 : 0);
    for (const p of probes) await p.run(n, true);
  }
  return probes.map((p) => p.result());
}
