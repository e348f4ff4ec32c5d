/** Drops the template database and any per-file database this run left behind. */
import { Client } from 'pg';
import { TEMPLATE_ENV, TEST_ADMIN_URL } from './admin';

export default async function globalTeardown(): Promise<void> {
  const tpl = process.env[TEMPLATE_ENV];
  if (!tpl) return;
  const stem = tpl.replace(/_tpl$/, '');
  const c = new Client({ connectionString: TEST_ADMIN_URL });
  await c.connect();
  try {
    const { rows } = await c.query<{ datname: string }>(
      `select datname from pg_database where datname like $1 || '%'`,
      [stem],
    );
    for (const r of rows) await c.query(`drop database if exists ${c.escapeIdentifier(r.datname)} with (force)`);
  } finally {
    await c.end();
  }
}
