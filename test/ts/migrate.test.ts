/**
 * A clean database reaches head with one command, migrating again is a no-op, and an upgrade that
 * changes sql/api's llm_private helpers (a return type, a trigger function) replays cleanly.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { afterApi, apiGeneration, applyApi, bootstrapRoles, declaredRoles, expectedApiHash, MIGRATIONS_DIR, migrateAll, migrateCommitted,
  requireRoles } from '../../src/db/migrate';
import { semanticPathLine } from '../../src/db/pgvector';
import { urlForDatabase, urlForRole } from '../../src/db/urls';
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
        (select string_agg(f, ',' order by f) from (
           select p.oid::regprocedure::text || ':' || pg_get_function_result(p.oid) || ':' || md5(p.prosrc) as f
             from pg_proc p join pg_namespace n on n.oid = p.pronamespace
            where n.nspname in ('llm', 'llm_private', 'llm_queue')) x) as functions,
        (select string_agg(r, ',' order by r) from (
           select c.oid::regclass::text as r
             from pg_class c join pg_namespace n on n.oid = c.relnamespace
            where n.nspname in ('llm', 'llm_private')) x) as relations,
        -- Every trigger of ours, partitions' clones included: table, name, when and what it runs.
        (select string_agg(t, ',' order by t) from (
           select t.tgrelid::regclass::text || '.' || t.tgname || ':' || t.tgtype || ':' || t.tgenabled::text || ':' || t.tgfoid::regprocedure::text as t
             from pg_trigger t join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace
            where n.nspname in ('llm', 'llm_private') and not t.tgisinternal) x) as triggers,
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
  // graphile-migrate records each committed migration by its number (000001.sql).
  const committed = readdirSync(join(MIGRATIONS_DIR, 'committed')).filter((f) => f.endsWith('.sql')).map((f) => `${f.slice(0, 6)}.sql`).sort();
  expect(first).toEqual({ database: name, apiReplayed: true, partitionsCreated: 0, pgvector: { ran: true, indexedDims: [],
    notices: ['pgvector: not available on this server; the semantic cache uses the portable path'] }, rolesManaged: true, roleSettingsDrift: [],
    migrationsApplied: committed, apiGeneration: { before: null, after: apiGeneration().generation }, workerSessions: 0 });
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

/** `npm run migrate` (src/cli/migrate.ts) on this database: exit code and stdout lines. */
function migrateCli(env: Record<string, string> = {}, args: string[] = []): Promise<{ code: number; lines: string[]; stderr: string }> {
  const cli = join(__dirname, '..', '..', 'src', 'cli', 'migrate.ts');
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', cli, ...args], { env: { ...process.env, ...env, DATABASE_URL: url }, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, lines: stdout.trim().split('\n'), stderr: stderr.trim() }));
  });
}

// That it creates the roles on a cluster without them: test/ts/backup-restore.test.ts (pg_restore fails before, passes after).
test('npm run migrate -- --roles-only touches no database; an unknown argument changes nothing', async () => {
  const before = await catalogFingerprint();
  expect(await migrateCli({}, ['--roles-only'])).toMatchObject({ code: 0,
    lines: ['migrate: --roles-only: the roles of sql/bootstrap/roles.sql are created or re-asserted; no database was touched'] });
  expect(await migrateCli({}, ['--role-only'])).toMatchObject({ code: 1, lines: [''],
    stderr: 'migrate: unknown argument --role-only (usage: npm run migrate [-- --roles-only | --accept-catalog])' });
  expect(await catalogFingerprint()).toEqual(before);
});

test('npm run migrate prints the pgvector step\'s notices and which semantic cache path is active, and why', async () => {
  // PostgreSQL 15 here has no pgvector package (test/ts/semantic-pgvector.test.ts runs that path in PGlite).
  const r = await migrateCli();
  expect(r).toMatchObject({ code: 0, lines: [
    'migrate: notice: pgvector: not available on this server; the semantic cache uses the portable path',
    'migrate: semantic cache: portable path (pgvector: not available on this server)',
    `migrate: ${name} is at head (nothing to do)`,
  ] });
  const off = await migrateCli({ LLM_PGVECTOR: 'off' });
  expect(off.lines[0]).toBe('migrate: semantic cache: portable path (LLM_PGVECTOR=off: the pgvector step was skipped)');
});

