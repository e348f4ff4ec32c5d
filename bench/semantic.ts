/**
 * Semantic cache lookup latency (issue 12): p50 / p99 of one llm_private.semantic_lookup at 10^3,
 * 10^4 and 10^5 entries in ONE scope, on the portable path (PostgreSQL of BENCH_DATABASE_URL, cosine
 * over real[], newest `maxCandidates` entries) and on the pgvector path (HNSW, in PGlite: WASM
 * PostgreSQL 17 in this process, where the server has no pgvector), each next to the exact-cache
 * lookup (primary-key read of an entry) measured in the same run, on the same server, interleaved.
 *
 * Library: `runSemanticBench(opts)` returns rows for bench/table.ts's markdownTable (the lead's
 * runner calls it). CLI: `npx tsx bench/semantic.ts` (env below) prints the table.
 *   BENCH_DATABASE_URL       administrator URL (default postgres://postgres@127.0.0.1:5432/postgres)
 *   BENCH_SEMANTIC_SIZES     default 1000,10000,100000
 *   BENCH_SEMANTIC_LOOKUPS   measured lookups per size and path (default 200; warm-up 20 more)
 *   BENCH_SEMANTIC_BOUND     the portable path's p_max_candidates (default 1000)
 *   BENCH_SEMANTIC_PGLITE    0 skips the pgvector (PGlite) rows
 * Each lookup runs as reserve runs it: its own transaction, SET ROLE llm_money, the tenant+user
 * context, FORCE RLS; only the lookup statement is timed (not BEGIN, context or the embedding).
 * Half the questions reword one of the newest entries (a hit on both paths); half reword an entry
 * anywhere in the scope (the portable path misses those beyond its bound; HNSW finds them).
 */
import { Client } from 'pg';
import type { PGlite } from '@electric-sql/pglite';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { migrateAll } from '../src/db/migrate';
import { urlForDatabase } from '../src/db/urls';
import { startPgliteSemantic } from '../test/support/pglite-semantic';
import {
  actAsMoney, embeddingLiteral, type Entry, entries, loadEntries, type Queryable, reword, scope, TENANT_A,
} from '../test/support/semantic-dataset';
import { fmt, markdownTable, type Row } from './table';

export interface SemanticBenchOptions {
  /** Administrator URL of the server; a throwaway database llmgov_bench_semantic_<pid> is created and dropped. */
  serverUrl: string;
  sizes?: number[];
  lookups?: number;
  warmup?: number;
  maxCandidates?: number;
  pglite?: boolean;
  log?: (msg: string) => void;
}

interface Sample {
  exactMs: number[];
  semanticMs: number[];
  recentHits: number;
  recentTotal: number;
  anywhereHits: number;
  anywhereTotal: number;
  scanned: number[];
  boundHits: number;
}

const SCOPE = scope();
const SYSTEM = JSON.stringify([{ role: 'system', content: SCOPE.systemPrompt }]);

function pct(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1]!;
}

/** A deterministic PRNG (mulberry32), so every run asks the same questions. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = process.hrtime.bigint();
  const v = await fn();
  return [v, Number(process.hrtime.bigint() - t0) / 1e6];
}

/** One exact lookup and one semantic lookup, each in its own llm_money transaction. */
async function probe(db: Queryable, target: Entry, embedding: string, bound: number) {
  const inTx = async <T>(fn: () => Promise<T>): Promise<T> => {
    await db.query('begin');
    try {
      await actAsMoney(db, TENANT_A, SCOPE.ownerUserId);
      return await fn();
    } finally {
      await db.query('rollback');
    }
  };
  const [, exactMs] = await inTx(() => timed(() => db.query(
    `select output from llm_private.cache_entries
      where tenant_id = $1 and owner_user_id = $2 and cache_key = $3 and expires_at > now()`,
    [TENANT_A, SCOPE.ownerUserId, target.cacheKey])));
  const [res, semanticMs] = await inTx(() => timed(() => db.query(
    `select cache_key, candidates_scanned, bound_hit
       from llm_private.semantic_lookup($1, $2, $3, $4, $5, $6, llm_private.system_hash($7::jsonb), $8, $9::real[], 0.9, $10, $11)`,
    [TENANT_A, SCOPE.ownerUserId, SCOPE.endpoint, SCOPE.provider, SCOPE.model, SCOPE.sourceWatermark, SYSTEM, SCOPE.responseFormat,
      embedding, bound, SCOPE.embeddingModel])));
  const row = res.rows[0] as { cache_key: string | null; candidates_scanned: number; bound_hit: boolean };
  return { exactMs, semanticMs, hit: row.cache_key === target.cacheKey, scanned: row.candidates_scanned, boundHit: row.bound_hit };
}

