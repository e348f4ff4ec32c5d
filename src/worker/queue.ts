/** Waiting for graphile-worker to finish the LLM jobs in the queue (the demo and the tests). */
import type { Pool } from 'pg';

/**
 * Resolves when no LLM job is pending or running (permanently failed ones do not count). graphile-worker counts an attempt
 * when it locks the job, so a job running its last attempt has attempts = max_attempts: it counts while locked (the
 * finance review saw the wait return while a last attempt still hung at the provider).
 */
export async function waitForLlmJobs(pool: Pool, timeoutMs: number, pollMs = 50): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await pool.query(
      `select count(*)::int as n from graphile_worker.jobs where (attempts < max_attempts or locked_at is not null) and task_identifier not like 'llm\\_\\_%'`);
    if (rows[0].n === 0) return;
    if (Date.now() > until) {
      const { rows: jobs } = await pool.query(
        `select id, task_identifier, attempts, max_attempts, locked_by, locked_at, run_at, last_error from graphile_worker.jobs
          where (attempts < max_attempts or locked_at is not null) and task_identifier not like 'llm\\_\\_%' order by id limit 5`);
      throw new Error(`LLM jobs still pending after ${timeoutMs} ms: ${JSON.stringify(jobs)}`);
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