test('an upgrade says what it applied, the API generation before and after, and the workers still on the release before', async () => {
  // The database as the release before left it: without the newest migration, at the generation before.
  const c = new Client({ connectionString: url });
  await c.connect();
  const worker = new Client({ connectionString: urlForRole(url, 'llm_worker') }); // a worker started before the upgrade
  try {
    const newest = `${readdirSync(join(MIGRATIONS_DIR, 'committed')).filter((f) => f.endsWith('.sql')).sort().at(-1)!.slice(0, 6)}.sql`;
    await c.query(`delete from graphile_migrate.migrations where filename = $1`, [newest]);
    await c.query(`update llm_private.schema_state set api_hash = 'the release before', api_generation = api_generation - 1`);
    await worker.connect();
    const r = await migrateCli();
    expect(r.code).toBe(0);
    expect(r.lines.slice(-4)).toEqual([
      `migrate: applied 1 migration(s): ${newest.slice(0, 6)}`,
      `migrate: API generation ${apiGeneration().generation - 1} -> ${apiGeneration().generation}`,
      `migrate: ${name} is at head (API replayed)`,
      'migrate: 1 session(s) of llm_worker are connected: workers of the release before keep its code until they restart; ' +
        'restart them on this release (README: Upgrades and rolling back)',
    ]);
  } finally {
    await worker.end();
    await c.end();
  }
});

test.each<[string, Parameters<typeof semanticPathLine>[0], string]>([
  ['no privilege', { ran: true, indexedDims: [], notices: ['pgvector: available, but this role may not create it (a superuser must: create extension vector with schema llm_vector); the semantic cache uses the portable path'] },
    'semantic cache: portable path (pgvector: available, but this role may not create it (a superuser must: create extension vector with schema llm_vector))'],
  ['older than 0.8', { ran: true, indexedDims: [], notices: ['pgvector: version 0.7.4 is older than 0.8.0 (no iterative index scans); the semantic cache uses the portable path'] },
    'semantic cache: portable path (pgvector: version 0.7.4 is older than 0.8.0 (no iterative index scans))'],
  ['one width too wide', { ran: true, indexedDims: [256], notices: ['pgvector: no HNSW index for 3072 dimensions (vector indexes go up to 2000); those embeddings use the portable path'] },
    'semantic cache: pgvector path (HNSW) for embeddings of 256 dimensions, portable path for other widths (pgvector: no HNSW index for 3072 dimensions (vector indexes go up to 2000))'],
  ['indexed, no notice', { ran: true, indexedDims: [256, 1536], notices: [] },
    'semantic cache: pgvector path (HNSW) for embeddings of 256, 1536 dimensions, portable path for other widths'],
])('the migrate line for the pgvector step\'s outcome: %s', (_what, result, line) => {
  expect(semanticPathLine(result)).toBe(line);
});

/** Runs SQL as the owner (who owns sql/api's objects), as an older version of the API would have left them. */
async function asOwner(sql: string): Promise<void> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(`set role llm_owner; ${sql}; reset role`);
  } finally {
    await c.end();
  }
}

/**
 * A write to llm_private.usage that no ledger trigger made (as the superuser, replica mode off),
 * rolled back: the SQLSTATE it raised (tg_usage__guard raises LG005), or null when it went through.
 */
async function directUsageWrite(): Promise<string | null> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    await c.query('begin');
    await c.query(`insert into llm_private.usage (tenant_id, meter_id, user_id, budget_scope, period_start, shard, limit_id, cap, quota)
      values (gen_random_uuid(), (select min(id) from llm_private.meters), gen_random_uuid(), '', now(), 0, 1, 1000, 1000)`);
    return null;
  } catch (e) {
    return (e as { code?: string }).code ?? 'no code';
  } finally {
    await c.query('rollback').catch(() => {});
    await c.end();
  }
}

test("an upgrade whose API changes a helper's return type and a trigger function replays cleanly; the triggers come back", async () => {
  const head = (await catalogFingerprint()) as Record<string, unknown>;
  expect(head.triggers).toContain('llm_private.usage._100_guard:');
  expect(await directUsageWrite()).toBe('LG005');

  // Stand-ins for an older version: a helper with another return type (CREATE OR REPLACE cannot
  // change it back), and the usage guard as a trigger function that lets everything through.
  await asOwner(`
    drop function llm_private.system_hash(jsonb);
    create function llm_private.system_hash(jsonb) returns bytea language sql immutable set search_path = pg_catalog
      as 'select null::bytea';
    create or replace function llm_private.tg_usage__guard() returns trigger language plpgsql set search_path = pg_catalog
      as 'begin return new; end';
    update llm_private.schema_state set api_hash = 'older', api_generation = api_generation - 1`);
  expect(await directUsageWrite()).toBeNull(); // the check below is not vacuous

  const again = await migrateAll(url);
  expect(again.apiReplayed).toBe(true);
  const replayed = (await catalogFingerprint()) as Record<string, unknown>;
  // The same functions (signatures, return types, bodies), relations and triggers as a database
  // migrated straight to head: the replay dropped the helpers, the trigger functions with their
  // triggers (on every partition), and created them all again.
  for (const k of ['migrations', 'functions', 'relations', 'triggers', 'api_hash']) expect({ [k]: replayed[k] }).toEqual({ [k]: head[k] });
  expect(replayed.functions).toContain('llm_private.system_hash(jsonb):text:');
  expect(await directUsageWrite()).toBe('LG005');
});

