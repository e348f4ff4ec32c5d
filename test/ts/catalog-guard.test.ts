/**
 * Migrate and the worker refuse a database that lost, since its last migrate, a policy, a trigger (on a table or any of its
 * partitions), forced row security or an owner the money and access rules stand on (src/db/catalog-guard.ts); what a DBA
 * added, and the months the maintenance creates, change nothing.
 */
import type { Pool } from 'pg';
import { DamagedCatalogError, migrateAll } from '../../src/db/migrate';
import { checkSchemaVersion } from '../../src/worker/run';
import { TEST_CONTEXT_SECRET } from '../support/admin';
import { createTestDb, type TestDb } from '../support/db';

const dbs: TestDb[] = [];
afterAll(async () => {
  for (const d of dbs) await d.drop();
});

async function fresh(): Promise<{ db: TestDb; admin: Pool; worker: Pool }> {
  const db = await createTestDb();
  dbs.push(db);
  return { db, admin: db.pool('admin', 1), worker: db.pool('llm_worker', 1) };
}

const migrate = (db: TestDb) => migrateAll(db.adminUrl, { contextSecret: TEST_CONTEXT_SECRET });

test('a migrated database records what it stands on, and passes both checks', async () => {
  const { db, admin, worker } = await fresh();
  const facts = (await admin.query('select catalog from llm_private.schema_state')).rows[0].catalog as string[];
  expect(facts).toEqual(expect.arrayContaining([
    'policy llm_private.attempts money_own',
    'trigger llm_private.attempts _100_reserve on its partitions: all',
    'trigger llm_private.usage _100_no_truncate on its partitions: all',
    'row security llm_private.usage forced',
    'row security llm_private.requests on its partitions: all forced',
    'owner llm_private.attempts llm_owner',
    'owner schema graphile_worker llm_worker',
    'event trigger llm_refuse_runtime_ddl enabled=O',
  ]));
  await expect(checkSchemaVersion(worker)).resolves.toBeUndefined();
  await expect(migrate(db)).resolves.toMatchObject({ apiReplayed: false });
});

test.each<[string, string, string]>([
  ['a policy dropped', 'drop policy money_own on llm_private.attempts', 'policy llm_private.attempts money_own'],
  ['a trigger disabled on one partition', `do $$ begin execute format('alter table llm_private.attempts_m%s disable trigger _100_reserve',
     to_char(now() at time zone 'UTC', 'YYYYMM')); end $$`, 'trigger llm_private.attempts _100_reserve on its partitions: all'],
  ['a TRUNCATE guard dropped from the DEFAULT partition', 'drop trigger _100_no_truncate on llm_private.usage_default',
    'trigger llm_private.usage _100_no_truncate on its partitions: all'],
  ['row security no longer forced', 'alter table llm_private.usage no force row level security',
    'row security llm_private.usage forced'],
  ['a table given to the administrator (pg_restore --no-owner)', 'alter table llm_private.limits owner to postgres',
    'owner llm_private.limits llm_owner'],
  ['the event trigger disabled', 'alter event trigger llm_refuse_runtime_ddl disable', 'event trigger llm_refuse_runtime_ddl enabled=O'],
])('%s: migrate and the worker refuse the database, naming it, and migrate changes nothing', async (_what, damage, fact) => {
  const { db, admin, worker } = await fresh();
  await admin.query(damage);
  const before = (await admin.query('select api_hash, catalog from llm_private.schema_state')).rows[0];
  const err = await migrate(db).then(() => null, (e: Error) => e);
  expect(err).toBeInstanceOf(DamagedCatalogError);
  expect(err!.message).toContain(`the database lost 1 object(s) or setting(s)`);
  expect(err!.message).toContain(fact);
  expect((await admin.query('select api_hash, catalog from llm_private.schema_state')).rows[0]).toEqual(before);
  await expect(checkSchemaVersion(worker)).rejects.toThrow(fact);
});

test('what a DBA adds, and the months the maintenance creates, are not losses', async () => {
  const { db, admin, worker } = await fresh();
  await admin.query(`create index dba_attempts_state on llm_private.attempts (state)`);
  await admin.query(`create schema dba; create view dba.spend as select tenant_id, sum(charged_micros) from llm_private.attempts group by 1`);
  await admin.query(`update llm_private.settings set partitions_ahead_months = 8`);
  const owner = await admin.connect();
  let made: number;
  try {
    await owner.query('set role llm_owner');
    made = (await owner.query<{ n: number }>('select llm_maint.ensure_partitions() as n')).rows[0]!.n;
  } finally {
    await owner.query('reset role');
    owner.release();
  }
  expect(made).toBeGreaterThan(0);
  await expect(checkSchemaVersion(worker)).resolves.toBeUndefined();
  await expect(migrate(db)).resolves.toMatchObject({ apiReplayed: false });
});
