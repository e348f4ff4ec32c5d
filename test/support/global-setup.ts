/**
 * Once per jest run: migrate a template database to head (plus pgTAP), so that each test file can
 * clone its own database in ~0.1 s. The template is dropped by global-teardown.ts.
 *
 * Whatever fails, nothing is left behind: jest does not run the global teardown when the global
 * setup throws, so a setup that fails half-way drops what it created itself; and databases of
 * earlier runs whose jest process is gone (killed, interrupted) are dropped at the next start.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { migrateAll } from '../../src/db/migrate';
import { urlForDatabase } from '../../src/db/urls';
import { TEMPLATE_ENV, TEST_ADMIN_URL, TEST_CONTEXT_SECRET, runStem } from './admin';
import { dropDatabases, dropOrphanedTestDatabases } from './cleanup';

export default async function globalSetup(): Promise<void> {
  // The secret the application signs its context with; `npm run migrate` installs it (SPEC.md
  // "Request context"). Test files read the same variable.
  process.env.LLM_CONTEXT_SECRET = TEST_CONTEXT_SECRET;
  await dropOrphanedTestDatabases(TEST_ADMIN_URL);
  const name = `${runStem(process.pid, randomBytes(3).toString('hex'))}_tpl`;
  try {
    await buildTemplate(name);
  } catch (e) {
    await dropDatabases(TEST_ADMIN_URL, name.replace(/_tpl$/, '')).catch(() => {});
    const msg = (e as Error)?.message ?? String(e);
    const hint = /extension "pgtap"|pgtap\.control/.test(msg)
      ? ' (pgTAP is not installed on the test server: apt-get install postgresql-15-pgtap)'
      : '';
    throw new Error(`test setup failed, nothing left behind: ${msg}${hint}`);
  }
  process.env[TEMPLATE_ENV] = name;
}

async function buildTemplate(name: string): Promise<void> {
  const url = urlForDatabase(TEST_ADMIN_URL, name);
  if (process.env.LLMGOV_TEST_FAIL_SETUP === 'after-migrate') {
    await migrateAll(url, { includeCurrent: true, contextSecret: TEST_CONTEXT_SECRET });
    throw new Error('LLMGOV_TEST_FAIL_SETUP: failing on purpose after migrating');
  }
  await migrateAll(url, { includeCurrent: true, contextSecret: TEST_CONTEXT_SECRET });
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    await c.query('create extension if not exists pgtap');
    await c.query(readFileSync(join(__dirname, 'fixtures.sql'), 'utf8'));
  } finally {
    await c.end();
  }
  // Pools of the migration libraries may linger; a template must have no other connection.
  const admin = new Client({ connectionString: TEST_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1', [name]);
  } finally {
    await admin.end();
  }
}
