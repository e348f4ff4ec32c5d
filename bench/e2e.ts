/**
 * Goals 3 and 4, end to end: our worker (src/worker, as it stands on this branch) runs governed
 * jobs (enqueued by the application's llm.enqueue_call, so with the database's own job payload)
 * against a zero-latency local provider (src/provider/mock-server, in process), next to
 * graphile-worker no-op jobs with the same concurrency, poll interval and batching (bench/worker.ts).
 *
 *   goal 4: governed jobs/s at concurrency BENCH_WORKER_CONCURRENCY / no-op jobs/s, per round,
 *           median over BENCH_E2E_ROUNDS interleaved rounds (rotating order);
 *   goal 3: per job at concurrency 1, everything but the provider: job fetch (getJob:start ->
 *           job:start), reserve transaction, Node work (the task minus its transactions and the
 *           provider call), settle transaction, job completion (graphile-worker's batched DELETE),
 *           timed from outside the worker (bench/instrument.ts); the provider call's duration is
 *           the worker's own `latency_ms` from its settle log line.
 *
 * Everything that depends on the worker's API is in `startGovernedWorker` below (ADAPT HERE when
 * src/worker changes). Before measuring, one governed job must go through: when it does not (the
 * worker does not start, or the job does not end with its request done), goals 3 and 4 print
 * "not measured: <why>" and only the no-op baseline is measured.
 */
import { Writable } from 'node:stream';
import type { WorkerEvents } from 'graphile-worker';
import { parseConfig } from '../src/config';
import { createLogger } from '../src/logger';
import { LOCAL_KEY_ENV, localProviderConfig } from '../src/provider/local-config';
import { startMockProvider } from '../src/provider/mock-server';
import { startWorker } from '../src/worker/run';
import { CONTEXT_SECRET, type Log, withClient } from './db';
import { QueryRecorder, type Tx } from './instrument';
import { median, percentile, rotate } from './stats';
import { clearQueue, jobClock, type JobsRun, measureNoop, queueNoop, releaseJobs, warmUp } from './worker';

export interface E2EOptions {
  adminUrl: string;
  rounds: number;
  seconds: number;
  concurrency: number;
  pollIntervalMs: number;
  log: Log;
}

export interface JobBreakdown {
  fetch: number;
  /** llm.request_for_call's transaction (what to call), when the worker reads it apart from reserve. */
  read: number;
  reserve: number;
  node: number;
  settle: number;
  completion: number;
  provider: number;
  /** fetch + reserve + node + settle + completion: everything but the provider. */
  total: number;
  /** The worker's own figure (task start to settle end, minus the provider), when it logs one. */
  workerGovernanceMs: number | null;
}

export interface E2EResult {
  noop: JobsRun[];
  /** null when governed jobs could not run (notMeasured says why). */
  governed: JobsRun[] | null;
  /** Per-round governed / no-op, rounds where both ran. */
  ratios: number[];
  jobs: JobBreakdown[];
  /** Jobs at concurrency 1 left out of the breakdown (no provider latency logged, or not all parts seen). */
  unattributed: number;
  notMeasured: string | null;
  concurrency: number;
}

interface Started {
  events: WorkerEvents;
  stop(): Promise<void>;
}

/* ------------------------------------------------------------------ ADAPT HERE: the worker's API */

/** Starts our worker on the bench database with the local provider; its log lines go to `sink`. */
async function startGovernedWorker(adminUrl: string, baseUrl: string, concurrency: number, pollIntervalMs: number,
  sink: Writable): Promise<Started> {
  const env = { ...process.env, [LOCAL_KEY_ENV]: 'bench-key' };
  const cfg = parseConfig({
    databaseUrl: adminUrl,
    providers: [localProviderConfig(baseUrl)],
    callTimeoutMs: 10_000,
    worker: { concurrency, pollIntervalMs },
    logLevel: 'info',
  });
  const worker = await startWorker(cfg, createLogger({ level: 'info', destination: sink }), env);
  return { events: worker.runner.events, stop: () => worker.stop() };
}

