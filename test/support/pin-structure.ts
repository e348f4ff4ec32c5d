/**
 * Regenerates the pinned catalog block of test/sql/structure.sql (between `-- pins:begin` and
 * `-- pins:end`) from a freshly migrated database. Run it after a deliberate change of the API
 * surface or of a grant, and review the diff: `npx tsx test/support/pin-structure.ts`.
 * Uses TEST_DATABASE_URL (an administrator connection) like the tests.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { migrateAll } from '../../src/db/migrate';
import { urlForDatabase } from '../../src/db/urls';
import { TEST_ADMIN_URL, TEST_CONTEXT_SECRET } from './admin';

async function main(): Promise<void> {
  const name = `llmgov_pins_${process.pid}`;
  const url = urlForDatabase(TEST_ADMIN_URL, name);
  const admin = new Client({ connectionString: TEST_ADMIN_URL });
  await admin.connect();
  try {
    await migrateAll(url, { includeCurrent: true, contextSecret: TEST_CONTEXT_SECRET });
    const c = new Client({ connectionString: url });
    await c.connect();
    let rows: string[];
    try {
      await c.query(readFileSync(join(__dirname, 'fixtures.sql'), 'utf8'));
      rows = (await c.query<{ pin: string }>('select p as pin from tests.catalog_pins() p')).rows.map((r) => r.pin);
    } finally {
      await c.end();
    }
    const file = join(__dirname, '..', 'sql', 'structure.sql');
    const sql = readFileSync(file, 'utf8');
    const block = `-- pins:begin\n$$values\n${rows.map((r) => `  (${quote(r)})`).join(',\n')}$$\n-- pins:end`;
    writeFileSync(file, sql.replace(/-- pins:begin[\s\S]*-- pins:end/, () => block));
    process.stdout.write(`pinned ${rows.length} catalog rows into test/sql/structure.sql\n`);
  } finally {
    await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = $1`, [name]);
    await admin.query(`drop database if exists ${admin.escapeIdentifier(name)}`);
    await admin.end();
  }
}

function quote(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

main().catch((e) => {
  process.stderr.write(`pin-structure: ${(e as Error).message}\n`);
  process.exit(1);
});
