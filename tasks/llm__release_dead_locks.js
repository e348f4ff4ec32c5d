// graphile-worker task `llm__release_dead_locks` for graphile-worker's own CLI (`npx graphile-worker`). The task
// itself is TypeScript (src/worker/tasks.ts), compiled on require by tsx, which graphile.config.js
// registers. Library mode (`npm run worker`) does not read this directory.
module.exports = require('../src/worker/cli.ts').cliTask('llm__release_dead_locks');