/** The models the local provider serves, declared in the database (the source of truth for prices). */
async function defineLocalModels(adminUrl: string): Promise<void> {
  await withClient(adminUrl, (c) => c.query(
    `select llm.define_model('local', 'mock-chat', 4096, true, 2500000, 1250000, 10000000),
            llm.define_model('local', 'gpt-4o-mini', 4096, false, 150000, 75000, 600000)`));
}

/* ------------------------------------------------------------------ */

const TASK = 'explanation';
let enqueued = 0;

/**
 * n governed requests through the application's API (llm_app, signed context, llm.enqueue_call),
 * over tenants 0..99 of the seed, in transactions of 500; with `held`, their jobs are held (run_at a
 * day ahead) until release(), so that the clock sees every job from the first.
 */
async function enqueueGoverned(adminUrl: string, n: number, held = true): Promise<void> {
  await withClient(adminUrl, async (c) => {
    for (let done = 0; done < n; done += 500) {
      const k = Math.min(500, n - done);
      const from = enqueued;
      enqueued += k;
      await c.query('begin');
      await c.query(`select set_config('role', 'llm_app', true)`);
      await c.query(`do $$
        declare
          i integer;
          t uuid;
        begin
          for i in ${from} .. ${from + k - 1} loop
            t := llm_bench.uuid_of(1, i % 100);
            perform llm.use_context(llm.sign_context('${CONTEXT_SECRET}', t, llm_bench.uuid_of(2, i % 100), 3600));
            perform llm.enqueue_call(jsonb_build_object('request_id', 'e2e-' || i, 'endpoint', '${TASK}', 'model', 'local:mock-chat',
              'max_output_tokens', 32, 'messages', jsonb_build_array(jsonb_build_object('role', 'user',
              'content', 'Explain the anomaly in series ' || i || '.'))));
          end loop;
        end $$`);
      await c.query(`select set_config('role', session_user, true)`);
      if (held) await c.query(`select count(*) from graphile_worker.reschedule_jobs(
        array(select id from graphile_worker.jobs where task_identifier = $1 and run_at < now() + interval '1 hour'), now() + interval '1 day')`, [TASK]);
      await c.query('commit');
    }
  });
}

const release = releaseJobs;

/** VACUUM of the queue and the ledger before each phase (graphile-worker's tables bloat without autovacuum). */
async function vacuum(adminUrl: string): Promise<void> {
  await withClient(adminUrl, async (c) => {
    await c.query('vacuum (analyze) graphile_worker._private_jobs, graphile_worker._private_job_queues, llm_private.requests, ' +
      'llm_private.request_inputs, llm_private.attempts, llm_private.usage, llm_private.call_outputs');
  });
}

interface LogFacts {
  latencyMs: number;
  governanceMs: number | null;
}

function logSink(facts: Map<string, LogFacts>): Writable {
  return new Writable({
    write(chunk, _e, cb) {
      for (const line of String(chunk).split('\n')) {
        if (!line.includes('"latency_ms"')) continue;
        try {
          const j = JSON.parse(line) as { job_id?: unknown; latency_ms?: unknown; governance_ms?: unknown; event?: string };
          if (j.job_id === undefined || typeof j.latency_ms !== 'number') continue;
          facts.set(String(j.job_id), { latencyMs: j.latency_ms, governanceMs: typeof j.governance_ms === 'number' ? j.governance_ms : null });
        } catch {
          // not a JSON line
        }
      }
      cb();
    },
  });
}

interface JobTimes {
  fetchStart: number;
  start: number;
  end: number;
}

