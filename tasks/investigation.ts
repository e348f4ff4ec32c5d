/** graphile-worker task `investigation`: one governed LLM call (reserve, provider, settle). */
import type { Task } from 'graphile-worker';
import type { WorkerDeps } from '../src/worker/deps';
import { governedCall } from '../src/worker/governed-call';

export const investigation = (deps: WorkerDeps): Task => (payload, helpers) => governedCall(deps, 'investigation', payload, helpers);
