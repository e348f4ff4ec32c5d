/**
 * A throwaway database per test file, cloned from the run's migrated template, with a pool per role.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Pool } from 'pg';
import { Role, urlForDatabase, urlForRole } from '../../src/db/urls';
import { TEMPLATE_ENV, TEST_ADMIN_URL } from './admin';

export interface TestDb {
  name: string;
  /** Administrator (superuser) URL of this database. */
  adminUrl: string;
  url(role: Role): string;
  pool(role: Role | 'admin', max?: number): Pool;
  drop(): Promise<void>;
}

export async function createTestDb(): Promise<TestDb> {
  const tpl = process.env[TEMPLATE_ENV];
  if (!tpl) throw new Error(`${TEMPLATE_ENV} is not set: run the tests through jest (global-setup.ts)`);
  const name = `${tpl.replace(/_tpl$/, '')}_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: TEST_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`create database ${admin.escapeIdentifier(name)} template ${admin.escapeIdentifier(tpl)} owner llm_owner`);
  } finally {
    await admin.end();
  }
  const adminUrl = urlForDatabase(TEST_ADMIN_URL, name);
  // Database-level grants are not copied from a template: apply them as a real database gets them.
  const grants = new Client({ connectionString: adminUrl });
  await grants.connect();
  try {
    await grants.query(readFileSync(join(__dirname, '..', '..', 'sql', 'bootstrap', 'database.sql'), 'utf8')
      .replace(/__DATABASE__/g, grants.escapeIdentifier(name)));
  } finally {
    await grants.end();
  }
  const pools: Pool[] = [];
  return {
    name,
    adminUrl,
    url: (role) => urlForRole(adminUrl, role),
    pool(role, max = 10) {
      const p = new Pool({ connectionString: role === 'admin' ? adminUrl : urlForRole(adminUrl, role), max });
      p.on('error', () => {}); // backends terminated by fault tests
      pools.push(p);
      return p;
    },
    async drop() {
      await Promise.all(pools.map((p) => p.end().catch(() => {})));
      const c = new Client({ connectionString: TEST_ADMIN_URL });
      await c.connect();
      try {
        await c.query(`drop database if exists ${c.escapeIdentifier(name)} with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}
