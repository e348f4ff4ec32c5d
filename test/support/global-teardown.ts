/** Drops the template database and every per-file database this run left behind. */
import { TEMPLATE_ENV, TEST_ADMIN_URL } from './admin';
import { dropDatabases } from './cleanup';

export default async function globalTeardown(): Promise<void> {
  const tpl = process.env[TEMPLATE_ENV];
  if (!tpl) return;
  await dropDatabases(TEST_ADMIN_URL, tpl.replace(/_tpl$/, ''));
}
