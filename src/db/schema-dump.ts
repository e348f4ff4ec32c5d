/**
 * The committed schema dump (sql/schema.sql): `pg_dump --schema-only` of our schemas in a migrated
 * database, normalised (no version banner, no dated monthly partitions, a policy's roles sorted), so that every change to
 * DDL, a policy, a comment or a grant is a reviewable diff. test/ts/schema-dump.test.ts fails when
 * it is stale; `npm run dump-schema` rewrites it.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT_DIR } from './migrate';

export const SCHEMA_DUMP_FILE = join(ROOT_DIR, 'sql', 'schema.sql');

export function dumpSchema(adminUrl: string): string {
  const raw = execFileSync('pg_dump', ['--schema-only', '-n', 'llm', '-n', 'llm_private', '-n', 'llm_queue', '-n', 'llm_maint',
    '-T', 'llm_private.*_m[0-9][0-9][0-9][0-9][0-9][0-9]', '--dbname', adminUrl], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return normalise(raw);
}

export function normalise(dump: string): string {
  return `-- The schema of pg-llm-governor: pg_dump --schema-only of a migrated database (npm run dump-schema).\n` +
    `-- Monthly partitions (llm_private.*_mYYYYMM) are left out: they are created by llm_maint.ensure_partitions().\n\n` +
    dump
      .split('\n')
      .filter((l) => !/^-- Dumped (from|by) /.test(l) && !/^\\(un)?restrict /.test(l) && !/^SELECT pg_catalog\.set_config\('search_path'/.test(l))
      .map(sortPolicyRoles)
      .join('\n')
      .replace(/\n{3,}/g, '\n\n')
      .trim() + '\n';
}

/**
 * pg_dump lists a policy's roles in pg_authid's physical order, which every ALTER ROLE (each migrate re-asserts the
 * roles' attributes) may change: sorted, the dump is the same on every machine.
 */
function sortPolicyRoles(line: string): string {
  return line.replace(/^(CREATE POLICY .*? TO )([a-z_]+(?:, [a-z_]+)+)( USING| WITH CHECK|;|$)/,
    (_m, head: string, roles: string, tail: string) => head + roles.split(', ').sort().join(', ') + tail);
}