test('a trigger sql/api no longer creates is dropped by the replay, as when trigger functions were dropped with their triggers', async () => {
  // (review of the fixes) Trigger functions are now replaced in place, so their triggers are not dropped with them: a trigger
  // renamed in sql/api would have fired twice (a settle counting its usage twice). Stand-in: a trigger no file creates,
  // running a function of sql/api.
  await asOwner(`create trigger _999_renamed_away before delete on llm_private.adjustments
                   for each row execute function llm_private.tg_ledger__no_delete();
                 update llm_private.schema_state set api_hash = 'older', api_generation = api_generation - 1`);
  const triggers = async () => {
    const c = new Client({ connectionString: url });
    await c.connect();
    try {
      return (await c.query(`select tgname from pg_trigger where tgrelid = 'llm_private.adjustments'::regclass and not tgisinternal
                              order by 1`)).rows.map((r) => r.tgname as string);
    } finally {
      await c.end();
    }
  };
  expect(await triggers()).toContain('_999_renamed_away');
  const before = (await catalogFingerprint()) as Record<string, unknown>;
  expect((await migrateAll(url)).apiReplayed).toBe(true);
  expect(await triggers()).not.toContain('_999_renamed_away');
  // Every trigger sql/api creates is still there.
  expect(((await catalogFingerprint()) as Record<string, unknown>).triggers)
    .toEqual((before.triggers as string).split(',').filter((t) => !t.includes('_999_renamed_away')).join(','));
});

test('a view or function a DBA built on schema llm stops the replay, named, instead of being dropped with the schema', async () => {
  // (adopter's review, 2026-11-27) `drop schema llm cascade` dropped a DBA's reports.spend without a word, at every replay.
  const admin = async (sql: string) => {
    const c = new Client({ connectionString: url });
    await c.connect();
    try {
      return await c.query(sql);
    } finally {
      await c.end();
    }
  };
  await admin(`create schema reports;
    create view reports.tenant_spend as select tenant_id, sum(spent_micros) as spent_micros from llm.monthly_spend group by 1;
    create function reports.calls_today() returns bigint language sql begin atomic select count(*) from llm.calls; end;
    update llm_private.schema_state set api_hash = 'older', api_generation = api_generation - 1`);
  const exists = async () => (await admin(`select to_regclass('reports.tenant_spend') is not null as v,
    to_regprocedure('reports.calls_today()') is not null as f, (select api_hash from llm_private.schema_state) as h`)).rows[0];
  try {
    const err = await migrateAll(url).then(() => null, (e: Error & { code?: string }) => e);
    expect(err?.code).toBe('2BP01');
    expect(err?.message).toContain('these depend on it: function reports.calls_today(), view reports.tenant_spend.');
    expect(err?.message).toContain('LLM_REPLAY_DROP_DEPENDENTS=1');
    expect(await exists()).toEqual({ v: true, f: true, h: 'older' }); // nothing changed
    process.env.LLM_REPLAY_DROP_DEPENDENTS = '1';
    expect((await migrateAll(url)).apiReplayed).toBe(true);
    expect((await exists()).v).toBe(false);
    expect((await exists()).f).toBe(false);
  } finally {
    delete process.env.LLM_REPLAY_DROP_DEPENDENTS;
    await admin('drop schema reports cascade');
  }
  // Without such objects the replay runs as before.
  await admin(`update llm_private.schema_state set api_hash = 'older', api_generation = api_generation - 1`);
  expect((await migrateAll(url)).apiReplayed).toBe(true);
});

