/**
 * PGlite (PostgreSQL 17.5 in WebAssembly) with its real pgvector, prepared with the minimum schema
 * (test/support/pglite-semantic.sql) and then the SAME files the product runs:
 * sql/optional/pgvector.sql, llm_private.system_hash from sql/api/070-cache.sql (the rest of that
 * file needs the whole ledger), and sql/api/076-semantic-cache.sql. For the pgvector path's test and
 * benchmark on machines whose PostgreSQL has no pgvector package. Test and bench tool only.
 * PGlite is single-connection and in-process: fine for results, not for concurrency or absolute speed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite/vector';

const ROOT = join(__dirname, '..', '..');

export async function startPgliteSemantic(opts: { pgvector?: boolean } = {}): Promise<PGlite> {
  const db = await PGlite.create(opts.pgvector === false ? {} : { extensions: { vector } });
  await db.exec(readFileSync(join(__dirname, 'pglite-semantic.sql'), 'utf8'));
  await db.exec(`set llm.pgvector_dims = '256'`);
  await db.exec(readFileSync(join(ROOT, 'sql', 'optional', 'pgvector.sql'), 'utf8'));
  await db.exec(systemHashFunction());
  await db.exec(readFileSync(join(ROOT, 'sql', 'api', '076-semantic-cache.sql'), 'utf8'));
  return db;
}

/** The CREATE FUNCTION llm_private.system_hash statement of sql/api/070-cache.sql, verbatim. */
export function systemHashFunction(): string {
  const sql = readFileSync(join(ROOT, 'sql', 'api', '070-cache.sql'), 'utf8');
  const m = /create or replace function llm_private\.system_hash\([\s\S]*?\n\$\$;/.exec(sql);
  if (!m) throw new Error('sql/api/070-cache.sql: llm_private.system_hash not found');
  return m[0];
}
