/**
 * graphile-worker baseline: how many no-op jobs per second the stock runner completes on this
 * machine and database, connected as llm_worker (the owner of the graphile_worker schema).
 * Jobs are queued up front with graphile_worker.add_jobs; the clock starts once the runner is up
 * and stops after `seconds` or when the queue is drained, whichever comes first.
 */
import { Client } from 'pg';
import { Logger, run } from 'graphile-worker';

export interface WorkerResult {
  jobsPerSecond: number;
  completed: number;
  failed: number;
  seconds: number;
  drained: boolean;
}

const quiet = new Logger(() => () => {});

export async function queueNoopJobs(workerUrl: string, count: number): Promise<void> {
  const c = new Client({ connectionString: workerUrl });
  await c.connect();
  try {
    for (let done = 0; done < count; done += 10_000) {
      const n = Math.min(10_000, count - done);
      await c.query(
        `select graphile_worker.add_jobs(array(
           select row('noop', '{}'::json, null, null, null, null, null, null)::graphile_worker.job_spec
             from generate_series(1, $1::int)))`,
        [n],
      );
    }
  } finally {
    await c.end();
  }
}

async function pendingJobs(workerUrl: string): Promise<number> {
  const c = new Client({ connectionString: workerUrl });
  await c.connect();
  try {
    const { rows } = await c.query<{ n: number }>(`select count(*)::int as n from graphile_worker._private_jobs`);
    return rows[0]!.n;
  } finally {
    await c.end();
  }
}

export async function measureNoopWorker(opts: {
  workerUrl: string;
  seconds: number;
  concurrency: number;
  jobs: number;
}): Promise<WorkerResult> {
  await queueNoopJobs(opts.workerUrl, opts.jobs);
  let completed = 0;
  let failed = 0;
  let lastAt = 0n;
  const runner = await run({
    connectionString: opts.workerUrl,
    concurrency: opts.concurrency,
    taskList: { noop: async () => {} },
    noHandleSignals: true,
    pollInterval: 100,
    logger: quiet,
    // No crontab: never read a crontab file from the working directory.
    parsedCronItems: [],
  });
  const started = process.hrtime.bigint();
  runner.events.on('job:success', () => {
    completed++;
    lastAt = process.hrtime.bigint();
  });
  runner.events.on('job:error', () => {
    failed++;
  });
  const deadline = started + BigInt(opts.seconds) * 1_000_000_000n;
  while (process.hrtime.bigint() < deadline && completed + failed < opts.jobs) {
    await new Promise((r) => setTimeout(r, 50));
  }
  const drained = completed + failed >= opts.jobs;
  const end = drained ? lastAt : process.hrtime.bigint();
  const countAtEnd = completed;
  await runner.stop();
  const secs = Number(end - started) / 1e9;
  if (!drained) {
    // Leave nothing behind for later measurements on this database.
    const left = await pendingJobs(opts.workerUrl);
    if (left > 0) {
      const c = new Client({ connectionString: opts.workerUrl });
      await c.connect();
      await c.query(`delete from graphile_worker._private_jobs`).finally(() => c.end());
    }
  }
  return { jobsPerSecond: countAtEnd / secs, completed: countAtEnd, failed, seconds: secs, drained };
}