test('a replay that needs several lock tries keeps every trigger', async () => {
  // (review of the last fixes) A failed try rolled back to its savepoint but left it open; the next try's nested in it, so
  // the rest of the replay ran in a subtransaction, and the stale-trigger check (a pg_trigger row older than the
  // transaction's xid) dropped every trigger of sql/api, then committed: settles charged nothing, reserves failed.
  const head = (await catalogFingerprint()) as Record<string, unknown>;
  const holder = new Client({ connectionString: url });
  await holder.connect();
  try {
    await holder.query('begin');
    await holder.query('lock table llm_private.adjustments in row exclusive mode'); // a writer, longer than one try
    const replay = applyApi(url, true);
    await new Promise((r) => setTimeout(r, 1500));
    await holder.query('commit');
    await expect(replay).resolves.toBe(true);
  } finally {
    await holder.end();
  }
  expect(((await catalogFingerprint()) as Record<string, unknown>).triggers).toEqual(head.triggers);
});

test('a replay kept out by a long read names the sessions holding locks on our views and tables', async () => {
  // (upgrade drill 84) A 25 s auditor transaction kept the replay out, and it said only that transactions kept them busy.
  const auditor = new Client({ connectionString: urlForRole(url, 'llm_auditor'), application_name: 'finance-report' });
  await auditor.connect();
  const saved = process.env.LLM_DDL_LOCK_TIMEOUT_MS;
  process.env.LLM_DDL_LOCK_TIMEOUT_MS = '300';
  try {
    await auditor.query('begin');
    await auditor.query('select count(*) from llm.monthly_spend');
    const pid = (await auditor.query('select pg_backend_pid() as pid')).rows[0].pid as number;
    // (the logins' track_activities is off: pg_stat_activity shows no transaction start for them, so no age is given)
    await expect(applyApi(url, true)).rejects.toMatchObject({ code: '55P03', message: expect.stringMatching(
      new RegExp(`could not take its locks .*; sessions holding locks there, those of unknown age first, then the oldest: pid ${pid} \\(llm_auditor, ` +
        'finance-report(, in a transaction for \\d+ s)?\\) \\(let them end, or pg_terminate_backend\\(pid\\)\\)$')) });
  } finally {
    if (saved === undefined) delete process.env.LLM_DDL_LOCK_TIMEOUT_MS;
    else process.env.LLM_DDL_LOCK_TIMEOUT_MS = saved;
    await auditor.end();
  }
  expect((await migrateAll(url)).apiReplayed).toBe(false); // it changed nothing: the API it left is this release's
});

test('an application session holding migrate\'s advisory keys makes it fail fast, naming the holder, instead of hanging', async () => {
  // (review of 2026-11-26) pg_advisory_lock is executable by PUBLIC: an SQL injection in the application held key 7420001 (in
  // the postgres database) or 7420002 (in the app's), and `npm run migrate` waited forever.
  const app = new Client({ connectionString: urlForRole(url, 'llm_app') });
  const appInPostgres = new Client({ connectionString: urlForRole(urlForDatabase(TEST_ADMIN_URL, 'postgres'), 'llm_app') });
  const worker = new Client({ connectionString: urlForRole(url, 'llm_worker') });
  await app.connect();
  await worker.connect();
  await appInPostgres.connect();
  const saved = process.env.LLM_DDL_LOCK_TIMEOUT_MS;
  process.env.LLM_DDL_LOCK_TIMEOUT_MS = '300';
  try {
    // Every advisory lock is revoked from the application now (sql/bootstrap/database.sql, review of 2026-11-27); the money
    // role keeps the transaction-level one (the reserve's single flight), so a worker's transaction left open can hold it.
    await expect(app.query('select pg_advisory_xact_lock(7420002)')).rejects.toMatchObject({ code: '42501' });
    await worker.query('begin');
    await worker.query('set local role llm_money');
    await worker.query('select pg_advisory_xact_lock(7420002)');
    await expect(applyApi(url, true)).rejects.toMatchObject({ code: '55P03' });
    await worker.query('rollback');
    await appInPostgres.query('select pg_advisory_lock(7420001)');
    await expect(bootstrapRoles(urlForDatabase(TEST_ADMIN_URL, 'postgres'))).rejects.toThrow(/advisory lock 7420001, held by pid \d+ \(llm_app\)/);
  } finally {
    if (saved === undefined) delete process.env.LLM_DDL_LOCK_TIMEOUT_MS;
    else process.env.LLM_DDL_LOCK_TIMEOUT_MS = saved;
    await app.end();
    await worker.end();
    await appInPostgres.end();
  }
  await expect(applyApi(url, true)).resolves.toBe(true); // once the session is gone, migrate runs
});

