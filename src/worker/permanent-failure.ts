/**
 * Failing a job for good. graphile-worker 0.17 retries every thrown error until max_attempts and
 * its permanently_fail_jobs() skips locked jobs, so a task that knows a retry cannot help (a
 * malformed payload, a 4xx from the provider) lowers its own job's max_attempts to the attempts
 * made, then throws: the failure is recorded on the job (last_error) and it is never run again.
 * The worker's login owns graphile-worker's tables, so this needs no extra privilege.
 */
import type { JobHelpers } from 'graphile-worker';

export class PermanentJobError extends Error {
  static {
    this.prototype.name = 'PermanentJobError';
  }
}

export async function failPermanently(helpers: JobHelpers, message: string): Promise<never> {
  await helpers.query('update graphile_worker._private_jobs set max_attempts = attempts where id = $1', [helpers.job.id]);
  throw new PermanentJobError(message);
}
