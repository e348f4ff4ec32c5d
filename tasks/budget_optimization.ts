/** graphile-worker task `budget_optimization` for graphile-worker's own CLI (`npx graphile-worker`): see src/worker/tasks.ts. */
import { cliTask } from '../src/worker/cli';

export default cliTask('budget_optimization');
