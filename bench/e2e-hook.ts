/**
 * The hook for the end-to-end governed row. When bench/e2e.ts exists it must export
 *
 *   export async function runE2E(adminUrl: string, seconds: number): Promise<E2EResult>
 *
 * adminUrl is the superuser URL of the bench database: migrated, seeded (see bench/seed.ts for the
 * tenants, users, model 'bench:large' and its price), ledger emptied, graphile_worker queue empty.
 * Derive role URLs with urlForRole(adminUrl, 'llm_worker') etc. It should leave no worker running.
 * Until the file exists, the row prints as pending.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export interface E2EResult {
  /** Governed jobs (reserve, mock provider call, settle) completed per second. */
  jobsPerSecond: number;
  /** Time a job spends in governance (reserve + settle + bookkeeping), per call, one job at a time. */
  overheadP50Ms: number;
  overheadP99Ms: number;
  /** The same during the throughput run (includes waiting for CPU and connections at that concurrency). */
  contendedOverheadP50Ms: number;
  contendedOverheadP99Ms: number;
}

export interface E2EModule {
  runE2E(adminUrl: string, seconds: number): Promise<E2EResult>;
}

export const E2E_FILE = join(__dirname, 'e2e.ts');

/** The module, or null when bench/e2e.ts has not been written yet. */
export function loadE2E(): E2EModule | null {
  if (!existsSync(E2E_FILE)) return null;
  // A runtime require (tsx compiles it), so that this file typechecks without bench/e2e.ts.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(E2E_FILE) as Partial<E2EModule>;
  if (typeof mod.runE2E !== 'function') throw new Error(`${E2E_FILE} must export runE2E(adminUrl, seconds)`);
  return mod as E2EModule;
}
