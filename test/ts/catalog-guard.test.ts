/**
 * Migrate and the worker refuse a database that lost, since its last migrate, a policy, a trigger (on a table or any of its
 * partitions), forced row security, an owner or a grant the money and access rules stand on (src/db/catalog-guard.ts); what a DBA
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
  const has = (prefix: string) => facts.some((f) => f.startsWith(prefix));
  for (const prefix of ['policy llm_private.attempts money_own * to llm_money ', 'trigger llm_private.attempts _100_reserve enabled=O ',
    'constraint llm_private.model_prices model_prices_input_per_mtok_micros_check ', 'trigger llm_private.attempts _900_ranges enabled=O ',
  ]) expect(has(prefix)).toBe(true);
  expect(facts).toEqual(expect.arrayContaining([
    'trigger llm_private.attempts _100_reserve on its partitions: all',
    'trigger llm_private.usage _100_no_truncate on its partitions: all',
    'trigger llm_private.adjustments _100_no_truncate on its partitions: all',
    'row security llm_private.usage forced',
    'row security llm_private.requests on its partitions: all forced',
    'owner llm_private.attempts llm_owner',
    'owner schema graphile_worker llm_worker',
    'grant llm_private.usage SELECT to llm_viewer',
    'grant function llm.enqueue_call(p_payload jsonb) EXECUTE to llm_app',
    'grant schema llm_private USAGE to llm_money',
    'event trigger llm_refuse_runtime_ddl enabled=O',
  ]));
  await expect(checkSchemaVersion(worker)).resolves.toBeUndefined();
  await expect(migrate(db)).resolves.toMatchObject({ apiReplayed: false });
});

test.each<[string, string, string]>([
  ['a policy dropped', 'drop policy money_own on llm_private.attempts', 'policy llm_private.attempts money_own * to llm_money '],
  ['a policy opened to every row', 'alter policy money_own on llm_private.usage using (true) with check (true)',
    'policy llm_private.usage money_own * to llm_money '],
  ['a trigger disabled on one partition', `do $$ begin execute format('alter table llm_private.attempts_m%s disable trigger _100_reserve',
     to_char(now() at time zone 'UTC', 'YYYYMM')); end $$`, 'trigger llm_private.attempts _100_reserve on its partitions: all'],
  ['a partition\'s guard set to fire only under replication (review 82)', 'alter table llm_private.usage_default enable replica trigger _100_guard',
    'trigger llm_private.usage _100_guard on its partitions: all'],
  ['a TRUNCATE guard dropped from the DEFAULT partition', 'drop trigger _100_no_truncate on llm_private.usage_default',
    'trigger llm_private.usage _100_no_truncate on its partitions: all'],
  ['a check constraint dropped', 'alter table llm_private.model_prices drop constraint model_prices_input_per_mtok_micros_check',
    'constraint llm_private.model_prices model_prices_input_per_mtok_micros_check '],
  // The ledger's ranges are a trigger's, not CHECK constraints (bench/PROFILE.md §19): disabling it is damage as dropping them was.
  ['the ledger\'s range trigger disabled on one partition', `do $$ begin execute format('alter table llm_private.attempts_m%s disable trigger _900_ranges',
     to_char(now() at time zone 'UTC', 'YYYYMM')); end $$`, 'trigger llm_private.attempts _900_ranges on its partitions: all'],
  ['row security no longer forced', 'alter table llm_private.usage no force row level security',
    'row security llm_private.usage forced'],
  ['a table given to the administrator (pg_restore --no-owner)', 'alter table llm_private.limits owner to postgres',
    'owner llm_private.limits llm_owner'],
  ['the event trigger disabled', 'alter event trigger llm_refuse_runtime_ddl disable', 'event trigger llm_refuse_runtime_ddl enabled=O'],
  // Review 89: a restore with --no-acl left every runtime role without its grants, and migrate found the database at head.
  ['a table\'s grant revoked (pg_restore --no-acl)', 'revoke select on llm_private.attempts from llm_auditor',
    'grant llm_private.attempts SELECT to llm_auditor'],
  ['a column\'s grant revoked', 'revoke insert (request_id) on llm_private.requests from llm_app',
    'grant llm_private.requests.request_id INSERT to llm_app'],
  ['a function\'s grant revoked', 'revoke execute on function llm.enqueue_call(jsonb) from llm_app',
    'grant function llm.enqueue_call(p_payload jsonb) EXECUTE to llm_app'],
  ['a schema\'s grant revoked', 'revoke usage on schema llm from llm_viewer', 'grant schema llm USAGE to llm_viewer'],
])('%s: migrate and the worker refuse the database, naming it, and migrate changes nothing', async (_what, damage, fact) => {
  const { db, admin, worker } = await fresh();
  await admin.query(damage);
  const before = (await admin.query('select api_hash, catalog from llm_private.schema_state')).rows[0];
  const err = await migrate(db).then(() => null, (e: Error) => e);
  expect(err).toBeInstanceOf(DamagedCatalogError);
  expect(err!.message).toContain(`the database lost 1 object(s) or setting(s)`);
  expect(err!.message).toContain(fact);
  expect((await admin.query('select api_hash, catalog from llm_private.schema_state')).rows[0]).toEqual(before);
  await expect(checkSchemaVersion(worker)).rejects.toThrow(fact.trim());
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

test('a grant a DBA gave another role, recorded by a migrate, then revoked: not a loss (the rules stand on our roles\' grants)', async () => {
  const { db, admin, worker } = await fresh();
  await admin.query('grant select on llm.workers to pg_monitor');
  await expect(migrate(db)).resolves.toMatchObject({ apiReplayed: false });
  await admin.query('revoke select on llm.workers from pg_monitor');
  await expect(checkSchemaVersion(worker)).resolves.toBeUndefined();
  await expect(migrate(db)).resolves.toMatchObject({ apiReplayed: false });
  // One of our roles' grants revoked by hand is still refused.
  await admin.query('revoke select on llm.workers from llm_viewer');
  await expect(migrate(db)).rejects.toThrow(/grant llm\.workers SELECT to llm_viewer/);
});

test('an object of your own, recorded by a migrate and dropped on purpose: --accept-catalog records the catalog as it is', async () => {
  const { db, admin, worker } = await fresh();
  await admin.query('create policy dba_bi_select on llm_private.alerts for select to llm_auditor using (true)');
  await expect(migrate(db)).resolves.toMatchObject({ apiReplayed: false });
  await admin.query('drop policy dba_bi_select on llm_private.alerts');
  await expect(migrate(db)).rejects.toThrow(/policy llm_private\.alerts dba_bi_select .*--accept-catalog/);
  await expect(migrateAll(db.adminUrl, { contextSecret: TEST_CONTEXT_SECRET, acceptCatalog: true })).resolves.toMatchObject({ apiReplayed: false });
  await expect(checkSchemaVersion(worker)).resolves.toBeUndefined();
  await expect(migrate(db)).resolves.toMatchObject({ apiReplayed: false });
});

test('a migrate that stopped halfway (after a migration, before the catalog was recorded) is not a loss: the next one finishes', async () => {
  const { db, admin } = await fresh();
  // The catalog as an earlier migrate recorded it, at an earlier migration; then (as a later release's migration would) a
  // trigger renamed, and that migrate stopped before its last step.
  await admin.query(`update llm_private.schema_state set catalog_stamp = api_hash || ' 000001-foundation.sql'`);
  await admin.query('alter trigger _100_guard on llm_private.alerts rename to _100_guard_v2');
  await expect(migrate(db)).resolves.toMatchObject({ apiReplayed: false }); // not refused: the database is not where it was recorded
  const { rows: [r] } = await admin.query(`select catalog_stamp, 'trigger llm_private.alerts _100_guard_v2 on its partitions: all' = any (catalog) as renamed
                                             from llm_private.schema_state`);
  expect(r).toMatchObject({ renamed: true });
  expect(r.catalog_stamp).not.toMatch(/000001-foundation/); // recorded again, where the database is now
  // From there on, a loss is a loss again.
  await admin.query('alter trigger _100_guard_v2 on llm_private.alerts rename to _100_guard_v3');
  await expect(migrate(db)).rejects.toThrow(/_100_guard_v2/);
});

test('a catalog recorded in the format of the release before (without the grants) is compared for what it holds; the next migrate records the grants', async () => {
  const { db, admin, worker } = await fresh();
  // As a migrate of the release before review 89 left it: no grant among the facts, and its stamp without the format.
  await admin.query(`update llm_private.schema_state set catalog = array(select f from unnest(catalog) f where f not like 'grant %'),
                       catalog_stamp = split_part(catalog_stamp, '/', 1) || ' ' || split_part(catalog_stamp, ' ', 2)`);
  // What that release recorded is still a loss...
  await admin.query('alter table llm_private.usage no force row level security');
  await expect(checkSchemaVersion(worker)).rejects.toThrow('row security llm_private.usage forced');
  await admin.query('alter table llm_private.usage force row level security');
  await admin.query('revoke select on llm_private.attempts from llm_auditor'); // ...what it did not record is not
  await expect(checkSchemaVersion(worker)).resolves.toBeUndefined();
  await expect(migrate(db)).resolves.toMatchObject({ apiReplayed: false });
  const { rows: [r] } = await admin.query(`select catalog_stamp, 'grant llm_private.usage SELECT to llm_viewer' = any (catalog) as grants
                                             from llm_private.schema_state`);
  expect(r).toMatchObject({ grants: true });
  expect(r.catalog_stamp).toMatch(/^\S+\/f2 \S+$/);
  await admin.query('revoke select on llm_private.usage from llm_viewer');
  await expect(checkSchemaVersion(worker)).rejects.toThrow('grant llm_private.usage SELECT to llm_viewer');
});

test('a copy made from a template has PostgreSQL\'s default grants: the worker refuses it until a migrate, which sets them', async () => {
  const { db, admin, worker } = await fresh();
  // What CREATE DATABASE ... TEMPLATE gives: the database's grants back to the defaults (every login may create temporary tables).
  await admin.query(`do $$ begin execute format('revoke create, temporary on database %I from llm_owner, llm_worker; grant temporary on database %I to public',
    current_database(), current_database()); end $$`);
  await expect(checkSchemaVersion(worker)).rejects.toThrow(/database CREATE to llm_worker.*Run `npm run migrate` first/);
  await expect(migrate(db)).resolves.toMatchObject({ apiReplayed: false }); // the database step sets them
  await expect(checkSchemaVersion(worker)).resolves.toBeUndefined();
  expect((await admin.query(`select has_database_privilege('llm_app', current_database(), 'TEMPORARY') as t`)).rows[0].t).toBe(false);
});