test('the advisory locks are revoked only once the replayed API orders claims without them (an upgrade kept every enqueue working)', async () => {
  // (review of 2026-11-27) database.sql revoked pg_advisory_xact_lock before the replay installed the new lock_claim: the
  // old one, still taking the lock as llm_app, failed every enqueue (447 in 414 ms of one upgrade), and for good when the
  // replay ran out of tries. after-api.sql runs after the replay, and leaves them open while lock_claim still takes one.
  const admin = new Client({ connectionString: url });
  await admin.connect();
  const appMay = async () => (await admin.query(
    `select has_function_privilege('llm_app', 'pg_advisory_xact_lock(bigint)', 'execute') as ok`)).rows[0].ok as boolean;
  try {
    expect(await appMay()).toBe(false);
    // The API of 6bdd247: lock_claim took the advisory lock (and PUBLIC could).
    await admin.query(`grant execute on function pg_advisory_xact_lock(bigint) to public`);
    await admin.query(`create or replace function llm_private.lock_claim(p_tenant_id uuid, p_endpoint text, p_request_id text) returns void
      language sql set search_path = pg_catalog as $f$ select pg_advisory_xact_lock(hashtextextended(p_tenant_id::text || p_endpoint || p_request_id, 0)) $f$`);
    await afterApi(url);
    expect(await appMay()).toBe(true);
    await applyApi(url, true);
    await afterApi(url);
    expect(await appMay()).toBe(false);
  } finally {
    await admin.end();
  }
});

// (adopter's review, 2026-11-27) Every migrate re-created and reset the cluster-wide roles: a cluster whose roles are the
// administrator's (infrastructure code, other databases) could not run it. LLM_MANAGE_ROLES=0 checks them instead.
test('LLM_MANAGE_ROLES=0: migrate checks the roles and leaves them alone (it never takes the roles step\'s lock)', async () => {
  const holder = new Client({ connectionString: urlForDatabase(TEST_ADMIN_URL, 'postgres') });
  await holder.connect();
  const saved = process.env.LLM_DDL_LOCK_TIMEOUT_MS;
  process.env.LLM_DDL_LOCK_TIMEOUT_MS = '300';
  try {
    // The roles step takes advisory lock 7420001 cluster-wide before it changes a role: held elsewhere, it stops.
    await holder.query('select pg_advisory_lock(7420001)');
    await expect(migrateAll(url)).rejects.toThrow(/advisory lock 7420001/);
    process.env.LLM_MANAGE_ROLES = '0';
    const r = await migrateAll(url);
    expect(r.rolesManaged).toBe(false);
    expect(r.roleSettingsDrift).toEqual([]); // the roles are as roles.sql declares them (another migrate made them)
  } finally {
    delete process.env.LLM_MANAGE_ROLES;
    if (saved === undefined) delete process.env.LLM_DDL_LOCK_TIMEOUT_MS;
    else process.env.LLM_DDL_LOCK_TIMEOUT_MS = saved;
    await holder.end();
  }
  const admin = urlForDatabase(TEST_ADMIN_URL, 'postgres');
  await expect(requireRoles(admin)).resolves.toBeUndefined();
  const nobody = `llm_nobody_${randomBytes(3).toString('hex')}`;
  await expect(requireRoles(admin, ['llm_owner', nobody])).rejects.toThrow(new RegExp(`missing: ${nobody}\\b.*nothing was changed`));
  await expect(requireRoles(admin, ['llm_viewer', 'postgres'])).rejects.toThrow(/superuser, BYPASSRLS, CREATEROLE, CREATEDB or REPLICATION: postgres\b/);
  await expect(requireRoles(admin, ['llm_viewer', 'postgres'])).rejects.toThrow(/INHERIT other than roles\.sql declares \(NOINHERIT\): postgres\b/);
  // The check reads what it checks from roles.sql itself; this pins that reading.
  const d = declaredRoles();
  expect(d.roles.map((r) => `${r.name}:${r.login ? 'login' : 'nologin'}:${r.inherit ? 'inherit' : 'noinherit'}`)).toEqual([
    'llm_owner:login:noinherit', 'llm_worker:login:noinherit', 'llm_app:login:noinherit', 'llm_money:nologin:noinherit',
    'llm_operator:login:noinherit', 'llm_auditor:login:noinherit', 'llm_exporter:login:noinherit', 'llm_viewer:login:noinherit']);
  expect(d.grants).toEqual([['llm_money', 'llm_worker'], ['llm_operator', 'llm_worker'], ['llm_worker', 'llm_owner'],
    ['llm_app', 'llm_owner'], ['llm_money', 'llm_owner']]);
  expect(d.revokes).toEqual([['llm_app', 'llm_worker']]);
});