async function measure(db: Queryable, all: Entry[], n: number, lookups: number, warmup: number, bound: number): Promise<Sample> {
  const rnd = prng(n);
  const recent = Math.min(n, Math.max(1, Math.floor(bound / 2)));
  const s: Sample = { exactMs: [], semanticMs: [], recentHits: 0, recentTotal: 0, anywhereHits: 0, anywhereTotal: 0, scanned: [], boundHits: 0 };
  for (let i = 0; i < warmup + lookups; i++) {
    const anywhere = i % 2 === 1;
    const k = anywhere ? Math.floor(rnd() * n) : n - 1 - Math.floor(rnd() * recent);
    const target = all[k]!;
    const r = await probe(db, target, embeddingLiteral(reword(target.text)), bound);
    if (i < warmup) continue;
    s.exactMs.push(r.exactMs);
    s.semanticMs.push(r.semanticMs);
    s.scanned.push(r.scanned);
    if (r.boundHit) s.boundHits++;
    if (anywhere) { s.anywhereTotal++; if (r.hit) s.anywhereHits++; } else { s.recentTotal++; if (r.hit) s.recentHits++; }
  }
  return s;
}

function row(path: string, n: number, s: Sample, extra: string): Row {
  const sem = [...s.semanticMs].sort((a, b) => a - b);
  const ex = [...s.exactMs].sort((a, b) => a - b);
  const p50 = pct(sem, 50);
  const ep50 = pct(ex, 50);
  const scanned = [...s.scanned].sort((a, b) => a - b);
  return {
    measurement: `Semantic lookup p50 / p99, ${path}, ${fmt(n)} entries in one scope`,
    clients: '1',
    ours: `${fmt(p50, 2)} / ${fmt(pct(sem, 99), 2)} ms`,
    baseline: `exact lookup ${fmt(ep50, 3)} / ${fmt(pct(ex, 99), 3)} ms`,
    ratio: ep50 > 0 ? `${fmt(p50 / ep50, 0)}x` : 'n/a',
    notes: `${s.semanticMs.length} lookups; hits: ${s.recentHits}/${s.recentTotal} rewordings of recent entries, ` +
      `${s.anywhereHits}/${s.anywhereTotal} of entries anywhere; compared per lookup p50 ${pct(scanned, 50)}; ` +
      `bound hit ${s.boundHits}/${s.semanticMs.length}${extra ? `; ${extra}` : ''}`,
  };
}

async function rebuildHnsw(lite: PGlite): Promise<number> {
  const [, ms] = await timed(async () => {
    await lite.exec(`set llm.pgvector_dims = '256'`);
    await lite.exec(readFileSync(join(__dirname, '..', 'sql', 'optional', 'pgvector.sql'), 'utf8'));
  });
  return ms;
}

