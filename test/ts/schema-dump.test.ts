/**
 * sql/schema.sql is the reviewable form of the whole schema (DDL, policies, comments, grants). It
 * must equal pg_dump of a database migrated from scratch: a change to a migration or to sql/api
 * without `npm run dump-schema` fails here.
 */
import { readFileSync } from 'node:fs';
import { dumpSchema, SCHEMA_DUMP_FILE } from '../../src/db/schema-dump';
import { createTestDb, TestDb } from '../support/db';

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(async () => db.drop());

test('the committed schema dump (sql/schema.sql) is current: run `npm run dump-schema` after a schema change', () => {
  const committed = readFileSync(SCHEMA_DUMP_FILE, 'utf8');
  const actual = dumpSchema(db.adminUrl);
  if (actual !== committed) {
    const a = actual.split('\n');
    const b = committed.split('\n');
    const i = a.findIndex((line, k) => line !== b[k]);
    throw new Error(`sql/schema.sql is stale from line ${i + 1}:\n  database: ${a[i]}\n  committed: ${b[i]}\nRun \`npm run dump-schema\` and review the diff.`);
  }
});
