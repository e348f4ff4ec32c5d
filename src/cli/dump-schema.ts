/** `npm run dump-schema`: migrates a scratch database and rewrites sql/schema.sql from it (review the diff). */
import { writeFileSync } from 'node:fs';
import { Client } from 'pg';
import { migrateAll } from '../db/migrate';
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
  } finally {
    await c.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1', [name]);
    await c.query(`drop database if exists ${c.escapeIdentifier(name)}`);
    await c.end();
  }
}

main().catch((e) => {
  process.stderr.write(`dump-schema: ${(e as Error).message}\n`);
  process.exit(1);
});
