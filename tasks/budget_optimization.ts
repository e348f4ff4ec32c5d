/** graphile-worker task `budget_optimization`: one governed LLM call (reserve, provider, settle). */
import type { Task } from 'graphile-worker';
import type { WorkerDeps } from '../src/worker/deps';
import { governedCall } from '../src/worker/governed-call';

export const budget_optimization = (deps: WorkerDeps): Task => (payload, helpers) => governedCall(deps, 'budget_optimization', payload, helpers);
