/**
 * The runtime logins run no DDL (sql/bootstrap/database.sql, event triggers). llm_worker needs CREATE
 * on the database (graphile-worker runs `create schema if not exists graphile_worker` at every start)
 * and owns graphile-worker's schema; without the event triggers its login could create a table with
 * a trigger of its own, and that trigger, fired as llm_operator, rewrote every tenant's usage rows
 * and opened the shared breaker (reproduced by a review: tg_usage__guard only sees trigger depth 2).
 */
import { Client } from 'pg';
import { applyApi, bootstrapRoles, ensureDatabase, maintainPartitions, migrateAll } from '../../src/db/migrate';
import { type Role, urlForDatabase } from '../../src/db/urls';
import { signContext } from '../../src/db/context';
import { TEST_ADMIN_URL, TEST_CONTEXT_SECRET } from '../support/admin';
import { createTestDb, type TestDb } from '../support/db';

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(async () => {
  await db.drop();
});

async function as<T>(role: Role, fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: db.url(role) });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** The fixtures' tenants and users, once for this file's database (a test may run alone). */
async function seedOnce(): Promise<void> {
  const admin = new Client({ connectionString: db.adminUrl });
  await admin.connect();
  try {
    await admin.query('select tests.seed() where not exists (select 1 from llm_private.tenants)');
  } finally {
    await admin.end();
  }
}

async function sqlstate(c: Client, sql: string): Promise<string> {
  try {
    await c.query(sql);
    return 'ok';
  } catch (e) {
    return `${(e as { code?: string }).code}: ${(e as Error).message}`;
  }
}

const ATTACK = [
  `create table graphile_worker.rt_evil (i int)`,
  `create schema rt_evil`,
  `create schema rt_evil2 create table t (i int)`,
  `create function graphile_worker.rt_f() returns trigger language plpgsql as $$ begin
     update llm_private.usage set spent = 0, held = 0; return new; end $$`,
  `create or replace function graphile_worker.rt_g() returns int language sql as $$ select 1 $$`,
  `alter table graphile_worker._private_jobs enable trigger all`,
  `grant usage on schema graphile_worker to llm_operator`,
  `create schema if not exists graphile_worker`,
];

test('llm_worker may run graphile-worker\'s `create schema if not exists` and nothing else', async () => {
  const got = await as('llm_worker', async (c) => {
    const out: Record<string, string> = {};
    for (const sql of ATTACK) out[sql.split('\n')[0]!] = (await sqlstate(c, sql)).replace(/^42501: .*/, '42501 refused');
    return out;
  });
  expect(got).toEqual({
    'create table graphile_worker.rt_evil (i int)': '42501 refused',
    'create schema rt_evil': 'ok', // empty, and nothing can be created in it:
    'create schema rt_evil2 create table t (i int)': '42501 refused',
    'create function graphile_worker.rt_f() returns trigger language plpgsql as $$ begin': '42501 refused',
    'create or replace function graphile_worker.rt_g() returns int language sql as $$ select 1 $$': '42501 refused',
    'alter table graphile_worker._private_jobs enable trigger all': '42501 refused',
    'grant usage on schema graphile_worker to llm_operator': '42501 refused',
    'create schema if not exists graphile_worker': 'ok',
  });
  expect(await as('llm_worker', (c) => sqlstate(c, 'create table rt_evil.t (i int)'))).toMatch(/^42501: CREATE TABLE is refused to runtime logins/);
});

test.each(['llm_app', 'llm_operator', 'llm_auditor', 'llm_exporter'] as Role[])('%s runs no DDL either (in a read-write transaction)', async (role) => {
  expect(await as(role, (c) => sqlstate(c, 'begin read write; create function public.rt_h() returns int language sql as $$ select 1 $$'))).toMatch(/^42501: /);
});

