/**
 * The semantic cache's pgvector path, and its agreement with the portable path on the same data.
 * pgvector is not packaged for this machine's PostgreSQL 15 (Debian bookworm), so the pgvector path
 * runs in PGlite (PostgreSQL 17.5 in WebAssembly, with real pgvector 0.8): the SAME
 * sql/optional/pgvector.sql and sql/api/076-semantic-cache.sql the product runs, on a minimal copy
 * of the schema (test/support/pglite-semantic.sql), in a child process (PGlite's dynamic imports do
 * not run inside jest's sandbox). The portable path runs in PGlite and in this run's PostgreSQL 15,
 * on the same 480 entries (8 scopes). Every lookup runs as llm_money under FORCE RLS.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import type { Pool, PoolClient } from 'pg';
import { createTestDb, type TestDb } from '../support/db';
import type { ChildResult } from '../support/pglite-semantic-child';
import {
  actAsMoney, COMPARE_THRESHOLD, compareData, loadEntries, lookup, type LookupRow, lookupAsMoney, PER_SCOPE, probes, TENANT_A, TENANT_B,
} from '../support/semantic-dataset';

const data = compareData();
const P = probes(data);

function runChild(): Promise<ChildResult> {
  const script = join(__dirname, '..', 'support', 'pglite-semantic-child.ts');
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', script], { maxBuffer: 64 * 1024 * 1024, timeout: 240_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout) as ChildResult);
    });
  });
}

let pg: TestDb;
let pool: Pool;
let client: PoolClient;
let lite: ChildResult;
const pg15: LookupRow[] = [];

beforeAll(async () => {
  const child = runChild(); // PGlite boots (~6 s) while PostgreSQL 15 is loaded
  pg = await createTestDb();
  pool = pg.pool('admin', 1);
  client = await pool.connect();
  await client.query(`insert into llm_private.tenants (id, name) values ($1, 'tenant A'), ($2, 'tenant B')`, [TENANT_A, TENANT_B]);
  await loadEntries(client, data);
  await client.query('analyze llm_private.cache_entries');
  for (const p of P) pg15.push(await lookupAsMoney(client, 'semantic_lookup', p));
  lite = await child;
}, 300_000);

afterAll(async () => {
  client?.release();
  await pg?.drop();
});

test('the optional step built the HNSW index in PGlite, so lookups there take the pgvector path; PostgreSQL 15 here has no pgvector', async () => {
  expect(lite.ext).toMatch(/^0\.(8|9)\./);
  expect(lite.path256).toBe('pgvector');
  expect(lite.path1536).toBe('portable'); // the child asked for 256 only: other widths fall back
  const { rows } = await client.query(
    `select llm.semantic_cache_path(256) as p, exists (select 1 from pg_available_extensions where name = 'vector') as avail`);
  expect(rows[0]).toEqual({ p: 'portable', avail: false });
});

test('the pgvector path leaves out entries written under a larger output cap than the request\'s, or under none known (000025)', () => {
  const first = lite.rows.pgvector[0]!.cache_key;
  expect(first).not.toBeNull(); // the first probe is a hit without a cap
  expect(lite.capped).toEqual({ entriesWithoutCap: null, entriesUnderCap: first, entriesOverCap: null });
});

test('as llm_money under FORCE RLS, the pgvector path walks the HNSW index and the portable path the scope index', async () => {
  expect(lite.scans).toEqual({ hnsw: 1, scope: 1 });
  // PostgreSQL 15 with the real schema (endpoint is an enum: its equality is not leakproof, so it is not in the key).
  await client.query('begin');
  try {
    await actAsMoney(client, P[0]!.scope.tenantId, P[0]!.scope.ownerUserId, [['enable_seqscan', 'off'], ['enable_bitmapscan', 'off']]);
    await lookup(client, 'semantic_lookup', P[0]!.scope, P[0]!.text, COMPARE_THRESHOLD, 1000);
    const { rows } = await client.query(
      `select pg_stat_get_xact_numscans('llm_private.cache_entries_semantic_scope_idx'::regclass)::int as scope`);
    expect(rows[0]).toEqual({ scope: 1 });
  } finally {
    await client.query('rollback');
  }
});

test('every probe gets what it should: rewordings hit their entry, other scopes and other questions miss', () => {
  const wrong = P.flatMap((p, i) => (lite.rows.pgvector[i]!.cache_key === p.expect ? [] : [`${p.what}: got ${lite.rows.pgvector[i]!.cache_key}`]));
  expect(wrong).toEqual([]);
  const hits = P.filter((p) => p.expect !== null).length;
  expect(hits).toBeGreaterThanOrEqual(60);
  expect(P.length - hits).toBeGreaterThanOrEqual(130);
});

/*
 * "The same results": the same hit or miss, the same entry and answer, and for hits and near misses
 * (best similarity >= 0.5, where thresholds are tuned) the same similarity within 1e-5 (pgvector
 * computes in float4, the portable path in float8). For far misses the best similarity a miss
 * reports is a diagnostic, and HNSW is approximate there: only "below the threshold" must agree.
 */
