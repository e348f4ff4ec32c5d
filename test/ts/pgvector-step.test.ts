/**
 * The edges of the optional pgvector step (sql/optional/pgvector.sql, run by `npm run migrate`)
 * that this PostgreSQL 15 cannot reach, with no pgvector package: run in PGlite with its real
 * pgvector, in a child process (test/support/pglite-pgvector-step-child.ts; PGlite's dynamic imports
 * do not run inside jest's sandbox). What `npm run migrate` prints for each: test/ts/migrate.test.ts.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import type { StepResult } from '../support/pglite-pgvector-step-child';

let r: StepResult;
beforeAll(async () => {
  const script = join(__dirname, '..', 'support', 'pglite-pgvector-step-child.ts');
  r = await new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', script], { timeout: 120_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout) as StepResult);
    });
  });
}, 150_000);

test('a role that may not create pgvector (not a superuser): a notice, no extension, no index; the portable path', () => {
  expect(r.noPrivilege).toMatchObject({ error: null, ext: null, hnswIndexes: [],
    notices: [expect.stringMatching(/^pgvector: available, but this role may not create it .*portable path$/)] });
  // Schema and extension are created in one guarded block: nothing is left behind.
  expect(r.noPrivilege.llmVectorSchema).toBe(false);
});

test('a role without CREATE on the database: the same notice, nothing created; migrate goes on with the portable path', () => {
  expect(r.noCreateOnDatabase).toMatchObject({ error: null, ext: null, llmVectorSchema: false, hnswIndexes: [],
    notices: [expect.stringMatching(/^pgvector: available, but this role may not create it .*portable path$/)] });
});

test('pgvector older than 0.8 (no iterative index scans): a notice naming the version, no index; the portable path', () => {
  expect(r.olderThan08).toMatchObject({ error: null, ext: '0.7.4', hnswIndexes: [],
    notices: ['pgvector: version 0.7.4 is older than 0.8.0 (no iterative index scans); the semantic cache uses the portable path'] });
});

test('a width above 2000: a notice for it, the index for the other width', () => {
  expect(r.tooWide).toMatchObject({ error: null, ext: expect.stringMatching(/^0\.(8|9)\./), hnswIndexes: ['cache_entries_embedding_hnsw_256_idx'],
    notices: ['pgvector: no HNSW index for 3072 dimensions (vector indexes go up to 2000); those embeddings use the portable path'] });
});
