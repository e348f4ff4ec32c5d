/** graphile-worker task `explanation`: one governed LLM call (reserve, provider, settle). */
import type { Task } from 'graphile-worker';
import type { WorkerDeps } from '../src/worker/deps';
import { governedCall } from '../src/worker/governed-call';

export const explanation = (deps: WorkerDeps): Task => (payload, helpers) => governedCall(deps, 'explanation', payload, helpers);