test('a connection limit that is not -1 or 0..99999 stops the roles step before it changes anything', async () => {
  const limit = async () => {
    const c = new Client({ connectionString: TEST_ADMIN_URL });
    await c.connect();
    try {
      return (await c.query(`select rolconnlimit from pg_roles where rolname = 'llm_viewer'`)).rows[0].rolconnlimit as number;
    } finally {
      await c.end();
    }
  };
  const before = await limit();
  process.env.LLM_VIEWER_CONNECTION_LIMIT = '16; drop role llm_app';
  try {
    await expect(bootstrapRoles(urlForDatabase(TEST_ADMIN_URL, 'postgres'))).rejects.toThrow(/LLM_VIEWER_CONNECTION_LIMIT: -1 \(no limit\) or 0\.\.99999/);
  } finally {
    delete process.env.LLM_VIEWER_CONNECTION_LIMIT;
  }
  expect(await limit()).toBe(before);
});

test('the roles step sets connection limits on the read-only logins only: a limit set by hand on another role is kept', async () => {
  // (seventh review) A first version set `connection limit -1` on every role at every migrate. Run inside a transaction
  // that is rolled back: the roles are shared by every test running now.
  const c = new Client({ connectionString: TEST_ADMIN_URL });
  await c.connect();
  try {
    await c.query('begin');
    await c.query(`alter role llm_worker connection limit 50; alter role llm_app connection limit 40`);
    await c.query(`select set_config('llm_bootstrap.viewer_connection_limit', '12', true)`);
    await c.query(readFileSync(join(__dirname, '..', '..', 'sql', 'bootstrap', 'roles.sql'), 'utf8'));
    const { rows } = await c.query(`select rolname::text as r, rolconnlimit as n from pg_roles
      where rolname in ('llm_worker', 'llm_app', 'llm_viewer', 'llm_auditor') order by 1`);
    expect(rows).toEqual([{ r: 'llm_app', n: 40 }, { r: 'llm_auditor', n: 8 }, { r: 'llm_viewer', n: 12 }, { r: 'llm_worker', n: 50 }]);
  } finally {
    await c.query('rollback');
    await c.end();
  }
});

test('an upgrade with budget scopes notes them as reserved this month: the backfill runs as the owner, under FORCE', async () => {
  // (this session's upgrade check, from a database at 000042 with a scope) Migrations run as llm_owner, which FORCE row level
  // security hides every row from: 000043's backfill updated no scope and its NOT NULL failed the upgrade. Here the column is
  // emptied again by hand (as the administrator, triggers off) and 000043 onwards re-run (each is idempotent).
  const admin = new Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query('begin');
    await admin.query('set local session_replication_role = replica');
    await admin.query(`insert into llm_private.budget_scopes (tenant_id, scope_key, started_at, first_request_pk, last_reserve_month)
                       values ('a0000000-0000-0000-0000-0000000000ff', 'up-1', '2026-01-05 00:00+00', 1, '2026-01-01 00:00+00')`);
    await admin.query('alter table llm_private.budget_scopes alter column last_reserve_month drop not null');
    await admin.query(`update llm_private.budget_scopes set last_reserve_month = null where scope_key = 'up-1'`);
    await admin.query(`delete from graphile_migrate.migrations where filename >= '000043.sql'`);
    await admin.query('commit');
    await migrateCommitted(url);
    const { rows } = await admin.query(`select b.last_reserve_month = llm_private.month_start(llm_private.month_index(llm_private.now())) as this_month,
        (select attnotnull from pg_attribute where attrelid = 'llm_private.budget_scopes'::regclass and attname = 'last_reserve_month') as not_null
      from llm_private.budget_scopes b where b.scope_key = 'up-1'`);
    expect(rows).toEqual([{ this_month: true, not_null: true }]);
  } finally {
    await admin.query(`set session_replication_role = replica; delete from llm_private.budget_scopes where scope_key = 'up-1'; reset session_replication_role`);
    await admin.end();
  }
});