/** One governed phase: n held jobs, released at once, timed; with the per-job breakdown at concurrency 1. */
async function governedPhase(o: E2EOptions, baseUrl: string, concurrency: number, n: number, breakdown: boolean):
  Promise<{ run: JobsRun; jobs: JobBreakdown[]; unattributed: number }> {
  await enqueueGoverned(o.adminUrl, n);
  const facts = new Map<string, LogFacts>();
  const rec = new QueryRecorder();
  const times = new Map<string, JobTimes>();
  const worker = await startGovernedWorker(o.adminUrl, baseUrl, concurrency, o.pollIntervalMs, logSink(facts));
  let run: JobsRun;
  try {
    let fetchStart = 0;
    if (breakdown) {
      worker.events.on('worker:getJob:start', () => { fetchStart = performance.now(); });
      worker.events.on('job:start', ({ job }) => { times.set(String(job.id), { fetchStart, start: performance.now(), end: NaN }); });
      worker.events.on('job:success', ({ job }) => { const t = times.get(String(job.id)); if (t) t.end = performance.now(); });
      rec.start();
    }
    await warmUp(worker.events, concurrency * 2, () => enqueueGoverned(o.adminUrl, concurrency * 2, false));
    times.clear();
    rec.txs.length = 0;
    rec.completions.length = 0;
    const clock = jobClock(worker.events, n, o.seconds);
    await release(o.adminUrl, TASK);
    run = await clock;
  } finally {
    rec.stop();
    await worker.stop();
    await clearQueue(o.adminUrl);
  }
  if (!breakdown) return { run, jobs: [], unattributed: 0 };
  return { run, ...attribute(times, facts, rec.txs, rec.completions) };
}

function attribute(times: Map<string, JobTimes>, facts: Map<string, LogFacts>, txs: Tx[], completions: { start: number; end: number }[]):
  { jobs: JobBreakdown[]; unattributed: number } {
  const ordered = [...times.entries()].filter(([, t]) => Number.isFinite(t.end)).sort((a, b) => a[1].end - b[1].end);
  const comps = [...completions].sort((a, b) => a.start - b.start);
  const jobs: JobBreakdown[] = [];
  let unattributed = times.size - ordered.length;
  let ci = 0;
  for (const [id, t] of ordered) {
    // The completion of a job is the first batched DELETE issued after its task ended.
    while (ci < comps.length && comps[ci]!.start < t.end) ci++;
    const comp = comps[ci];
    if (comp) ci++;
    const inTask = txs.filter((x) => x.start >= t.start && x.end <= t.end);
    const sum = (l: Tx['label']): number => inTask.filter((x) => x.label === l).reduce((s, x) => s + (x.end - x.start), 0);
    const f = facts.get(id);
    if (!f || !comp || !inTask.some((x) => x.label === 'reserve') || !inTask.some((x) => x.label === 'settle')) {
      unattributed++;
      continue;
    }
    const read = sum('read');
    const reserve = sum('reserve');
    const settle = sum('settle');
    const node = t.end - t.start - f.latencyMs - read - reserve - settle;
    const fetch = t.start - t.fetchStart;
    const completion = comp.end - comp.start;
    jobs.push({ fetch, read, reserve, node, settle, completion, provider: f.latencyMs,
      total: fetch + read + reserve + node + settle + completion, workerGovernanceMs: f.governanceMs });
  }
  return { jobs, unattributed };
}

const oneLine = (s: string): string => s.replace(/\s+/g, ' ').trim().slice(0, 300);

