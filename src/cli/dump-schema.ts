/**
 * `npm run dump-schema`: migrates a scratch database and rewrites sql/schema.sql from it (review the diff), and bumps the
 * API's generation (sql/api-generation.json) when expectedApiHash() changed since it was pinned (sql/api, the committed
 * migrations, sql/bootstrap, sql/optional).
 */
import { existsSync, writeFileSync } from 'node:fs';
import { Client } from 'pg';
import { API_GENERATION_FILE, apiGeneration, expectedApiHash, migrateAll } from '../db/migrate';
import { dumpSchema, SCHEMA_DUMP_FILE } from '../db/schema-dump';
import { urlForDatabase } from '../db/urls';

async function main(): Promise<void> {
  const admin = process.env.TEST_DATABASE_URL ?? process.env.ROOT_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `llmgov_dump_${process.pid}`;
  const url = urlForDatabase(admin, name);
  const c = new Client({ connectionString: admin });
  await c.connect();
  try {
    await migrateAll(url, { includeCurrent: true });
    writeFileSync(SCHEMA_DUMP_FILE, dumpSchema(url));
    process.stdout.write(`wrote ${SCHEMA_DUMP_FILE}\n`);
    bumpApiGeneration();
  } finally {
    await c.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1', [name]);
    await c.query(`drop database if exists ${c.escapeIdentifier(name)}`);
    await c.end();
  }
}

/** A later generation for a changed API: releases are ordered by it (npm run migrate refuses a database of a later one). */
function bumpApiGeneration(): void {
  const hash = expectedApiHash();
  const pinned = existsSync(API_GENERATION_FILE) ? apiGeneration() : { generation: 0, api_hash: '' };
  if (pinned.api_hash === hash) return;
  const next = { generation: pinned.generation + 1, api_hash: hash };
  writeFileSync(API_GENERATION_FILE, `${JSON.stringify(next, null, 2)}\n`);
  process.stdout.write(`wrote ${API_GENERATION_FILE}: generation ${next.generation}\n`);
}

main().catch((e) => {
  process.stderr.write(`dump-schema: ${(e as Error).message}\n`);
  process.exit(1);
});
