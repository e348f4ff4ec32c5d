/**
 * The worker says once at start which similarity path the semantic cache takes here (one JSON log
 * line, event semantic_cache_path), as llm_worker through llm.semantic_cache_path: portable on this
 * PostgreSQL 15 (no pgvector package), pgvector for a width whose HNSW index `npm run migrate` built.
 * (The migrate side, its notices and one line: test/ts/migrate.test.ts.)
 */
import { Writable } from 'node:stream';
import { parseConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { createRuntime } from '../../src/worker/runtime';
import { createTestDb, type TestDb } from '../support/db';

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(() => db?.drop());

/** Starts and closes a worker runtime; its semantic_cache_path log lines, parsed. */
async function startLines(): Promise<Record<string, unknown>[]> {
  const lines: string[] = [];
  const sink = new Writable({ write(c, _e, cb) { lines.push(String(c)); cb(); } });
  const rt = await createRuntime(parseConfig({ databaseUrl: db.adminUrl, worker: { concurrency: 1, pollIntervalMs: 100 } }),
    createLogger({ level: 'info', destination: sink }), { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: '' }, { catalogRefreshMs: 0 });
  await rt.close();
  return lines.flatMap((l) => l.trim().split('\n')).map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.event === 'semantic_cache_path');
}

test('without pgvector: one info line, portable path for every width', async () => {
  const lines = await startLines();
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatchObject({ level: 'info', event: 'semantic_cache_path', path: 'portable', pgvector_dims: [], portable_dims: [256, 1536] });
  expect(lines[0]!.msg).toMatch(/^semantic cache: portable path/);
});

test('with the HNSW index of a width: pgvector for that width, portable for the others', async () => {
  // A stand-in under the name sql/optional/pgvector.sql gives its indexes (what llm.semantic_cache_path
  // checks): the real index needs pgvector, which runs in PGlite only (test/ts/semantic-pgvector.test.ts).
  const admin = db.pool('admin', 1);
  await admin.query(`create index cache_entries_embedding_hnsw_256_idx on llm_private.cache_entries (cache_key)
    where pg_catalog.cardinality(embedding) = 256`);
  const lines = await startLines();
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatchObject({ path: 'pgvector', pgvector_dims: [256], portable_dims: [1536],
    msg: 'semantic cache: pgvector path (HNSW) for embeddings of 256 dimensions, portable path for other widths' });
});
