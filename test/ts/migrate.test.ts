/** A clean database reaches head with one command, and migrating again is a no-op. */
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { migrateAll } from '../../src/db/migrate';
import { urlForDatabase } from '../../src/db/urls';
import { TEMPLATE_ENV, TEST_ADMIN_URL } from '../support/admin';

const name = `${process.env[TEMPLATE_ENV]!.replace(/_tpl$/, '')}_mig_${randomBytes(3).toString('hex')}`;
const url = urlForDatabase(TEST_ADMIN_URL, name);

async function catalogFingerprint(): Promise<unknown> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query(`
      select
        (select count(*) from graphile_migrate.migrations)::int as migrations,
        (select string_agg(p.oid::regprocedure::text || ':' || md5(p.prosrc), ',' order by 1)
           from pg_proc p join pg_namespace n on n.oid = p.pronamespace
          where n.nspname in ('llm', 'llm_private', 'llm_queue')) as functions,
        (select string_agg(c.oid::regclass::text, ',' order by 1)
           from pg_class c join pg_namespace n on n.oid = c.relnamespace
          where n.nspname in ('llm', 'llm_private')) as relations,
        (select api_hash from llm_private.schema_state) as api_hash,
        (select oid from pg_namespace where nspname = 'llm')::text as llm_schema_oid`);
    return rows[0];
  } finally {
    await c.end();
  }
}

afterAll(async () => {
  const c = new Client({ connectionString: TEST_ADMIN_URL });
  await c.connect();
  await c.query(`drop database if exists ${c.escapeIdentifier(name)} with (force)`);
  await c.end();
});

test('a database that does not exist yet is created and migrated to head', async () => {
  const first = await migrateAll(url);
  expect(first).toEqual({ database: name, apiReplayed: true });
  const fp = (await catalogFingerprint()) as { migrations: number; functions: string };
  expect(fp.migrations).toBeGreaterThan(0);
  expect(fp.functions).toContain('llm_private.current_tenant_id()');
});

test('migrating again changes nothing: same migrations, same objects, API not replayed', async () => {
  const before = await catalogFingerprint();
  const again = await migrateAll(url);
  expect(again.apiReplayed).toBe(false);
  expect(await catalogFingerprint()).toEqual(before);
});

test("an upgrade whose API changes a helper's return type replays cleanly", async () => {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    // Stand-in for an older version of a helper with another return type.
    await c.query(`set role llm_owner;
      drop function llm_private.lock_rollups(uuid, uuid, timestamptz, timestamptz, boolean) cascade;
      create function llm_private.lock_rollups(uuid, uuid, timestamptz, timestamptz, boolean) returns setof llm_private.spend_rollups
        language sql set search_path = pg_catalog as 'select * from llm_private.spend_rollups where false';
      update llm_private.schema_state set api_hash = 'older'; reset role`);
  } finally {
    await c.end();
  }
  const again = await migrateAll(url);
  expect(again.apiReplayed).toBe(true);
  const fp = (await catalogFingerprint()) as { functions: string };
  expect(fp.functions).toContain('llm_private.lock_rollups(uuid,uuid,timestamp with time zone,timestamp with time zone,boolean)');
});
