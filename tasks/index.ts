/**
 * The task list handed to graphile-worker (library mode: 0.17 loads only .js from a task
 * directory). Task identifiers are the endpoint names, plus the expiry sweep and the retention purge.
 */
import type { TaskList } from 'graphile-worker';
import type { WorkerDeps } from '../src/worker/deps';
import { budget_optimization } from './budget_optimization';
import { explanation } from './explanation';
import { investigation } from './investigation';
import { llm__expire_holds } from './llm__expire_holds';
import { llm__purge_expired } from './llm__purge_expired';
import { route } from './route';

export function taskList(deps: WorkerDeps): TaskList {
  return {
    route: route(deps),
    explanation: explanation(deps),
    investigation: investigation(deps),
    budget_optimization: budget_optimization(deps),
    llm__expire_holds: llm__expire_holds(deps),
    llm__purge_expired: llm__purge_expired(deps),
  };
}