test('a migration waits at most LLM_DDL_LOCK_TIMEOUT_MS for a table a transaction keeps open, then stops having changed nothing', async () => {
  // (review of the upgrade path, 2026-11-26) Only the replay and partition maintenance bounded their wait: a migration's
  // ALTER TABLE waited behind one session left open on provider_breakers (25 s, until killed), and every reserve, which
  // reads the breaker, queued behind it. The newest migrations back to the last one that alters a table are made pending
  // again (each is idempotent; 000046 creates an index only if it is missing and 000045 only adds an enum value, neither
  // taking a table lock then; 000044 adds a column to llm_private.shutoff_windows if it is missing, under ACCESS EXCLUSIVE)
  // and wait for the ACCESS SHARE locks held below on every table of ours.
  const admin = new Client({ connectionString: url });
  const holder = new Client({ connectionString: url });
  await admin.connect();
  await holder.connect();
  const saved = process.env.LLM_DDL_LOCK_TIMEOUT_MS;
  try {
    const count = async () => Number((await admin.query('select count(*) from graphile_migrate.migrations')).rows[0].count);
    const applied = await count();
    const committed = readdirSync(join(MIGRATIONS_DIR, 'committed')).filter((f) => /^\d{6}-/.test(f)).sort();
    const lastAlter = [...committed].reverse().find((f) => /^\s*alter table/im.test(readFileSync(join(MIGRATIONS_DIR, 'committed', f), 'utf8')))!;
    const pending = committed.filter((f) => f >= lastAlter).length;
    await admin.query('delete from graphile_migrate.migrations where filename >= $1', [`${lastAlter.slice(0, 6)}.sql`]);
    await holder.query('begin');
    const { rows: tables } = await holder.query(`select c.oid::regclass::text as t from pg_class c
      where c.relnamespace = 'llm_private'::regnamespace and c.relkind in ('r', 'p') and not c.relispartition`);
    await holder.query(`lock table ${tables.map((r) => r.t).join(', ')} in access share mode`);
    process.env.LLM_DDL_LOCK_TIMEOUT_MS = '300';
    const started = Date.now();
    await expect(migrateCommitted(url)).rejects.toMatchObject({ code: '55P03', message: expect.stringMatching(/LLM_DDL_LOCK_TIMEOUT_MS/) });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await count()).toBe(applied - pending);
    await holder.query('rollback');
    await migrateCommitted(url);
    expect(await count()).toBe(applied);
  } finally {
    if (saved === undefined) delete process.env.LLM_DDL_LOCK_TIMEOUT_MS;
    else process.env.LLM_DDL_LOCK_TIMEOUT_MS = saved;
    await holder.end();
    await admin.end();
  }
});

