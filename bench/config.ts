/** Benchmark knobs, all from the environment (see bench/README.md). */
import { join } from 'node:path';

function intEnv(name: string, fallback: number, min = 1): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer >= ${min}, got ${JSON.stringify(raw)}`);
  return n;
}

function listEnv(name: string, fallback: number[]): number[] {
  const raw = process.env[name];
  if (!raw) return fallback;
  const list = raw.split(',').map((s) => Number(s.trim()));
  if (!list.length || list.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new Error(`${name} must be a comma-separated list of positive integers, got ${JSON.stringify(raw)}`);
  }
  return list;
}

export interface BenchConfig {
  /** Administrator URL of the server; its database name is replaced by the bench database. */
  serverUrl: string;
  /** Seconds per measurement point (pgbench -T, worker run). */
  seconds: number;
  clients: number[];
  /** Rows 1-2: each point is this many alternating runs of seconds/rounds (noise hits all alike). */
  rounds: number;
  pgbenchPath: string;
  pgbenchScale: number;
  /** Tenants (one user each) for the distinct-user throughput runs. */
  tenants: number;
  historySmall: number;
  historyLarge: number;
  latencyCalls: number;
  latencyWarmup: number;
  /** The small- and large-ledger probes alternate in this many rounds. */
  latencyRounds: number;
  workerConcurrency: number;
  workerJobs: number;
  keepDatabase: boolean;
  /** Where the markdown report goes; null (BENCH_RESULTS=-) prints only. */
  resultsFile: string | null;
}

export function loadConfig(): BenchConfig {
  const seconds = intEnv('BENCH_SECONDS', 8);
  return {
    serverUrl: process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres',
    seconds,
    clients: listEnv('BENCH_CLIENTS', [1, 8, 32]),
    rounds: intEnv('BENCH_ROUNDS', 2),
    pgbenchPath: process.env.BENCH_PGBENCH || '/usr/lib/postgresql/15/bin/pgbench',
    pgbenchScale: intEnv('BENCH_PGBENCH_SCALE', 10),
    tenants: intEnv('BENCH_TENANTS', 1000),
    historySmall: intEnv('BENCH_HISTORY_SMALL', 1_000),
    historyLarge: intEnv('BENCH_HISTORY_LARGE', 1_000_000),
    latencyCalls: intEnv('BENCH_LATENCY_CALLS', 2000),
    latencyWarmup: intEnv('BENCH_LATENCY_WARMUP', 200, 0),
    latencyRounds: intEnv('BENCH_LATENCY_ROUNDS', 4),
    workerConcurrency: intEnv('BENCH_WORKER_CONCURRENCY', 10),
    // Enough no-op jobs that the queue does not drain before BENCH_SECONDS on a fast machine.
    workerJobs: intEnv('BENCH_WORKER_JOBS', Math.max(20_000, seconds * 5_000)),
    keepDatabase: process.env.BENCH_KEEP_DB === '1',
    resultsFile: process.env.BENCH_RESULTS === '-' ? null : process.env.BENCH_RESULTS || join(__dirname, 'RESULTS.md'),
  };
}
