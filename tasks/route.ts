/** graphile-worker task `route`: one governed LLM call (reserve, provider, settle). */
import type { Task } from 'graphile-worker';
import type { WorkerDeps } from '../src/worker/deps';
import { governedCall } from '../src/worker/governed-call';

export const route = (deps: WorkerDeps): Task => (payload, helpers) => governedCall(deps, 'route', payload, helpers);
