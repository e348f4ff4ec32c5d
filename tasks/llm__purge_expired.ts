/** graphile-worker task `llm__purge_expired` (cron, hourly): retention of traces, outputs and cache entries, as llm_operator. */
import type { Task } from 'graphile-worker';
import { withRole } from '../src/db/context';
import type { WorkerDeps } from '../src/worker/deps';

export const llm__purge_expired = (deps: WorkerDeps): Task => async () => {
  const r = await withRole(deps.pool, 'llm_operator', async (c) => (await c.query('select * from llm.purge_expired(100000)')).rows[0]);
  deps.logger.info({ event: 'purge_expired', traces: r.traces, outputs: r.outputs, cache_entries: r.cache_entries }, 'purged expired rows');
};
