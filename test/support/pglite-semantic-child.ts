/**
 * Runs the pgvector side of test/ts/semantic-pgvector.test.ts in PGlite and prints one JSON object.
 * A child process because PGlite loads its WebAssembly with dynamic import(), which jest's module
 * sandbox refuses without --experimental-vm-modules. Run: node --import tsx <this file>
 */
import { startPgliteSemantic } from './pglite-semantic';
import { actAsMoney, compareData, loadEntries, lookup, lookupAsMoney, type LookupRow, probes } from './semantic-dataset';

export interface ChildResult {
  ext: string | null;
  path256: string;
  path1536: string;
  /** Index scans made by one pgvector lookup and one portable lookup, in one transaction (sequential and bitmap scans off). */
  scans: { hnsw: number; scope: number };
  rows: Record<'pgvector' | 'dispatcher' | 'portable', LookupRow[]>;
  /** The first probe through the pgvector path with a request cap (migration 000025): the hit's key, or null. */
  capped: { entriesWithoutCap: string | null; entriesUnderCap: string | null; entriesOverCap: string | null };
}

async function main(): Promise<ChildResult> {
  const db = await startPgliteSemantic();
  try {
    const data = compareData();
    await loadEntries(db, data);
    await db.exec('analyze llm_private.cache_entries');
    const info = await db.query<{ ext: string | null; path256: string; path1536: string }>(
      `select (select extversion from pg_extension where extname = 'vector') as ext,
              llm.semantic_cache_path(256) as path256, llm.semantic_cache_path(1536) as path1536`);
    const P = probes(data);
    // 480 rows are few enough for sequential or bitmap scans: forbid them, to see which index each
    // path can use as llm_money under FORCE RLS.
    await db.query('begin');
    await actAsMoney(db, P[0]!.scope.tenantId, P[0]!.scope.ownerUserId, [['enable_seqscan', 'off'], ['enable_bitmapscan', 'off']]);
    await lookup(db, 'semantic_lookup_pgvector', P[0]!.scope, P[0]!.text, 0.9, 1000);
    await lookup(db, 'semantic_lookup_portable', P[0]!.scope, P[0]!.text, 0.9, 1000);
    const scans = await db.query<{ hnsw: number; scope: number }>(
      `select pg_stat_get_xact_numscans('llm_private.cache_entries_embedding_hnsw_256_idx'::regclass)::int as hnsw,
              pg_stat_get_xact_numscans('llm_private.cache_entries_semantic_scope_idx'::regclass)::int as scope`);
    await db.query('rollback');
    const rows = { pgvector: [] as LookupRow[], dispatcher: [] as LookupRow[], portable: [] as LookupRow[] };
    for (const p of P) {
      rows.pgvector.push(await lookupAsMoney(db, 'semantic_lookup_pgvector', p));
      rows.dispatcher.push(await lookupAsMoney(db, 'semantic_lookup', p));
      rows.portable.push(await lookupAsMoney(db, 'semantic_lookup_portable', p));
    }
    // The output cap: entries written under a larger cap than the request's (or under none known) are no hit.
    const hit = async (cap: number) => (await lookupAsMoney(db, 'semantic_lookup_pgvector', P[0]!, undefined, undefined, cap)).cache_key;
    const entriesWithoutCap = await hit(100);
    await db.query('update llm_private.cache_entries set max_output_tokens = 50');
    const capped = { entriesWithoutCap, entriesUnderCap: await hit(100), entriesOverCap: await hit(10) };
    return { ...info.rows[0]!, scans: scans.rows[0]!, rows, capped };
  } finally {
    await db.close();
  }
}

main().then(
  (r) => process.stdout.write(JSON.stringify(r)),
  (e) => {
    process.stderr.write(`pglite-semantic-child: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  },
);
