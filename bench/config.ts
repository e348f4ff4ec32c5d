/** Benchmark knobs, all from the environment (see bench/README.md). BENCH_QUICK=1 changes the defaults only. */
import { join } from 'node:path';
import { redactUrl } from '../src/db/urls';

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
  if (!list.length || list.some((n) => !Number.isInteger(n) || n < 1 || n > 99)) {
    throw new Error(`${name} must be a comma-separated list of integers 1..99, got ${JSON.stringify(raw)}`);
  }
  return list;
}

export const SECTIONS = ['pairs', 'e2e', 'scale', 'semantic'] as const;
export type Section = (typeof SECTIONS)[number];

function sectionsEnv(): Section[] {
  const raw = process.env.BENCH_SECTIONS;
  if (!raw) return [...SECTIONS];
  const list = raw.split(',').map((s) => s.trim()).filter(Boolean);
  for (const s of list) {
    if (!(SECTIONS as readonly string[]).includes(s)) throw new Error(`BENCH_SECTIONS: unknown section ${s} (known: ${SECTIONS.join(', ')})`);
  }
  return list as Section[];
}

export interface BenchConfig {
  quick: boolean;
  /** Administrator URL of the server; the bench creates and drops its own databases there. */
  serverUrl: string;
  sections: Section[];
  /** Seconds per measured run (goals 1, 2, 4). */
  seconds: number;
  /** Interleaved rounds of goals 1 and 2 (rotating order; the figures are medians over rounds). */
  rounds: number;
  clients: number[];
  pgbenchPath: string;
  pgbenchScale: number;
  /** Goal 5: ledger rows (governed calls) bulk-loaded in the large and the small database. */
  scaleRows: number;
  scaleSmallRows: number;
  latencyCalls: number;
  latencyWarmup: number;
  latencyRounds: number;
  /** Goals 3 and 4. */
  e2eRounds: number;
  e2eSeconds: number;
  workerConcurrency: number;
  pollIntervalMs: number;
  keepDatabase: boolean;
  /** Where the markdown report goes; null (BENCH_RESULTS=-) prints only. */
  resultsFile: string | null;
}

export function loadConfig(): BenchConfig {
  const quick = process.env.BENCH_QUICK === '1';
  const seconds = intEnv('BENCH_SECONDS', quick ? 1 : 5);
  return {
    quick,
    serverUrl: process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres',
    sections: sectionsEnv(),
    seconds,
    rounds: intEnv('BENCH_ROUNDS', quick ? 3 : 5),
    clients: listEnv('BENCH_CLIENTS', [1, 8, 32]),
    pgbenchPath: process.env.BENCH_PGBENCH || '/usr/lib/postgresql/15/bin/pgbench',
    pgbenchScale: intEnv('BENCH_PGBENCH_SCALE', 10),
    scaleRows: intEnv('BENCH_SCALE_ROWS', quick ? 10_000 : 10_000_000),
    scaleSmallRows: intEnv('BENCH_SCALE_SMALL_ROWS', 1_000),
    latencyCalls: intEnv('BENCH_LATENCY_CALLS', quick ? 100 : 500),
    latencyWarmup: intEnv('BENCH_LATENCY_WARMUP', quick ? 20 : 100, 0),
    latencyRounds: intEnv('BENCH_LATENCY_ROUNDS', quick ? 2 : 4),
    e2eRounds: intEnv('BENCH_E2E_ROUNDS', quick ? 1 : 3),
    e2eSeconds: intEnv('BENCH_E2E_SECONDS', seconds),
    workerConcurrency: intEnv('BENCH_WORKER_CONCURRENCY', 10),
    pollIntervalMs: intEnv('BENCH_WORKER_POLL_MS', 100, 50),
    keepDatabase: process.env.BENCH_KEEP_DB === '1',
    resultsFile: process.env.BENCH_RESULTS === '-' ? null
      : process.env.BENCH_RESULTS || join(__dirname, quick ? 'RESULTS.quick.md' : 'RESULTS.md'),
  };
}

/** The BENCH_* variables set for this run, for the report's command line. */
export function benchEnv(): string {
  return Object.entries(process.env)
    .filter(([k]) => k.startsWith('BENCH_'))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => [k, k === 'BENCH_DATABASE_URL' ? redactUrl(v ?? '') : (v ?? '')] as const)
    .map(([k, v]) => `${k}=${/^[\w.,:/@*-]*$/.test(v) ? v : JSON.stringify(v)}`)
    .join(' ');
}
