/** graphile-worker task `llm__purge_expired` for graphile-worker's own CLI (`npx graphile-worker`): see src/worker/tasks.ts. */
import { cliTask } from '../src/worker/cli';

export default cliTask('llm__purge_expired');