test('a database migrated by a newer release (or another branch) is refused by this release\'s migrate, changing nothing', async () => {
  // (this session's rollback check) graphile-migrate runs the migrations a database lacks and says nothing of those it has
  // beyond the code's. The release before 000043, run against a database at 000046, printed "at head (API replayed)": its
  // functions and triggers over the newer tables, and the reserve of a new budget scope failed (23502, last_reserve_month).
  // Here the newer release is a migration row this code does not have; then one of ours with another hash; then (review
  // 75) a newer release that changed sql/api only: no migration row, a later API generation.
  const admin = new Client({ connectionString: url });
  const rolesKey = new Client({ connectionString: urlForDatabase(TEST_ADMIN_URL, 'postgres') });
  await admin.connect();
  const saved = process.env.LLM_DDL_LOCK_TIMEOUT_MS;
  try {
    const ours = (await admin.query(`select filename, hash from graphile_migrate.migrations order by filename desc limit 1`)).rows[0];
    await admin.query(`insert into graphile_migrate.migrations (filename, hash, previous_hash) values ('999999.sql', 'sha1:newer', $1)`, [ours.hash]);
    // The newer release's API, as the worker's check reads it: a replay by this code would overwrite it.
    await admin.query(`update llm_private.schema_state set api_hash = 'newer-release'`);
    await admin.query(`create function llm.from_the_newer_release() returns int language sql as 'select 1'`);
    const before = await catalogFingerprint();
    for (const step of [() => migrateAll(url), () => applyApi(url, true)]) {
      await expect(step()).rejects.toMatchObject({ name: 'ForeignSchemaError',
        message: expect.stringMatching(/999999\.sql \(this code's last is \d{6}\.sql\); nothing was changed\. A migration this code lacks: a newer release/) });
      expect(await catalogFingerprint()).toEqual(before);
    }
    // Before any step: the roles step's key held (it would wait for it, then fail naming the holder), migrate refuses at once.
    process.env.LLM_DDL_LOCK_TIMEOUT_MS = '300';
    await rolesKey.connect();
    await rolesKey.query('select pg_advisory_lock(7420001)');
    await expect(migrateAll(url)).rejects.toMatchObject({ name: 'ForeignSchemaError' });
    await rolesKey.end();
    const cli = await migrateCli({ LLM_MANAGE_ROLES: '0' });
    expect(cli.code).toBe(1);
    expect(cli.lines.join('\n')).not.toMatch(/at head/);
    await admin.query(`delete from graphile_migrate.migrations where filename = '999999.sql'`);
    await admin.query(`update graphile_migrate.migrations set hash = 'sha1:elsewhere' where filename = $1`, [ours.filename]);
    const diverged = await catalogFingerprint();
    await expect(migrateAll(url)).rejects.toThrow(new RegExp(`${ours.filename} \\(another hash: sha1:elsewhere\\).*Another hash: a build whose migrations were rewritten`));
    expect(await catalogFingerprint()).toEqual(diverged);
    await admin.query(`update graphile_migrate.migrations set hash = $2 where filename = $1`, [ours.filename, ours.hash]);
    // The same migrations, a later API generation (a release that changed sql/api only).
    await admin.query(`update llm_private.schema_state set api_generation = $1`, [apiGeneration().generation + 1]);
    const later = await catalogFingerprint();
    for (const step of [() => migrateAll(url), () => applyApi(url, true)]) {
      await expect(step()).rejects.toMatchObject({ name: 'ForeignSchemaError',
        message: expect.stringMatching(new RegExp(`API is of generation ${apiGeneration().generation + 1}, later than this code's ${apiGeneration().generation}`)) });
      expect(await catalogFingerprint()).toEqual(later);
    }
    // The same generation, another API (review 77: two branches at one generation replayed over each other).
    await admin.query(`update llm_private.schema_state set api_generation = $1`, [apiGeneration().generation]);
    const branch = await catalogFingerprint();
    await expect(migrateAll(url)).rejects.toThrow(/API is of generation \d+, as this code's, but another one: another branch/);
    expect(await catalogFingerprint()).toEqual(branch);
    await admin.query(`update llm_private.schema_state set api_generation = $1`, [apiGeneration().generation - 1]);
    await admin.query(`drop function llm.from_the_newer_release()`);
    expect((await migrateAll(url)).apiReplayed).toBe(true); // an earlier generation, our own migrations: migrated as before
    expect((await admin.query(`select api_generation from llm_private.schema_state`)).rows[0].api_generation).toBe(apiGeneration().generation);
  } finally {
    if (saved === undefined) delete process.env.LLM_DDL_LOCK_TIMEOUT_MS;
    else process.env.LLM_DDL_LOCK_TIMEOUT_MS = saved;
    await rolesKey.end().catch(() => undefined);
    await admin.end();
  }
});

test('sql/api-generation.json is pinned at this code\'s schema version: a change to sql/api, the migrations or sql/bootstrap bumps the generation', () => {
  // npm run dump-schema bumps it (src/cli/dump-schema.ts); releases are ordered by it, and migrate refuses a later one.
  const pinned = apiGeneration();
  expect(Number.isInteger(pinned.generation) && pinned.generation >= 1).toBe(true);
  expect(pinned.api_hash === expectedApiHash() ? 'pinned' : 'sql/api, the migrations, sql/bootstrap or sql/optional changed: run npm run dump-schema').toBe('pinned');
});

test('two migrates of one database run one after the other: the second checks the database as the first left it', async () => {
  // (review 77) The check ran once at the start: a newer release's migrate finishing meanwhile left this one's roles step
  // and migrations to run before the API replay's own check refused. Now a migrate holds the database's migrate key from
  // its check to its last step. A session holds the key as a migrate would; the newer release's row appears meanwhile.
  const first = new Client({ connectionString: url });
  const admin = new Client({ connectionString: url });
  await first.connect();
  await admin.connect();
  try {
    await first.query('select pg_advisory_lock(7420003)');
    const second = migrateAll(url).then(() => 'migrated', (e: Error) => e);
    const waiting = async () => Number((await admin.query(`select count(*) from pg_locks where locktype = 'advisory' and not granted
      and objid = 7420003 and database = (select oid from pg_database where datname = current_database())`)).rows[0].count);
    for (let i = 0; i < 50 && (await waiting()) === 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await waiting()).toBe(1); // the second waits for the key before its check, and has changed nothing
    const ours = (await admin.query(`select hash from graphile_migrate.migrations order by filename desc limit 1`)).rows[0];
    await admin.query(`insert into graphile_migrate.migrations (filename, hash, previous_hash) values ('999998.sql', 'sha1:meanwhile', $1)`, [ours.hash]);
    await first.query('select pg_advisory_unlock(7420003)');
    expect(await second).toMatchObject({ name: 'ForeignSchemaError', message: expect.stringMatching(/999998\.sql/) });
  } finally {
    await admin.query(`delete from graphile_migrate.migrations where filename = '999998.sql'`);
    await first.end();
    await admin.end();
  }
  expect((await migrateAll(url)).apiReplayed).toBe(false); // the key was given back
});
