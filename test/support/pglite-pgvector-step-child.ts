/**
 * The edges of sql/optional/pgvector.sql that PostgreSQL 15 here cannot reach (it has no pgvector
 * package), run in PGlite with its real pgvector: a role that may not create the extension, with
 * and without CREATE on the database; a pgvector older than 0.8 (the installed extension's
 * catalogued version set back, as the superuser: the step reads pg_extension.extversion); a width
 * above HNSW's 2000. Prints one JSON object (test/ts/pgvector-step.test.ts).
 * Run: node --import tsx <this file>
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite/vector';

const STEP = readFileSync(join(__dirname, '..', '..', 'sql', 'optional', 'pgvector.sql'), 'utf8');

export interface StepOutcome {
  /** SQLSTATE of the error the step raised, or null. */
  error: string | null;
  notices: string[];
  /** pgvector's version as catalogued after the step, or null when not installed. */
  ext: string | null;
  llmVectorSchema: boolean;
  hnswIndexes: string[];
}
export type StepResult = Record<'noCreateOnDatabase' | 'noPrivilege' | 'olderThan08' | 'tooWide', StepOutcome>;

async function step(db: PGlite, role: string | null, dims: string): Promise<StepOutcome> {
  const notices: string[] = [];
  let error: string | null = null;
  await db.exec(`set llm.pgvector_dims = '${dims}'`);
  if (role) await db.exec(`set role ${role}`);
  try {
    await db.exec(STEP, { onNotice: (n) => notices.push(n.message ?? String(n)) });
  } catch (e) {
    error = (e as { code?: string }).code ?? 'no code';
  } finally {
    await db.exec('reset role');
  }
  const { rows } = await db.query<Omit<StepOutcome, 'error' | 'notices'>>(
    `select (select extversion from pg_extension where extname = 'vector') as ext,
            exists (select 1 from pg_namespace where nspname = 'llm_vector') as "llmVectorSchema",
            coalesce((select array_agg(relname::text order by relname) from pg_class
                       where relname ~ '^cache_entries_embedding_hnsw_[0-9]+_idx$'), '{}') as "hnswIndexes"`);
  return { error, notices, ...rows[0]! };
}

async function main(): Promise<StepResult> {
  const db = await PGlite.create({ extensions: { vector } });
  try {
    await db.exec(readFileSync(join(__dirname, 'pglite-semantic.sql'), 'utf8'));
    await db.exec(`create role plain; create role migrator; grant create on database postgres to migrator`);
    const noCreateOnDatabase = await step(db, 'plain', '256');
    const noPrivilege = await step(db, 'migrator', '256');
    await db.exec(`drop schema if exists llm_vector; create schema llm_vector; create extension vector with schema llm_vector`);
    const real = (await db.query<{ v: string }>(`select extversion as v from pg_extension where extname = 'vector'`)).rows[0]!.v;
    await db.exec(`update pg_extension set extversion = '0.7.4' where extname = 'vector'`);
    const olderThan08 = await step(db, null, '256');
    await db.exec(`update pg_extension set extversion = '${real}' where extname = 'vector'`);
    const tooWide = await step(db, null, '256,3072');
    return { noCreateOnDatabase, noPrivilege, olderThan08, tooWide };
  } finally {
    await db.close();
  }
}

main().then(
  (r) => process.stdout.write(JSON.stringify(r)),
  (e) => {
    process.stderr.write(`pglite-pgvector-step-child: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  },
);
