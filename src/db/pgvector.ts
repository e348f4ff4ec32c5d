/**
 * The semantic cache's optional pgvector step (sql/optional/pgvector.sql), run by migrateAll as the
 * administrator after the migrations and before the API replay. Idempotent: without pgvector on the
 * server it only logs a notice and the portable path is used.
 *   LLM_PGVECTOR=off        skip the step (the portable path is used even where pgvector exists)
 *   LLM_PGVECTOR_DIMS=a,b   embedding widths to build HNSW indexes for (default 256,1536)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';

export const PGVECTOR_SQL = join(__dirname, '..', '..', 'sql', 'optional', 'pgvector.sql');

export interface PgvectorResult {
  /** false when LLM_PGVECTOR=off. */
  ran: boolean;
  /** Widths with an HNSW index after the step (empty: portable path for every width). */
  indexedDims: number[];
  notices: string[];
}

export async function enablePgvector(adminUrl: string, env: NodeJS.ProcessEnv = process.env): Promise<PgvectorResult> {
  if ((env.LLM_PGVECTOR ?? '').toLowerCase() === 'off') return { ran: false, indexedDims: [], notices: [] };
  const dims = env.LLM_PGVECTOR_DIMS ?? '256,1536';
  if (!/^\s*\d{1,4}(\s*,\s*\d{1,4})*\s*$/.test(dims)) throw new Error(`LLM_PGVECTOR_DIMS must be a comma-separated list of widths, got ${JSON.stringify(dims)}`);
  const c = new Client({ connectionString: adminUrl });
  const notices: string[] = [];
  c.on('notice', (n) => notices.push(n.message ?? String(n)));
  await c.connect();
  try {
    await c.query('begin');
    await c.query(`select set_config('llm.pgvector_dims', $1, true)`, [dims]);
    await c.query(readFileSync(PGVECTOR_SQL, 'utf8'));
    await c.query('commit');
    const { rows } = await c.query<{ dims: string }>(
      `select substring(c.relname from '^cache_entries_embedding_hnsw_([0-9]+)_idx$') as dims
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'llm_private' and c.relname ~ '^cache_entries_embedding_hnsw_[0-9]+_idx$'`);
    return { ran: true, indexedDims: rows.map((r) => Number(r.dims)).sort((a, b) => a - b), notices };
  } catch (e) {
    await c.query('rollback').catch(() => {});
    throw new Error(`sql/optional/pgvector.sql: ${(e as Error).message}`);
  } finally {
    await c.end();
  }
}

/**
 * One line for `npm run migrate`: which path the semantic cache takes after the step, and why, from
 * the step's result (the notices of sql/optional/pgvector.sql say why an index was not built).
 */
export function semanticPathLine(r: PgvectorResult): string {
  const why = r.notices.map((n) => n.replace(/; (the semantic cache|those embeddings) uses? the portable path$/, ''));
  if (!r.ran) return 'semantic cache: portable path (LLM_PGVECTOR=off: the pgvector step was skipped)';
  if (r.indexedDims.length) {
    return `semantic cache: pgvector path (HNSW) for embeddings of ${r.indexedDims.join(', ')} dimensions, portable path for other widths` +
      (why.length ? ` (${why.join('; ')})` : '');
  }
  return `semantic cache: portable path (${why.length ? why.join('; ') : 'no HNSW index was built'})`;
}
