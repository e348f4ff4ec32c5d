/**
 * Once per jest run: migrate a template database to head (plus pgTAP), so that each test file can
 * clone its own database in ~0.1 s. The template is dropped by global-teardown.ts.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { migrateAll } from '../../src/db/migrate';
import { urlForDatabase } from '../../src/db/urls';
import { PREFIX, TEMPLATE_ENV, TEST_ADMIN_URL, TEST_CONTEXT_SECRET } from './admin';

export default async function globalSetup(): Promise<void> {
  const name = `${PREFIX}${process.pid}_${randomBytes(3).toString('hex')}_tpl`;
  const url = urlForDatabase(TEST_ADMIN_URL, name);
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
  process.env[TEMPLATE_ENV] = name;
}
