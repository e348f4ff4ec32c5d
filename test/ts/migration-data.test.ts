/**
 * Migrations that change data do so on the data an older version left: each is run here again, as the owner runs it, on a
 * database holding rows the current code would no longer write.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { createTestDb, type TestDb } from '../support/db';

const COMMITTED = join(__dirname, '..', '..', 'migrations', 'committed');
const migration = (n: string) => readFileSync(join(COMMITTED, readdirSync(COMMITTED).find((f) => f.startsWith(`${n}-`))!), 'utf8');

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
  await db.pool('admin', 1).query('select tests.seed()');
});
afterAll(async () => db.drop());

test('000030: answers flagged for personal data (or never scanned) leave the tenants\' shared caches; the rest stay', async () => {
  // (eleventh review) Before 000028/29 a flagged answer entered the shared cache; after the upgrade a colleague was still
  // served it until it expired. Three answers of tenant B's shared cache: one flagged, one never scanned (NULL), one clean.
  const admin = db.pool('admin', 1);
  await admin.query(`select tests.act_as_role('llm_operator'); select llm.set_endpoint_cache(tests.tenant_b(), 'explanation', true); select tests.as_admin()`);
  for (const id of ['m-flagged', 'm-unknown', 'm-clean']) {
    await admin.query(`select tests.settle(tests.request_pk($1::text), 1, 'ok', 10, 0, 20, 'Answer ' || $1::text)
                         from tests.call(tests.tenant_b(), tests.user_b1(), $1::text, 'explanation', 'mock:small', 100,
                                         jsonb_build_object('source_watermark', $1::text))`, [id]);
  }
  // What an older version left: the flag as it was then (the guards, which refuse this change, are off for it).
  const c = new Client({ connectionString: db.adminUrl });
  await c.connect();
  try {
    await c.query(`set session_replication_role = replica`);
    await c.query(`update llm_private.attempts set pii_flagged = case when request_pk = (select id from llm_private.requests where request_id = 'm-flagged')
                     then true else null end
                    where request_pk in (select id from llm_private.requests where request_id in ('m-flagged', 'm-unknown'))`);
  } finally {
    await c.end();
  }
  const entries = async () => (await admin.query<{ output: string }>(
    `select output from llm_private.cache_entries where owner_user_id = '00000000-0000-0000-0000-000000000000' order by output`)).rows.map((r) => r.output);
  expect(await entries()).toEqual(['Answer m-clean', 'Answer m-flagged', 'Answer m-unknown']);

  const owner = new Client({ connectionString: db.adminUrl });
  await owner.connect();
  try {
    await owner.query('begin');
    await owner.query('set local role llm_owner');
    await owner.query(migration('000030'));
    await owner.query('commit');
  } finally {
    await owner.end();
  }
  expect(await entries()).toEqual(['Answer m-clean']);
  // The owner's FORCE came back with the transaction.
  const { rows } = await admin.query(`select relname, relforcerowsecurity from pg_class
                                       where oid in ('llm_private.cache_entries'::regclass, 'llm_private.attempts'::regclass) order by 1`);
  expect(rows).toEqual([{ relname: 'attempts', relforcerowsecurity: true }, { relname: 'cache_entries', relforcerowsecurity: true }]);
});