/** One governed job end to end, or the reason it cannot run on this tree. */
async function probeWorker(o: E2EOptions, baseUrl: string): Promise<string | null> {
  await enqueueGoverned(o.adminUrl, 1);
  const pk = enqueued - 1;
  let worker: Started;
  try {
    worker = await startGovernedWorker(o.adminUrl, baseUrl, 1, o.pollIntervalMs, new Writable({ write: (_c, _e, cb) => cb() }));
  } catch (e) {
    await clearQueue(o.adminUrl);
    return `the worker (src/worker/run.ts startWorker) did not start: ${oneLine((e as Error).message)}`;
  }
  let error: string | null = null;
  worker.events.on('job:error', ({ error: err }) => { error ??= oneLine((err as Error)?.message ?? String(err)); });
  try {
    await release(o.adminUrl, TASK);
    const until = Date.now() + 20_000;
    for (;;) {
      const { rows } = await withClient(o.adminUrl, (c) => c.query<{ state: string }>(
        `select state::text from llm_private.requests where request_id = $1`, [`e2e-${pk}`]));
      const state = rows[0]?.state ?? 'missing';
      if (state === 'done') return null;
      if (error || Date.now() > until || !['queued', 'running'].includes(state)) {
        return `a governed job did not complete on this tree: request ${state}` + (error ? `; the job failed: ${error}` : ' after 20 s');
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    await worker.stop().catch(() => {});
    await clearQueue(o.adminUrl);
  }
}

export async function runE2E(o: E2EOptions): Promise<E2EResult> {
  const mock = await startMockProvider({ port: 0 });
  const res: E2EResult = { noop: [], governed: [], ratios: [], jobs: [], unattributed: 0, notMeasured: null, concurrency: o.concurrency };
  try {
    await defineLocalModels(o.adminUrl);
    res.notMeasured = await probeWorker(o, mock.baseUrl);
    if (res.notMeasured) {
      o.log(`  governed jobs: not measured: ${res.notMeasured}`);
      res.governed = null;
    }
    // Sizes: enough held jobs for the phase's duration at the last measured rate, with room to spare.
    const rate = { noop: 2000, gov: 400, gov1: 150 };
    const size = (r: number): number => Math.max(50, Math.ceil(r * o.seconds * 1.5) + 20);
    for (let r = 0; r < o.rounds; r++) {
      const phases = res.governed ? rotate(['noop', 'gov', 'gov1'] as const, r) : (['noop'] as const);
      const got: Partial<Record<'noop' | 'gov' | 'gov1', JobsRun>> = {};
      for (const p of phases) {
        await vacuum(o.adminUrl);
        if (p === 'noop') {
          const n = size(rate.noop);
          await queueNoop(o.adminUrl, n, true);
          got.noop = await measureNoop({ adminUrl: o.adminUrl, concurrency: o.concurrency, pollIntervalMs: o.pollIntervalMs,
            seconds: o.seconds, jobs: n });
          rate.noop = got.noop.jobsPerSecond;
        } else {
          const one = p === 'gov1';
          const n = size(one ? rate.gov1 : rate.gov);
          const g = await governedPhase(o, mock.baseUrl, one ? 1 : o.concurrency, n, one);
          got[p] = g.run;
          if (one) {
            rate.gov1 = g.run.jobsPerSecond;
            res.jobs.push(...g.jobs);
            res.unattributed += g.unattributed;
          } else {
            rate.gov = g.run.jobsPerSecond;
          }
        }
      }
      res.noop.push(got.noop!);
      if (res.governed && got.gov) {
        res.governed.push(got.gov);
        res.ratios.push(got.gov.jobsPerSecond / got.noop!.jobsPerSecond);
      }
      o.log(`  round ${r + 1}/${o.rounds}: no-op ${got.noop!.jobsPerSecond.toFixed(0)} jobs/s` +
        (got.gov ? `, governed ${got.gov.jobsPerSecond.toFixed(0)} jobs/s (concurrency ${o.concurrency})` : '') +
        (got.gov1 ? `, ${got.gov1.jobsPerSecond.toFixed(0)} jobs/s at concurrency 1` : ''));
    }
  } finally {
    await mock.stop();
  }
  return res;
}

export function breakdownMedians(jobs: JobBreakdown[]): Record<keyof Omit<JobBreakdown, 'workerGovernanceMs'>, number> & { p99: number } {
  const col = (k: keyof JobBreakdown): number[] => jobs.map((j) => j[k]).filter((x): x is number => typeof x === 'number');
  return {
    fetch: median(col('fetch')), read: median(col('read')), reserve: median(col('reserve')), node: median(col('node')), settle: median(col('settle')),
    completion: median(col('completion')), provider: median(col('provider')), total: percentile(col('total'), 50),
    p99: percentile(col('total'), 99),
  };
}