export async function runSemanticBench(opts: SemanticBenchOptions): Promise<Row[]> {
  const sizes = [...(opts.sizes ?? [1000, 10000, 100000])].sort((a, b) => a - b);
  const lookups = opts.lookups ?? 200;
  const warmup = opts.warmup ?? 20;
  const bound = opts.maxCandidates ?? 1000;
  const log = opts.log ?? ((m: string) => process.stderr.write(`[semantic] ${m}\n`));
  const dbName = `llmgov_bench_semantic_${process.pid}`;
  const adminUrl = urlForDatabase(opts.serverUrl, dbName);
  const rows: Row[] = [];
  let pg: Client | null = null;
  let lite: PGlite | null = null;
  try {
    log(`migrating ${dbName}`);
    await migrateAll(adminUrl, { includeCurrent: true });
    pg = new Client({ connectionString: adminUrl });
    await pg.connect();
    const version = ((await pg.query(`select current_setting('server_version') as v`)).rows[0].v as string).split(' ')[0]!;
    const pgPath = (await pg.query(`select llm.semantic_cache_path(256) as p`)).rows[0].p as string;
    await pg.query(`insert into llm_private.tenants (id, name) values ($1, 'bench tenant') on conflict do nothing`, [TENANT_A]);
    if (opts.pglite !== false) {
      log('starting PGlite with pgvector');
      lite = await startPgliteSemantic();
    }
    log(`generating ${fmt(sizes[sizes.length - 1]!)} entries (local embeddings, 256 dims)`);
    const all = entries(sizes[sizes.length - 1]!, () => SCOPE);
    let loaded = 0;
    for (const n of sizes) {
      const part = all.slice(loaded, n);
      log(`loading ${fmt(part.length)} entries (scope now ${fmt(n)})`);
      await loadEntries(pg, part);
      await pg.query('analyze llm_private.cache_entries');
      let buildMs = NaN;
      if (lite) {
        // Bulk load without the HNSW index, then build it (much faster than row-by-row inserts).
        await lite.exec('drop index if exists llm_private.cache_entries_embedding_hnsw_256_idx');
        await loadEntries(lite, part);
        buildMs = await rebuildHnsw(lite);
        await lite.exec('analyze llm_private.cache_entries');
      }
      loaded = n;
      log(`measuring ${lookups} lookups at ${fmt(n)}: ${pgPath} path (PostgreSQL ${version})`);
      rows.push(row(`${pgPath} (PostgreSQL ${version}, bound ${fmt(bound)})`, n, await measure(pg, all, n, lookups, warmup, bound), ''));
      if (lite) {
        log(`measuring ${lookups} lookups at ${fmt(n)}: pgvector path (PGlite)`);
        rows.push(row('pgvector HNSW (PGlite, WASM PostgreSQL 17, in process)', n, await measure(lite, all, n, lookups, warmup, bound),
          `HNSW build ${fmt(buildMs / 1000, 1)} s`));
      }
    }
    return rows;
  } finally {
    await pg?.end().catch(() => {});
    await lite?.close().catch(() => {});
    const admin = new Client({ connectionString: opts.serverUrl });
    await admin.connect();
    try {
      await admin.query(`drop database if exists ${admin.escapeIdentifier(dbName)} with (force)`);
    } finally {
      await admin.end();
    }
  }
}

if (require.main === module) {
  const env = process.env;
  const list = (s: string | undefined, d: number[]) => (s ? s.split(',').map((x) => Number(x.trim())) : d);
  runSemanticBench({
    serverUrl: env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    sizes: list(env.BENCH_SEMANTIC_SIZES, [1000, 10000, 100000]),
    lookups: Number(env.BENCH_SEMANTIC_LOOKUPS ?? 200),
    maxCandidates: Number(env.BENCH_SEMANTIC_BOUND ?? 1000),
    pglite: env.BENCH_SEMANTIC_PGLITE !== '0',
  }).then(
    (rows) => {
      process.stdout.write(`${markdownTable(rows)}\n`);
      process.exit(0);
    },
    (e) => {
      process.stderr.write(`bench/semantic: ${(e as Error).stack ?? e}\n`);
      process.exit(1);
    },
  );
}
