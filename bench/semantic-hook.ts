/**
 * Goal 6 (issue 12): the semantic cache lookup, measured by the issue-12 helper's bench/semantic.ts
 * (merged from issue-12b). HOOK: when that file is in the tree, the runner calls its
 * `runSemanticBench({ serverUrl })` and prints the rows it returns; without it (or when it fails
 * to load) the section says "not measured". Loaded at run time so that the runner does not depend
 * on its imports (PGlite, test/support).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Row } from './table';

export interface SemanticModule {
  runSemanticBench(opts: { serverUrl: string; sizes?: number[]; lookups?: number; warmup?: number; pglite?: boolean;
    log?: (msg: string) => void }): Promise<Row[]>;
}

export const SEMANTIC_FILE = join(__dirname, 'semantic.ts');

/** The module, or the reason it cannot be used. */
export function loadSemantic(): SemanticModule | string {
  if (!existsSync(SEMANTIC_FILE)) return 'bench/semantic.ts is not in this tree (issue 12, branch issue-12b); the runner calls its runSemanticBench({ serverUrl }) once merged';
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(SEMANTIC_FILE) as Partial<SemanticModule>;
    if (typeof mod.runSemanticBench !== 'function') return 'bench/semantic.ts does not export runSemanticBench';
    return mod as SemanticModule;
  } catch (e) {
    return `bench/semantic.ts did not load: ${(e as Error).message.split('\n')[0]}`;
  }
}