test.each([['PGlite portable'], ['PGlite dispatcher'], ['PostgreSQL 15 dispatcher (portable)']])(
  '%s returns what the PGlite pgvector path returns',
  (name) => {
    const other = name === 'PGlite portable' ? lite.rows.portable : name === 'PGlite dispatcher' ? lite.rows.dispatcher : pg15;
    const diffs: string[] = [];
    let maxDelta = 0;
    let compared = 0;
    P.forEach((p, i) => {
      const x = lite.rows.pgvector[i]!;
      const y = other[i]!;
      if (x.cache_key !== y.cache_key || x.source_request_pk !== y.source_request_pk || x.output !== y.output) {
        diffs.push(`${p.what}: ${x.cache_key} vs ${y.cache_key}`);
      }
      if (x.cache_key !== null || Math.max(x.similarity!, y.similarity!) >= 0.5) {
        compared++;
        maxDelta = Math.max(maxDelta, Math.abs(x.similarity! - y.similarity!));
      } else if (Math.max(x.similarity!, y.similarity!) >= COMPARE_THRESHOLD) {
        diffs.push(`${p.what}: a miss above the threshold (${x.similarity}, ${y.similarity})`);
      }
    });
    expect(diffs).toEqual([]);
    expect(maxDelta).toBeLessThan(1e-5);
    process.stdout.write(`${name} vs PGlite pgvector: ${P.length} probes, same entries; max |similarity difference| over ${compared} hits and near misses ${maxDelta.toExponential(2)}\n`);
  },
);

test('the portable path compared each scope whole (60 entries, bound 1000 not hit); the pgvector path ranked its 10 nearest', () => {
  expect(new Set(pg15.map((r) => `${r.candidates_scanned}/${r.bound_hit}`))).toEqual(new Set([`${PER_SCOPE}/false`]));
  expect(new Set(lite.rows.pgvector.map((r) => `${r.candidates_scanned}/${r.bound_hit}`))).toEqual(new Set(['10/false']));
});

test('similarities with the local embeddings: rewordings >= 0.99, another project 0.5..0.8, unrelated < 0.3', () => {
  const sims = (prefix: string) =>
    P.flatMap((p, i) => (p.what.startsWith(prefix) && !p.what.endsWith('next scope') ? [pg15[i]!.similarity!] : []));
  const rw = sims('reworded');
  const ap = sims('another project');
  const un = sims('unrelated');
  process.stdout.write(
    `similarities: reworded ${Math.min(...rw).toFixed(4)}..${Math.max(...rw).toFixed(4)}, another project ` +
      `${Math.min(...ap).toFixed(4)}..${Math.max(...ap).toFixed(4)}, unrelated ${Math.min(...un).toFixed(4)}..${Math.max(...un).toFixed(4)}\n`,
  );
  expect(Math.min(...rw)).toBeGreaterThanOrEqual(0.99);
  expect(Math.min(...ap)).toBeGreaterThanOrEqual(0.5);
  expect(Math.max(...ap)).toBeLessThan(0.8);
  expect(Math.max(...un)).toBeLessThan(0.3);
});