test('the administrator still migrates: graphile-worker\'s schema stays llm_worker\'s', async () => {
  const c = new Client({ connectionString: db.adminUrl });
  await c.connect();
  try {
    const { rows } = await c.query(`select count(*)::int as n, count(*) filter (where pg_get_userbyid(c.relowner) = 'llm_worker')::int as worker
                                      from pg_class c where c.relnamespace = 'graphile_worker'::regnamespace and c.relkind = 'r'`);
    expect(rows[0].n).toBeGreaterThan(0);
    expect(rows[0].worker).toBe(rows[0].n);
    const evt = await c.query(`select evtname, evtevent, evtenabled from pg_event_trigger where evtname like 'llm_refuse_runtime_ddl%' order by 1`);
    expect(evt.rows).toEqual([
      { evtname: 'llm_refuse_runtime_ddl', evtevent: 'ddl_command_start', evtenabled: 'O' },
      { evtname: 'llm_refuse_runtime_ddl_parts', evtevent: 'ddl_command_end', evtenabled: 'O' },
    ]);
  } finally {
    await c.end();
  }
});

test('the worker\'s login, a member of llm_operator for its sweeps, cannot record a tenant\'s consent; an operator can', async () => {
  await seedOnce();
  const tenantA = 'a0000000-0000-0000-0000-00000000000a';
  const consent = (c: Client) => sqlstate(c, `begin; set local role llm_operator; select llm.set_tenant_data_use('${tenantA}', true, true)`);
  const direct = (c: Client) => sqlstate(c, `begin; set local role llm_operator;
    update llm_private.tenants set distillation_opt_in = true where id = '${tenantA}'`);
  expect(await as('llm_worker', consent)).toMatch(/^42501: .*from the worker's login/);
  expect(await as('llm_worker', direct)).toMatch(/^42501: .*from the worker's login/);
  expect(await as('llm_operator', (c) => sqlstate(c, `select llm.set_tenant_data_use('${tenantA}', true, false)`))).toBe('ok');
});

test('the worker\'s login acts as llm_operator for the sweeps only: every other operator change is refused from it', async () => {
  const tenantA = 'a0000000-0000-0000-0000-00000000000a';
  const asOperator = (sql: string) => `begin; set local role llm_operator; ${sql}`;
  await seedOnce();
  const admin = new Client({ connectionString: db.adminUrl });
  await admin.connect();
  try { // an open breaker, for the two breaker changes below to have a row to change
    await admin.query(`insert into llm_private.provider_breakers (provider, model, state, consecutive_failures, open_until)
                       values ('mock', 'large', 'open', 3, 'infinity')`);
    // A scheduled window, for the two cancels below to have one to cancel.
    await admin.query(`insert into llm_private.shutoff_windows (scope, kind, starts_at, ends_at, reason)
                       values ('global', 'scheduled', now() + interval '1 day', now() + interval '1 day 1 hour', 'planned')`);
    // A settled call whose answer, trace and cache entry are still within their retention.
    await admin.query(`select tests.call(tests.tenant_a(), tests.user_a1(), 'keep-1', 'explanation', 'mock:small', 100, '{"source_watermark": "w1"}')`);
    await admin.query(`select tests.settle(tests.request_pk('keep-1'), 1, 'ok', 10, 0, 20, 'an answer', p_reasoning => 'a trace')`);
    // A queued request with its job (not lost), and one whose job is gone for two minutes (lost: the sweep fails it).
    await admin.query(`select tests.enqueue(tests.tenant_a(), tests.user_a1(), 'queued-1')`);
    await admin.query(`select tests.enqueue(tests.tenant_a(), tests.user_a1(), 'lost-1')`);
    await admin.query(`select graphile_worker.permanently_fail_jobs(array[(select job_id from llm_private.requests where request_id = 'lost-1')], 'gone')`);
    await admin.query(`delete from graphile_worker._private_jobs where id = (select job_id from llm_private.requests where request_id = 'lost-1')`);
    await admin.query(`alter table llm_private.requests disable trigger user`);
    await admin.query(`update llm_private.requests set created_at = created_at - interval '2 minutes' where request_id = 'lost-1'`);
    await admin.query(`alter table llm_private.requests enable trigger user`);
  } finally {
    await admin.end();
  }
  const refused = [
    `select llm.set_limit('user_monthly', 1, '${tenantA}')`,
    `select llm.adjust_usage('${tenantA}', null, -1000, 'credit from the worker')`,
    `select llm.set_model_price('mock', 'large', 1, 1, 1)`,
    `select llm.set_setting('hold_margin_ms', '1')`,
    `select llm.upsert_tenant('c0000000-0000-0000-0000-00000000000c', 'new tenant')`,
    `select llm.trip_shutoff('global', null, null, now() + interval '1 hour', 'stop everyone')`,
    `select llm.cancel_shutoff((select max(id) from llm_private.shutoff_windows), 'cancelled from the worker')`,
    `update llm_private.shutoff_windows set cancelled_at = now(), cancel_reason = 'cancelled from the worker'`,
    `select llm.reset_breaker('mock', 'large')`,
    `update llm_private.provider_breakers set state = 'closed'`,
    // (second review) the sweep's own writes, but not as the sweep makes them: swept_until moved to the end of time stopped
    // every later sweep; unexpired answers, traces and cache entries wiped.
    `update llm_private.settings set swept_until = 'infinity'`,
    `delete from llm_private.call_outputs`,
    `delete from llm_private.reasoning_traces`,
    `delete from llm_private.cache_entries`,
    `select llm.purge_cache('${tenantA}')`,
    // (ninth review) any tenant's queued request made final by hand, through the operator_fail policy
    `update llm_private.requests set state = 'done', reason = 'ok' where request_id = 'queued-1'`,
    `update llm_private.requests set state = 'refused', reason = 'limit' where request_id = 'queued-1'`,
    `update llm_private.requests set state = 'failed', reason = 'job_lost' where request_id = 'queued-1'`,
    // a tenant's stored content erased (llm.erase_content), or its prompts deleted by hand
    `select llm.erase_content('${tenantA}', null, 'erased from the worker')`,
    `delete from llm_private.request_inputs`,
  ];
  for (const sql of refused) {
    expect([sql, await as('llm_worker', (c) => sqlstate(c, asOperator(sql)))]).toEqual([sql, expect.stringMatching(/^42501: .*not made from the worker's login/)]);
  }
  // The sweeps still run from it (expire_holds writes settings.swept_until)...
  for (const sql of ['select llm.expire_holds(100)', 'select llm.evaluate_limits()', 'select llm.fail_lost_requests()', 'select llm.purge_expired(100)']) {
    expect([sql, await as('llm_worker', (c) => sqlstate(c, asOperator(sql)))]).toEqual([sql, 'ok']);
  }
  // (the loop above leaves each transaction open: nothing of it is committed) The lost request ends failed, the other stays.
  expect(await as('llm_worker', async (c) => {
    await c.query('begin; set local role llm_operator');
    const n = (await c.query('select llm.fail_lost_requests() as n')).rows[0].n as number;
    await c.query('commit');
    return n;
  })).toBe(1);
  const states = await as('llm_operator', async (c) => (await c.query(`select request_id, state, reason::text from llm_private.requests
    where request_id in ('queued-1', 'lost-1') order by 1`)).rows);
  expect(states).toEqual([{ request_id: 'lost-1', state: 'failed', reason: 'job_lost' }, { request_id: 'queued-1', state: 'queued', reason: null }]);
  // ... and the operator's own login makes the changes.
  expect(await as('llm_operator', (c) => sqlstate(c, `select llm.set_limit('user_monthly', 1000000, '${tenantA}')`))).toBe('ok');
});

test.each(['llm_app', 'llm_auditor', 'llm_exporter', 'llm_worker', 'llm_operator'] as Role[])(
  '%s cannot store large objects (outside every table, policy and read-only transaction)', async (role) => {
    // (review of 2026-11-26) The read-only auditor stored 10 MB with lo_from_bytea in 1.8 s; the application could too.
    expect(await as(role, (c) => sqlstate(c, `select lo_from_bytea(0, '\\x00'::bytea)`))).toMatch(/^42501: permission denied for function lo_from_bytea/);
    expect(await as(role, (c) => sqlstate(c, 'select lo_create(0)'))).toMatch(/^42501: /);
  });

test('a session default a runtime login set for itself (ALTER ROLE ... SET) does not survive a migrate', async () => {
  // (second review of 2026-11-26) Event triggers do not see roles: llm_app made every new application session read-only
  // with `alter role llm_app set default_transaction_read_only = on`. A harmless setting stands in for it here (the roles
  // are shared by every test running now). Held meanwhile: the roles step's advisory key (in the postgres database, where
  // bootstrapRoles takes it), so that no migrate of another test file resets llm_app's defaults between the change and the
  // checks (one did in a CI run: the role-wide row was gone before the drift view was read).
  const rolesStep = new Client({ connectionString: urlForDatabase(TEST_ADMIN_URL, 'postgres') });
  await rolesStep.connect();
  const settings = async () => {
    const c = new Client({ connectionString: db.adminUrl });
    await c.connect();
    try {
      return (await c.query(`select coalesce(string_agg(array_to_string(setconfig, ','), ';'), '') as s from pg_db_role_setting
                              where setrole = 'llm_app'::regrole`)).rows[0].s as string;
    } finally {
      await c.end();
    }
  };
  // llm.role_settings_drift (what the metrics export and Prometheus alerts on) shows both, until a migrate resets them.
  const drift = async () => (await as('llm_viewer', (c) => c.query(`select role_name, scope, parameter, declared, now
    from llm.role_settings_drift where parameter = 'extra_float_digits' order by scope`))).rows;
  try {
    await rolesStep.query('select pg_advisory_lock(7420001)');
    expect(await as('llm_app', (c) => sqlstate(c, 'alter role llm_app set extra_float_digits = 2'))).toBe('ok');
    expect(await as('llm_app', (c) => sqlstate(c, `alter role llm_app in database ${db.name} set extra_float_digits = 1`))).toBe('ok');
    expect(await settings()).toContain('extra_float_digits');
    expect(await drift()).toEqual([
      { role_name: 'llm_app', scope: 'database', parameter: 'extra_float_digits', declared: null, now: '1' },
      { role_name: 'llm_app', scope: 'role', parameter: 'extra_float_digits', declared: null, now: '2' },
    ]);
  } finally {
    await rolesStep.query('select pg_advisory_unlock_all()').catch(() => {});
    await rolesStep.end();
    await bootstrapRoles(urlForDatabase(TEST_ADMIN_URL, 'postgres'));
    await ensureDatabase(db.adminUrl, db.name);
  }
  expect(await settings()).not.toContain('extra_float_digits');
  expect(await settings()).toContain('statement_timeout=30s'); // ours are set again
  expect(await drift()).toEqual([]);
});

test('a read-only default the application set for itself stops its enqueues, shows as drift, and is beaten by startup options', async () => {
  // The attack the test above stands in for, in this test's database only (role-wide, it would stop every suite running now).
  await seedOnce();
  const enqueue = async (c: Client, id: string) => {
    await c.query('begin');
    await c.query('select llm.use_context($1)', [signContext(TEST_CONTEXT_SECRET, 'a0000000-0000-0000-0000-00000000000a',
      'a1000000-0000-0000-0000-000000000001')]);
    const out = await sqlstate(c, `select llm.enqueue_call('${JSON.stringify({ request_id: id, endpoint: 'route', model: 'mock:small',
      max_output_tokens: 10, messages: [{ role: 'user', content: 'hello' }] })}'::jsonb)`);
    await c.query('commit');
    return out;
  };
  expect(await as('llm_app', (c) => sqlstate(c, `alter role llm_app in database ${db.name} set default_transaction_read_only = on`))).toBe('ok');
  try {
    expect(await as('llm_app', (c) => enqueue(c, 'ro-1'))).toMatch(/^25006: cannot execute .* in a read-only transaction/);
    expect((await as('llm_viewer', (c) => c.query(`select scope, parameter, now from llm.role_settings_drift where role_name = 'llm_app'
      and scope = 'database'`))).rows).toEqual([{ scope: 'database', parameter: 'default_transaction_read_only', now: 'on' }]);
    // An application that pins what it depends on in its connection's startup options is not stopped: they outrank role defaults.
    const pinned = new URL(db.url('llm_app'));
    pinned.searchParams.set('options', '-c default_transaction_read_only=off');
    const c = new Client({ connectionString: pinned.toString() });
    await c.connect();
    try {
      expect(await enqueue(c, 'ro-2')).toBe('ok');
    } finally {
      await c.end();
    }
    // Set again while a migrate runs (after its reset), it is still seen: the view compares with the declared defaults,
    // not with a record that migrate would have taken after the attacker's second change (seventh review).
    await ensureDatabase(db.adminUrl, db.name); // a migrate's reset, then its later steps after the attacker's second change:
    expect(await as('llm_app', (c) => sqlstate(c, `alter role llm_app in database ${db.name} set default_transaction_read_only = on`))).toBe('ok');
    await applyApi(db.adminUrl, true);
    await maintainPartitions(db.adminUrl);
    expect((await as('llm_viewer', (c) => c.query(`select parameter, now from llm.role_settings_drift where scope = 'database'`))).rows)
      .toEqual([{ parameter: 'default_transaction_read_only', now: 'on' }]);
  } finally {
    await ensureDatabase(db.adminUrl, db.name); // what `npm run migrate` does first
  }
  expect(await as('llm_app', (c) => enqueue(c, 'ro-3'))).toBe('ok');
  expect((await as('llm_viewer', (c) => c.query(`select * from llm.role_settings_drift where scope = 'database'`))).rows).toEqual([]);
});

test('a migrate is not stopped by a read-only default on the database (it is that default\'s repair)', async () => {
  // (seventh review) The database's owner can ALTER DATABASE ... SET default_transaction_read_only = on; migrate's own
  // sessions inherited it and failed. They pin read-write in their startup options now.
  const admin = new Client({ connectionString: db.adminUrl });
  await admin.connect();
  try {
    await admin.query(`alter database ${db.name} set default_transaction_read_only = on`);
    try {
      await expect(migrateAll(db.adminUrl)).resolves.toMatchObject({ database: db.name });
    } finally {
      await admin.query(`alter database ${db.name} reset default_transaction_read_only`);
    }
  } finally {
    await admin.end();
  }
});

test('no runtime role writes arbitrary WAL records (pg_logical_emit_message)', async () => {
  expect(await as('llm_app', (c) => sqlstate(c, `select pg_logical_emit_message(false, 'x', 'y')`))).toMatch(/^42501: /);
});

test('an application session cannot end or cancel another application session (one role for every tenant)', async () => {
  // (review of 2026-11-26) PostgreSQL lets a role signal its own backends: every tenant's sessions are llm_app.
  const victim = new Client({ connectionString: db.url('llm_app') });
  victim.on('error', () => undefined); // the administrator ends it below
  await victim.connect();
  try {
    const pid = (await victim.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
    for (const fn of ['pg_terminate_backend', 'pg_cancel_backend']) {
      expect(await as('llm_app', (c) => sqlstate(c, `select ${fn}(${pid})`))).toMatch(new RegExp(`^42501: permission denied for function ${fn}`));
    }
    expect((await victim.query('select 1 as one')).rows[0].one).toBe(1); // still alive
    // The administrator still can (its superuser bypasses the revoke).
    const admin = new Client({ connectionString: db.adminUrl });
    await admin.connect();
    try {
      expect((await admin.query('select pg_terminate_backend($1) as ok', [pid])).rows[0].ok).toBe(true);
    } finally {
      await admin.end();
    }
  } finally {
    await victim.end().catch(() => undefined);
  }
});

test('no runtime role takes an advisory lock but the money role\'s transaction-level one, which ends with its transaction', async () => {
  // (review of 2026-11-26) pg_advisory_lock in a loop held 7,923 session locks after its statement ended, until the shared
  // lock table was full and new connections of every role were refused.
  for (const role of ['llm_app', 'llm_worker', 'llm_operator', 'llm_auditor', 'llm_exporter'] as const) {
    for (const sql of ['select pg_advisory_lock(1)', 'select pg_try_advisory_lock(1)', 'select pg_advisory_lock_shared(1, 2)',
      'select pg_try_advisory_lock_shared(1)', 'select pg_advisory_unlock_all()']) {
      expect(`${role}: ${await as(role, (c) => sqlstate(c, sql))}`).toMatch(new RegExp(`^${role}: 42501: permission denied for function pg_`));
    }
  }
  // (review of 2026-11-27) Transaction-level ones too: one transaction held ~12,700 of them (a loop of subtransactions), and
  // while it lasted every new connection failed. Claims are ordered by a row now (llm_private.claim_mutexes).
  for (const role of ['llm_app', 'llm_worker', 'llm_operator', 'llm_auditor', 'llm_exporter'] as const) {
    for (const sql of ['select pg_advisory_xact_lock(1)', 'select pg_advisory_xact_lock_shared(1, 2)', 'select pg_try_advisory_xact_lock(1)',
      'select pg_try_advisory_xact_lock_shared(1)']) {
      expect(`${role}: ${await as(role, (c) => sqlstate(c, sql))}`).toMatch(new RegExp(`^${role}: 42501: permission denied for function pg_`));
    }
  }
  // The money role keeps the one the reserve's single flight takes (the worker, after SET ROLE), and it ends with the transaction.
  const held = await as('llm_worker', async (c) => {
    await c.query('set role llm_money');
    const during = await c.query(`select pg_advisory_xact_lock(1), (select count(*)::int from pg_locks where locktype = 'advisory' and pid = pg_backend_pid()) as n`);
    const after = await c.query(`select count(*)::int as n from pg_locks where locktype = 'advisory' and pid = pg_backend_pid()`);
    return [during.rows[0].n, after.rows[0].n];
  });
  expect(held).toEqual([1, 0]);
});

test('the read-only logins end an idle transaction after a minute, as the application does (their role defaults)', async () => {
  // (sixth review of 2026-11-26) llm_viewer left `begin; lock table llm_private.attempts in access share mode` open, and
  // partition DDL and migrate waited behind it.
  for (const role of ['llm_viewer', 'llm_auditor', 'llm_exporter', 'llm_app'] as const) {
    const got = await as(role, async (c) => (await c.query(`select current_setting('idle_in_transaction_session_timeout') as v`)).rows[0].v);
    expect(`${role} ${got}`).toBe(`${role} 1min`);
  }
});

test('a runtime login\'s temporary files are bounded: a sort cannot fill the cluster\'s disk, and the bound is not the login\'s to lift', async () => {
  // (session of 2026-11-27) As llm_app: set work_mem = '64kB' and sort a large generate_series, and the temporary files grow
  // without limit until the disk is full (then WAL cannot be written and PostgreSQL stops for every tenant).
  const spill = `select count(*) from (select g from generate_series(1, 30000000) g order by g desc) s`; // ~1 GB of sort runs
  for (const role of ['llm_app'] as const) {
    const got = await as(role, async (c) => {
      await c.query(`set work_mem = '64kB'`);
      await c.query('set statement_timeout = 0');
      return [await sqlstate(c, 'set temp_file_limit = -1'), await sqlstate(c, spill)];
    });
    expect(`${role}: ${got[0]}`).toMatch(new RegExp(`^${role}: 42501: permission denied to set parameter "temp_file_limit"`));
    expect(`${role}: ${got[1]}`).toBe(`${role}: 53400: temporary file size exceeds temp_file_limit (262144kB)`);
  }
  // The other logins read the audit views (the worker's metrics too, through SET ROLE): the drift's sort wrote 233 MB at
  // 10^6 attempts (review of 2026-11-27).
  for (const role of ['llm_worker', 'llm_operator', 'llm_auditor', 'llm_viewer', 'llm_exporter'] as const) {
    const got = await as(role, async (c) => [await sqlstate(c, 'set temp_file_limit = -1'),
      (await c.query(`select current_setting('temp_file_limit') as v`)).rows[0].v]);
    expect(`${role} ${got[1]}`).toBe(`${role} 2GB`);
    expect(`${role} ${got[0]}`).toMatch(new RegExp(`^${role} (42501|25006)`));
  }
});
