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

test('000036: a breaker opened under 000033 reopens when its probe fails after the upgrade', async () => {
  // (review of the upgrade path) 000033 left the streak's first tenant in streak_tenant_id of an open breaker; read by
  // 000034's code as the tenant whose probe failed last, that tenant's failed probe closed the breaker of a provider
  // still down (state closed, 1 failure, where a database built at head reopened it).
  const admin = db.pool('admin', 1);
  const fail = (id: string, tenant: string, user: string) => admin.query(
    `select s.state from tests.reserve(tests.enqueue(${tenant}, ${user}, $1::text, 'investigation', 'mock:tiny', 100)) r
      cross join lateral tests.settle(tests.request_pk($1::text), 1, 'error', 0, 0, 0) s`, [id]);
  await admin.query(`select tests.freeze_clock('2026-03-15 10:30:00+00')`);
  await fail('m36-1', 'tests.tenant_a()', 'tests.user_a1()');
  await fail('m36-2', 'tests.tenant_a()', 'tests.user_a1()');
  await fail('m36-3', 'tests.tenant_b()', 'tests.user_b1()');
  const breaker = async () => (await admin.query(
    `select state, consecutive_failures from llm_private.provider_breakers where provider = 'mock' and model = 'tiny'`)).rows[0];
  expect(await breaker()).toEqual({ state: 'open', consecutive_failures: 3 });
  // What 000033 left: the streak's first tenant (the guards, which refuse this change, are off for it).
  const c = new Client({ connectionString: db.adminUrl });
  await c.connect();
  try {
    await c.query(`set session_replication_role = replica`);
    await c.query(`update llm_private.provider_breakers set streak_tenant_id = tests.tenant_a(), streak_tenants_many = true
                    where provider = 'mock' and model = 'tiny'`);
    await c.query('begin');
    await c.query('set local session_replication_role = origin');
    await c.query('set local role llm_owner');
    await c.query(migration('000036'));
    await c.query('commit');
  } finally {
    await c.end();
  }
  await admin.query(`select tests.freeze_clock('2026-03-15 10:31:00+00')`); // past the cooldown: the next call probes
  await fail('m36-probe', 'tests.tenant_a()', 'tests.user_a1()');
  expect(await breaker()).toEqual({ state: 'open', consecutive_failures: 4 });
  // The owner's FORCE came back with the transaction.
  expect((await admin.query(`select relforcerowsecurity as f from pg_class where oid = 'llm_private.provider_breakers'::regclass`)).rows)
    .toEqual([{ f: true }]);
});

test('000055: a limit with an end is permanent when set_limit gave it that end (with the limit replacing it), temporary otherwise', async () => {
  // (reviews 91, 92) Rows from before the column, as the old set_limit left them: the permanent limit's end written in the
  // transaction that inserted its replacement (one xmin), a temporary raise ending at the same instant, one ending alone.
  const admin = db.pool('admin', 1);
  const c = new Client({ connectionString: db.adminUrl });
  await c.connect();
  const row = (note: string, cap: number, from: string, until: string) =>
    c.query(`insert into llm_private.limits (meter_id, tenant_id, cap, valid_from, valid_until, temporary, note)
             select m.id, tests.tenant_b(), $2, $3::timestamptz, $4::timestamptz, null, $1 from llm_private.meters m where m.name = 'tenant_hourly'`,
      [note, cap, from, until]);
  try {
    await c.query(`alter table llm_private.limits alter column temporary drop not null`);
    await c.query(`set session_replication_role = replica`);
    await row('m55-replaced', 1000, '-infinity', 'infinity');
    await c.query('begin');
    await c.query(`update llm_private.limits set valid_until = '2026-03-15 18:00+00' where note = 'm55-replaced'`);
    await row('m55-replacing', 2000, '2026-03-15 18:00+00', 'infinity');
    await c.query('commit');
    await row('m55-raise', 3000, '2026-03-15 10:00+00', '2026-03-15 18:00+00');
    await row('m55-alone', 4000, '2026-03-15 10:00+00', '2026-03-16 00:00+00');
  } finally {
    await c.end();
  }
  const owner = new Client({ connectionString: db.adminUrl });
  await owner.connect();
  try {
    await owner.query('begin');
    await owner.query('set local role llm_owner');
    await owner.query(migration('000055'));
    await owner.query('commit');
  } finally {
    await owner.end();
  }
  const { rows } = await admin.query(`select note, temporary from llm_private.limits where note like 'm55-%' order by note`);
  expect(rows).toEqual([{ note: 'm55-alone', temporary: true }, { note: 'm55-raise', temporary: true },
    { note: 'm55-replaced', temporary: false }, { note: 'm55-replacing', temporary: false }]);
  expect((await admin.query(`select count(*)::int as n from llm_private.limits where temporary is null`)).rows[0].n).toBe(0);
  expect((await admin.query(`select attnotnull from pg_attribute where attrelid = 'llm_private.limits'::regclass and attname = 'temporary'`)).rows[0].attnotnull)
    .toBe(true);
});
