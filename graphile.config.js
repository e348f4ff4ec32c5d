/**
 * graphile-worker's own CLI: `npx graphile-worker` (or `npx graphile-worker --once` to drain the
 * queue and exit) runs our tasks (tasks/*.js, CommonJS files that load the TypeScript) with the
 * same environment as `npm run worker`: DATABASE_URL (administrator URL; graphile-worker connects
 * as llm_worker), LLM_CONFIG_FILE or LLM_PROVIDERS, LLM_WORKER_PASSWORD, ... See README
 * "Running the worker".
 * tsx compiles the TypeScript sources on require.
 */
// tsx's require() hook: this file and the task files (tasks/*.js, CommonJS) require TypeScript.
require('tsx/cjs/api').register();

const { cliPreset } = require('./src/worker/cli.ts');

module.exports = cliPreset();
