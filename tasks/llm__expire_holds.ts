/**
 * graphile-worker task `llm__expire_holds` (cron, every minute): unlock the jobs of dead workers,
 * then the cross-tenant expiry sweep of abandoned holds, as llm_operator.
 */
import type { Task } from 'graphile-worker';
import { withRole } from '../src/db/context';
import type { WorkerDeps } from '../src/worker/deps';
import { unlockDeadWorkers } from '../src/worker/liveness';

export const llm__expire_holds = (deps: WorkerDeps): Task => async () => {
  await unlockDeadWorkers(deps.pool, deps.deadAfterMs, deps.logger);
  const expired = await withRole(deps.pool, 'llm_operator', async (c) => (await c.query('select llm.expire_holds(10000) as n')).rows[0].n);
  if (expired > 0) deps.logger.info({ event: 'expire_holds', expired }, 'expired abandoned holds');
};
