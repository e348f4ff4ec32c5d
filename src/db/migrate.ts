/**
 * Brings a database to the current schema, in four idempotent steps:
 *   1. roles (cluster-wide, as the administrator)           sql/bootstrap/roles.sql
 *   2. the database and its per-database grants (administrator) sql/bootstrap/database.sql
 *   3. graphile-worker's schema (as llm_worker, which owns it)
 *   4. committed migrations (graphile-migrate, as llm_owner), the optional pgvector step
 *      (sql/optional/pgvector.sql, administrator), then the replayable API in sql/api/*.sql
 *      (as llm_owner), skipped when its hash is unchanged, then the grants that depend on it
 *      (sql/bootstrap/after-api.sql, administrator); last, the guarded catalog facts are recorded
 *      (src/db/catalog-guard.ts), which the next migrate and every worker check first.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { Logger, migrate as gmMigrate } from 'graphile-migrate';
import { runMigrations } from 'graphile-worker';
import { catalogStamp, lostCatalogFacts, lostCatalogMessage, readCatalog, repairedByMigrate } from './catalog-guard';
import { enablePgvector, type PgvectorResult } from './pgvector';
import { databaseName, pinnedUrl, urlForDatabase, urlForRole } from './urls';

export const ROOT_DIR = join(__dirname, '..', '..');
const SQL_DIR = join(ROOT_DIR, 'sql');
export const API_DIR = join(SQL_DIR, 'api');
export const MIGRATIONS_DIR = join(ROOT_DIR, 'migrations');
/** The API's generation and the schema version it was pinned at (npm run dump-schema bumps it when that changes). */
export const API_GENERATION_FILE = join(SQL_DIR, 'api-generation.json');

const PINNED_OPTIONS = '-c default_transaction_read_only=off';

/** The URL with PINNED_OPTIONS (and SESSION_PINS), for every connection of migrate and the migration libraries. */
function pinned(url: string): string {
  return pinnedUrl(url, PINNED_OPTIONS);
}

async function withClient<T>(url: string, fn: (c: Client) => Promise<T>): Promise<T> {
  // Read-write whatever default a login or the database was given (a startup option outranks every ALTER ROLE / ALTER
  // DATABASE default): a migrate is the repair of such a default, so it must not be stopped by one.
  const client = new Client({ connectionString: pinned(url) });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

const quiet = new Logger(() => () => {});

/**
 * DDL on the ledger (a partition attached, the API schema replaced) waits for an ACCESS EXCLUSIVE
 * lock, and every query of every tenant queues behind that wait: one open transaction of the
 * application (an SQL injection can keep one open) would stop them all for as long as it lasts.
 * So the wait is bounded (LLM_DDL_LOCK_TIMEOUT_MS, default 10 s): past it the step fails with
 * 55P03, having changed nothing, and is run again later (partitions are made months ahead).
 */
function ddlLockTimeoutMs(): number {
  const v = Number(process.env.LLM_DDL_LOCK_TIMEOUT_MS ?? 10_000);
  if (!Number.isInteger(v) || v < 1 || v > 3_600_000) throw new Error(`LLM_DDL_LOCK_TIMEOUT_MS: an integer of ms in 1..3600000, got ${v}`);
  return v;
}

async function setDdlLockTimeout(c: Client, ms?: number): Promise<void> {
  await c.query(`set lock_timeout = ${ms ?? ddlLockTimeoutMs()}`);
}

/**
 * Runs `body` (PL/pgSQL statements), then evaluates `result`, in the current transaction, in tries: each try is one
 * statement on the server, bounded by 0.8 x deadlock_timeout, whose exception handler gives back at once every lock it
 * took, so that a transaction waiting behind a try is let go before its deadlock check (and the try never reaches its
 * own). The tries go on until `timeoutMs`; then 55P03 with tooLong's message, having changed nothing. Returns `result`
 * as text. Used by the replay of sql/api and by the creation of partitions.
 */
async function inShortTries(c: Client, body: string, result: string, timeoutMs: number, tooLong: (tries: number) => string):
  Promise<string> {
  // (current_setting, not pg_settings: any login could LOCK that view and stall this read; review of 2026-11-27)
  const { rows } = await c.query<{ ms: number }>(`select (extract(epoch from current_setting('deadlock_timeout')::interval) * 1000)::int as ms`);
  const tryMs = Math.max(1, Math.min(timeoutMs, Math.floor(rows[0]!.ms * 0.8)));
  const deadline = Date.now() + timeoutMs;
  for (let tries = 1; ; tries++) {
    const res = await c.query(`set local statement_timeout = ${tryMs}; set local lock_timeout = ${tryMs};
      do $try$ begin
        ${body}
        perform pg_catalog.set_config('llm_try.result', (${result})::text, true);
      exception when lock_not_available or query_canceled then
        perform pg_catalog.set_config('llm_try.result', '', true);
      end $try$;
      set local statement_timeout = 0; set local lock_timeout = ${ddlLockTimeoutMs()};
      select pg_catalog.current_setting('llm_try.result') as result`) as unknown as { rows: { result?: string }[] }[];
    const out = res[res.length - 1]!.rows[0]?.result ?? '';
    if (out !== '') return out;
    if (Date.now() >= deadline) throw Object.assign(new Error(tooLong(tries)), { code: '55P03' });
    await new Promise((r) => setTimeout(r, tryMs / 4 + Math.random() * tryMs / 2));
  }
}

/**
 * Objects outside the API that depend on it: a DBA's view over llm.monthly_spend, a materialized view, an SQL function
 * with a BEGIN ATOMIC body. `drop schema llm cascade` dropped them without a word, and each migrate that replays the API
 * would do it again (adopter's review, 2026-11-27). The replay stops first, naming them, having changed nothing;
 * LLM_REPLAY_DROP_DEPENDENTS=1 lets it drop them (they are not re-created). The views sql/api itself creates in
 * llm_private are not counted: the replay re-creates them.
 */
export async function refuseForeignDependents(c: Client, files: { sql: string }[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const own = new Set<string>();
  for (const f of files) {
    for (const m of f.sql.matchAll(/create\s+(?:or\s+replace\s+)?view\s+llm_private\.([a-z_0-9]+)/gi)) own.add(m[1]!.toLowerCase());
  }
  const { rows } = await c.query<{ what: string }>(
    `with api as (
       select 'pg_class'::regclass as classid, c.oid from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'llm'
       union all select 'pg_proc'::regclass, p.oid from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = 'llm'
       union all select 'pg_type'::regclass, t.oid from pg_type t join pg_namespace n on n.oid = t.typnamespace where n.nspname = 'llm'
     ), dependents as (
       select case v.relkind when 'm' then 'materialized view ' else 'view ' end || v.oid::regclass::text as what,
              n.nspname, v.relname
         from pg_depend d join api a on a.classid = d.refclassid and a.oid = d.refobjid
         join pg_rewrite r on d.classid = 'pg_rewrite'::regclass and r.oid = d.objid
         join pg_class v on v.oid = r.ev_class join pg_namespace n on n.oid = v.relnamespace
       union all
       select 'function ' || p.oid::regprocedure::text, n.nspname, p.proname
         from pg_depend d join api a on a.classid = d.refclassid and a.oid = d.refobjid
         join pg_proc p on d.classid = 'pg_proc'::regclass and p.oid = d.objid join pg_namespace n on n.oid = p.pronamespace
     )
     select distinct what from dependents
      where nspname <> 'llm' and not (nspname = 'llm_private' and relname = any($1))
      order by what`, [[...own]]);
  if (rows.length === 0) return;
  const list = rows.map((r) => r.what).join(', ');
  if (env.LLM_REPLAY_DROP_DEPENDENTS === '1') {
    process.emitWarning(`migrate: the replay of sql/api drops what depends on schema llm (LLM_REPLAY_DROP_DEPENDENTS=1): ${list}`);
    return;
  }
  throw Object.assign(new Error(`migrate: the replay of sql/api rebuilds schema llm, and ${rows.length === 1 ? 'this depends' : 'these depend'} on it: ` +
    `${list}. The replay changed nothing (the migrations before it are applied). Keep their definitions ` +
    `(pg_get_viewdef, pg_get_functiondef), drop them, migrate, and create them again; or run with LLM_REPLAY_DROP_DEPENDENTS=1 ` +
    'to let the replay drop them (they are not re-created)'), { code: '2BP01' });
}

/**
 * The replay's locks, taken before it changes anything (reviews of the upgrade path and of its fix, 2026-11-26). It
 * re-creates the triggers of the ledger tables (CREATE OR REPLACE TRIGGER) and drops the views of schema `llm`. Taken as
 * they came, table after table, while reserves, settles, enqueues and audit reads ran, they deadlocked: replays failed
 * and traffic was killed. So they are taken first, in tries. Each try locks the tables with a trigger in EXCLUSIVE mode
 * (writers wait, readers do not; ROW SHARE, which SELECT ... FOR UPDATE takes before it writes, conflicts too, so that no
 * transaction holding a table waits to write it), then drops the views (a reader names views in any order, so no order of
 * ours avoids every cycle). A try is one statement that waits at most 0.8 x deadlock_timeout, and a try that runs out
 * gives back what it took at once: whoever waits behind a try is let go before its deadlock check. The tries go on until
 * LLM_DDL_LOCK_TIMEOUT_MS; then it stops with 55P03, having changed nothing (a reader whose statements always outlast a
 * try keeps it out, and so does a long autovacuum of a ledger partition: PostgreSQL cancels one only for a waiter of
 * deadlock_timeout, which a try never is).
 */
async function lockForReplay(c: Client, files: { sql: string }[]): Promise<void> {
  // The tables that have a trigger now, and those sql/api is about to give one (a first trigger on a table: review of the
  // fixes; a trigger created by dynamic SQL, format(... on llm_private.%I), is not seen here until it exists). Should users
  // get one, it comes first (the enqueue writes it before requests); then the ledger in the order writers take it.
  const named = new Set<string>();
  for (const f of files) {
    for (const m of f.sql.matchAll(/create\s+(?:or\s+replace\s+)?(?:constraint\s+)?trigger\s+\S+[\s\S]*?\son\s+llm_private\.([a-z_0-9]+)/gi)) {
      named.add(m[1]!.toLowerCase());
    }
  }
  const { rows } = await c.query<{ rels: string | null }>(
    `select string_agg(format('%I.%I', n.nspname, c.relname), ', '
             order by array_position(array['users', 'requests', 'request_inputs', 'attempts']::name[], c.relname), c.relname) as rels
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'llm_private' and c.relkind in ('r', 'p', 'v') and not c.relispartition
        and (c.relname = any($1) or exists (select 1 from pg_trigger t where t.tgrelid = c.oid and not t.tgisinternal))`, [[...named]]);
  const rels = rows[0]?.rels;
  // The views sql/api creates in llm_private without a trigger of their own (their readers are the views of schema llm):
  // dropped with schema llm, since they may depend on the private functions the replay drops and re-creates. Views with
  // an INSTEAD OF trigger (the command views) name no such function and stay, their triggers replaced in place.
  const privateViews = new Set<string>();
  for (const f of files) {
    for (const m of f.sql.matchAll(/create\s+or\s+replace\s+view\s+llm_private\.([a-z_0-9]+)/gi)) privateViews.add(m[1]!.toLowerCase());
  }
  const { rows: plain } = await c.query<{ drops: string | null }>(
    `select string_agg(format('drop view if exists %I.%I; ', n.nspname, c.relname), '' order by c.relname) as drops
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'llm_private' and c.relkind = 'v' and c.relname = any($1)
        and not exists (select 1 from pg_trigger t where t.tgrelid = c.oid)`, [[...privateViews]]);
  const drops = plain[0]?.drops ?? '';
  // One try is one statement on the server (inShortTries): with the locks held across the client's round trips, between
  // the lock and the drop and until a rollback arrived, a migrate far from the database left a waiter behind them past its
  // deadlock check (review of the final replay, 200 ms each way).
  try {
    await inShortTries(c, `${rels ? `lock table ${rels} in exclusive mode; ` : ''}drop schema if exists llm cascade; ${drops}`, `'done'`,
      ddlLockTimeoutMs(), (tries) => `migrate: the replay of sql/api could not take its locks within LLM_DDL_LOCK_TIMEOUT_MS ` +
        `(${ddlLockTimeoutMs()} ms, ${tries} tries): transactions keep the ledger tables or the views of schema llm busy (or a ` +
        'long autovacuum of a ledger partition); the replay changed nothing (the migrations before it are applied, the previous ' +
        'API stays in place): run again');
  } catch (e) {
    if ((e as { code?: string }).code !== '55P03') throw e;
    throw Object.assign(new Error(`${(e as Error).message}${await lockHolders(c)}`), { code: '55P03' });
  }
}

/**
 * The sessions that hold a lock on our tables or views, those of unknown age first, then the oldest (at most 5): whom a DBA would wait for or
 * end when a replay cannot take its locks (upgrade drill 84: a 25 s auditor transaction kept it out, and it said no more
 * than "transactions keep the ledger tables busy"). A login with track_activities off shows no transaction start.
 */
async function lockHolders(c: Client): Promise<string> {
  const { rows } = await c.query<{ line: string }>(
    `select format('pid %s (%s%s%s)', a.pid, coalesce(a.usename::text, a.backend_type),
                   case when coalesce(a.application_name, '') <> '' then format(', %s', a.application_name) else '' end,
                   case when a.xact_start is not null
                        then format(', in a transaction for %s s', floor(extract(epoch from pg_catalog.clock_timestamp() - a.xact_start)))
                        else '' end) as line
       from pg_catalog.pg_stat_activity a
      where a.pid <> pg_catalog.pg_backend_pid() and a.datname = pg_catalog.current_database()
        and exists (select 1 from pg_catalog.pg_locks l join pg_catalog.pg_class k on k.oid = l.relation
                      join pg_catalog.pg_namespace n on n.oid = k.relnamespace
                     where l.pid = a.pid and l.granted and n.nspname in ('llm', 'llm_private'))
      -- Unknown ages first: the runtime logins (track_activities off) show none, and an application's transaction left open
      -- is the likeliest blocker (re-attack 88: sorted last, it was cut off behind five known ones).
      order by a.xact_start nulls first, a.pid limit 5`).catch(() => ({ rows: [] as { line: string }[] }));
  return rows.length === 0 ? '' : `; sessions holding locks there, those of unknown age first, then the oldest: ${rows.map((r) => r.line).join(', ')} ` +
    '(let them end, or pg_terminate_backend(pid))';
}

/** Connection limits of the logins (sql/bootstrap/roles.sql has the defaults), from the administrator's environment at migrate. */
const CONNECTION_LIMIT_ENV = [
  ['viewer', 'LLM_VIEWER_CONNECTION_LIMIT'], ['auditor', 'LLM_AUDITOR_CONNECTION_LIMIT'], ['exporter', 'LLM_EXPORTER_CONNECTION_LIMIT'],
  ['app', 'LLM_APP_CONNECTION_LIMIT'],
] as const;

/**
 * Takes a session-level advisory key that may be held long (another migrate) or by anyone (every role may take advisory
 * keys: an SQL injection in the application can): the wait is bounded (60 s, or LLM_DDL_LOCK_TIMEOUT_MS) and, past it,
 * 55P03 names who holds the key in this database.
 */
async function takeMigrateKey(c: Client, key: number, waiting: string): Promise<void> {
  await setDdlLockTimeout(c, process.env.LLM_DDL_LOCK_TIMEOUT_MS ? undefined : 60_000);
  try {
    await c.query('select pg_advisory_lock($1)', [key]);
  } catch (e) {
    if ((e as { code?: string }).code !== '55P03') throw e;
    const { rows } = await c.query<{ who: string }>(`select string_agg(format('pid %s (%s)', a.pid, a.usename), ', ') as who
      from pg_locks l join pg_stat_activity a on a.pid = l.pid
     where l.locktype = 'advisory' and l.granted and l.objid = $1 and l.classid = 0
       and l.database = (select oid from pg_database where datname = current_database())`, [key]);
    throw Object.assign(new Error(`migrate: ${waiting} waits for advisory lock ${key}, held by ${rows[0]?.who ?? 'another session'}; ` +
      'nothing was changed: let it end (or end that session: pg_terminate_backend) and run again'), { code: '55P03' });
  }
}

export async function bootstrapRoles(adminUrl: string): Promise<void> {
  const sql = readFileSync(join(SQL_DIR, 'bootstrap', 'roles.sql'), 'utf8');
  await withClient(adminUrl, async (c) => {
    // Roles are cluster-wide and parallel test runs share them: serialise this step cluster-wide.
    await takeMigrateKey(c, 7420001, 'the roles step');
    try {
      for (const [key, env] of CONNECTION_LIMIT_ENV) {
        const v = process.env[env];
        if (v !== undefined && v !== '' && !/^(-1|\d{1,5})$/.test(v)) throw new Error(`${env}: -1 (no limit) or 0..99999, got ${v}`);
        await c.query(`select set_config($1, $2, false)`, [`llm_bootstrap.${key}_connection_limit`, v ?? '']);
      }
      await c.query(sql);
    } finally {
      await c.query('select pg_advisory_unlock(7420001)');
    }
  });
}

/**
 * What sql/bootstrap/roles.sql declares, read from the file itself so that the check below cannot drift from it: each role
 * with its login and inherit attributes, the memberships it grants and those it revokes (role, member).
 */
export function declaredRoles(sql = readFileSync(join(SQL_DIR, 'bootstrap', 'roles.sql'), 'utf8')): {
  roles: { name: string; login: boolean; inherit: boolean }[]; grants: [string, string][]; revokes: [string, string][];
} {
  const roles = [...sql.matchAll(/^\s*\('(llm_[a-z_]+)',\s*'([a-z ]+)'/gm)].map((m) => ({
    name: m[1]!, login: /(^| )login( |$)/.test(m[2]!), inherit: !/(^| )noinherit( |$)/.test(m[2]!),
  }));
  const grants = [...sql.matchAll(/^grant (llm_[a-z_]+) to (llm_[a-z_]+);/gm)].map((m) => [m[1]!, m[2]!] as [string, string]);
  const revokes = [...sql.matchAll(/^revoke (llm_[a-z_]+) from (llm_[a-z_]+);/gm)].map((m) => [m[1]!, m[2]!] as [string, string]);
  return { roles, grants, revokes };
}

/**
 * LLM_MANAGE_ROLES=0: the roles are the cluster administrator's (infrastructure code, a cluster shared with other
 * databases), and migrate must not create or re-assert them (adopter's review, 2026-11-27: every migrate reset the
 * roles' defaults cluster-wide). Migrate then only checks the roles against what roles.sql declares (declaredRoles): each
 * exists with its login and inherit attributes, none is superuser, BYPASSRLS, CREATEROLE, CREATEDB or REPLICATION, the
 * memberships it grants are there and those it revokes are not, and llm_app is a member of no role. Their session defaults
 * are then llm.role_settings_drift's to report (and the LlmRoleSettingsDrift alert's). Nothing is changed when a check fails.
 * `names` narrows (or, in tests, extends) the roles checked.
 */
export async function requireRoles(adminUrl: string, names?: readonly string[]): Promise<void> {
  const declared = declaredRoles();
  const roles = (names ?? declared.roles.map((r) => r.name)).map((name) =>
    declared.roles.find((r) => r.name === name) ?? { name, login: true, inherit: false });
  await withClient(adminUrl, async (c) => {
    const { rows } = await c.query<{ name: string; missing: boolean; strong: boolean; inherit_differs: boolean; login_differs: boolean }>(
      `select r.name, p.oid is null as missing,
              coalesce(p.rolsuper or p.rolbypassrls or p.rolcreaterole or p.rolcreatedb or p.rolreplication, false) as strong,
              coalesce(p.rolinherit <> r.inherit, false) as inherit_differs, coalesce(p.rolcanlogin <> r.login, false) as login_differs
         from unnest($1::text[], $2::boolean[], $3::boolean[]) with ordinality r(name, login, inherit, n)
         left join pg_roles p on p.rolname = r.name order by r.n`,
      [roles.map((r) => r.name), roles.map((r) => r.login), roles.map((r) => r.inherit)]);
    const names_ = (f: (r: (typeof rows)[number]) => boolean) => rows.filter(f).map((r) => r.name).join(', ');
    // Memberships: granted ones must be there, revoked ones not (between roles that exist; a missing role is named above).
    const { rows: members } = await c.query<{ role: string; member: string; is: boolean }>(
      `select m.role, m.member, pg_has_role(m.member, m.role, 'MEMBER') as is from unnest($1::text[], $2::text[]) m(role, member)
        where exists (select 1 from pg_roles where rolname = m.role) and exists (select 1 from pg_roles where rolname = m.member)`,
      [[...declared.grants, ...declared.revokes].map((m) => m[0]), [...declared.grants, ...declared.revokes].map((m) => m[1])]);
    const granted = (m: { role: string; member: string }) => declared.grants.some(([r, u]) => r === m.role && u === m.member);
    const absent = members.filter((m) => granted(m) && !m.is).map((m) => `${m.role} to ${m.member}`);
    const extra = members.filter((m) => !granted(m) && m.is).map((m) => `${m.role} to ${m.member}`);
    const { rows: appOf } = await c.query<{ role: string }>(
      `select g.rolname as role from pg_auth_members a join pg_roles u on u.oid = a.member join pg_roles g on g.oid = a.roleid
        where u.rolname = 'llm_app' order by 1`);
    const problems = [
      rows.some((r) => r.missing) ? `missing: ${names_((r) => r.missing)}` : '',
      rows.some((r) => r.strong) ? `superuser, BYPASSRLS, CREATEROLE, CREATEDB or REPLICATION: ${names_((r) => r.strong)}` : '',
      rows.some((r) => r.inherit_differs) ? `INHERIT other than roles.sql declares (NOINHERIT): ${names_((r) => r.inherit_differs)}` : '',
      rows.some((r) => r.login_differs) ? `LOGIN other than roles.sql declares: ${names_((r) => r.login_differs)}` : '',
      absent.length ? `memberships not granted: ${absent.join(', ')}` : '',
      extra.length ? `memberships roles.sql revokes: ${extra.join(', ')}` : '',
      appOf.length ? `llm_app must be a member of no role, is of: ${appOf.map((r) => r.role).join(', ')}` : '',
    ].filter(Boolean);
    if (problems.length) {
      throw new Error(`migrate: LLM_MANAGE_ROLES=0 and the roles are not as sql/bootstrap/roles.sql makes them (${problems.join('; ')}); ` +
        'nothing was changed: have the cluster administrator run sql/bootstrap/roles.sql, or migrate without LLM_MANAGE_ROLES=0');
    }
  });
}

export async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  await withClient(urlForDatabase(adminUrl, 'postgres'), async (c) => {
    const { rowCount } = await c.query('select 1 from pg_database where datname = $1', [database]);
    if (!rowCount) await c.query(`create database ${c.escapeIdentifier(database)} owner llm_owner`);
  });
  const sql = readFileSync(join(SQL_DIR, 'bootstrap', 'database.sql'), 'utf8');
  await withClient(urlForDatabase(adminUrl, database), async (c) => {
    await c.query(sql.replace(/__DATABASE__/g, c.escapeIdentifier(database)));
  });
}

/** The per-database grants that depend on the replayed API (sql/bootstrap/after-api.sql), as the administrator. */
export async function afterApi(databaseUrl: string): Promise<void> {
  const sql = readFileSync(join(SQL_DIR, 'bootstrap', 'after-api.sql'), 'utf8');
  await withClient(databaseUrl, async (c) => {
    await c.query(sql);
  });
}

/**
 * graphile-worker's schema, owned by llm_worker. A superuser administrator runs its migrations itself
 * with role llm_worker, since the event trigger of sql/bootstrap/database.sql refuses DDL to the
 * llm_worker login; without one, they run as that login (no event trigger was installed).
 */
export async function migrateWorkerSchema(databaseUrl: string): Promise<void> {
  const superuser = await withClient(databaseUrl, async (c) =>
    (await c.query<{ s: boolean }>('select rolsuper as s from pg_roles where rolname = current_user')).rows[0]?.s === true);
  if (superuser) {
    await runMigrations({ connectionString: pinnedUrl(databaseUrl, `-c role=llm_worker ${PINNED_OPTIONS}`), logger: undefined });
  } else {
    await runMigrations({ connectionString: pinned(urlForRole(databaseUrl, 'llm_worker')), logger: undefined });
  }
}

export async function migrateCommitted(databaseUrl: string): Promise<void> {
  try {
    await migrateCommittedSteps(databaseUrl);
  } finally {
    // graphile-migrate keeps its pool 200 ms after use and exits the process if a pooled connection
    // dies meanwhile (for example when a test template's connections are terminated): end it now,
    // after a migration that failed too.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require('graphile-migrate/dist/pgReal') as { clearAllPools(): void }).clearAllPools();
  }
}

async function migrateCommittedSteps(databaseUrl: string): Promise<void> {
  await gmMigrate({
    connectionString: pinned(urlForRole(databaseUrl, 'llm_owner')),
    migrationsFolder: MIGRATIONS_DIR,
    manageGraphileMigrateSchema: true,
    // A migration's DDL waits for its table's lock as long as any of ours (setDdlLockTimeout): without a bound, one
    // session left open on a ledger table stopped every tenant behind the migration's wait (review of the upgrade path).
    pgSettings: { search_path: 'pg_catalog', lock_timeout: String(ddlLockTimeoutMs()) },
    logger: quiet,
  }).catch((e: { code?: string; message?: string }) => {
    if (e?.code !== '55P03') throw e;
    throw Object.assign(new Error(`migrate: a migration waited ${ddlLockTimeoutMs()} ms (LLM_DDL_LOCK_TIMEOUT_MS) for a table that a ` +
      'transaction keeps open, and stopped: that migration changed nothing (the ones before it are applied; the API is replayed ' +
      `after the last): end that transaction (pg_stat_activity) and run again (${e.message})`),
      { code: '55P03' });
  });
}

/** The committed migrations this code has, as graphile-migrate records them: '000046.sql' -> 'sha1:…'. */
export function committedMigrations(): Map<string, string> {
  const dir = join(MIGRATIONS_DIR, 'committed');
  const out = new Map<string, string>();
  for (const f of readdirSync(dir).filter((n) => /^\d+.*\.sql$/.test(n)).sort()) {
    const hash = /^--! Hash: (\S+)$/m.exec(readFileSync(join(dir, f), 'utf8'))?.[1];
    if (hash) out.set(`${/^\d+/.exec(f)![0]}.sql`, hash);
  }
  return out;
}

/** This code's API generation (sql/api-generation.json): releases are ordered by it, which hashes cannot do. */
export function apiGeneration(): { generation: number; api_hash: string } {
  return JSON.parse(readFileSync(API_GENERATION_FILE, 'utf8')) as { generation: number; api_hash: string };
}

/** A database migrated by another release (a newer one, or a diverged branch): this code must not touch it. */
/** The database lost a policy, trigger, forced row security or owner its last migrate recorded (src/db/catalog-guard.ts). */
export class DamagedCatalogError extends Error {
  static {
    this.prototype.name = 'DamagedCatalogError';
  }
}

export class ForeignSchemaError extends Error {
  static {
    this.prototype.name = 'ForeignSchemaError';
  }
}

/**
 * Refuses a database that another release migrated: one that holds a committed migration this code does not have (by
 * number and hash), or whose API is of a later generation than this code's (a release that changed sql/api only adds no
 * migration), or of the same generation but another API (another branch). graphile-migrate runs what is missing and says nothing of what is extra, and the API replay
 * would then put this release's functions and triggers over a newer release's tables: an older release's migrate, the
 * obvious way back after a bad upgrade, reported "at head" and left the reserve of a new budget scope failing (23502: the
 * older trigger wrote no last_reserve_month, which 000043 added NOT NULL). The worker refuses such a database too
 * (checkSchemaVersion). Read before any step changes anything, and again under the replay's lock.
 */
export async function refuseForeignSchema(c: Client): Promise<void> {
  const { rows: [has] } = await c.query(`select to_regclass('graphile_migrate.migrations') is not null as migrations,
      exists (select 1 from pg_catalog.pg_attribute where attrelid = to_regclass('llm_private.schema_state') and attname = 'api_generation'
                 and not attisdropped) as generation`);
  const ours = committedMigrations();
  const last = [...ours.keys()].pop() ?? '(none)';
  if (has.migrations) {
    const { rows } = await c.query<{ filename: string; hash: string }>('select filename, hash from graphile_migrate.migrations order by filename');
    const foreign = rows.filter((r) => ours.get(r.filename) !== r.hash);
    if (foreign.length > 0) {
      const list = foreign.map((r) => (ours.has(r.filename) ? `${r.filename} (another hash: ${r.hash})` : r.filename)).join(', ');
      throw new ForeignSchemaError(`the database holds migration(s) this code does not have: ${list} (this code's last is ${last}); ` +
        'nothing was changed. A migration this code lacks: a newer release migrated it; run that release (or a newer one) ' +
        'against it, or restore the backup taken before its migrate. Another hash: a build whose migrations were rewritten ' +
        'before they were released (a development database: create it again), or another branch. Migrations are ' +
        'forward-only: this release\'s API over those tables would break calls (README: Upgrades and rolling back).');
    }
  }
  if (has.generation) {
    const { rows } = await c.query('select api_hash, api_generation from llm_private.schema_state');
    const code = apiGeneration().generation;
    const db = rows[0]?.api_generation as number | null | undefined;
    const how = compareApi(rows[0]);
    if (how === 'later') {
      throw new ForeignSchemaError(`the database's API is of generation ${db}, later than this code's ${code} (sql/api-generation.json): ` +
        'a newer release migrated it; nothing was changed. Run that release (or a newer one) against it, or restore the backup ' +
        'taken before its migrate (README: Upgrades and rolling back). A development database (npm run db keeps one in .data): ' +
        'create it again.');
    }
    // The same generation with another API: another branch (a hotfix line numbered like a main-line build), or this code's
    // sql/api changed without npm run dump-schema (which bumps the generation). On a history that passes the tests, one
    // generation is one API (review 77: two branches at one generation replayed over each other).
    if (how === 'branch') {
      throw new ForeignSchemaError(`the database's API is of generation ${db}, as this code's, but another one: another branch ` +
        'migrated it; nothing was changed. Run that branch against it. A development build whose sql/api or migrations changed: ' +
        'npm run dump-schema bumps its generation, then migrate.');
    }
  }
}

/**
 * How a database's recorded API (its llm_private.schema_state row) compares with this code's: the same; older (or of
 * unknown generation: applied before migration 000048, or no row); of a later generation; or of this generation but
 * another API (another branch). Both migrate (refuseForeignSchema) and the worker (checkSchemaVersion) decide by it.
 */
export function compareApi(recorded: { api_hash?: unknown; api_generation?: unknown } | undefined): 'same' | 'older' | 'later' | 'branch' {
  if (recorded?.api_hash === expectedApiHash()) return 'same';
  const theirs = recorded?.api_generation;
  const ours = apiGeneration().generation;
  if (typeof theirs !== 'number') return 'older';
  if (theirs > ours) return 'later';
  return theirs === ours ? 'branch' : 'older';
}

export function apiFiles(): { name: string; sql: string }[] {
  return readdirSync(API_DIR)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((name) => ({ name, sql: readFileSync(join(API_DIR, name), 'utf8') }));
}

/**
 * The schema version the code expects: a hash of the committed migrations' names, of the sql/api files and of
 * sql/bootstrap and sql/optional. The API is replayed after migrations, so a database whose recorded hash matches
 * has both.
 */
export function expectedApiHash(): string {
  const h = createHash('sha256');
  for (const m of readdirSync(join(MIGRATIONS_DIR, 'committed')).filter((f) => f.endsWith('.sql')).sort()) h.update(m).update('\0');
  for (const f of apiFiles()) h.update(f.name).update('\0').update(f.sql).update('\0');
  // The roles, the database's grants, the grants after the API and the pgvector step are a release's too: one that changed
  // only these (39d86c9, 74ebd8e) left the hash, and so the generation, as it was (review 77).
  for (const dir of ['bootstrap', 'optional']) {
    for (const f of readdirSync(join(SQL_DIR, dir)).filter((n) => n.endsWith('.sql')).sort()) {
      h.update(`${dir}/${f}`).update('\0').update(readFileSync(join(SQL_DIR, dir, f), 'utf8')).update('\0');
    }
  }
  return h.digest('hex');
}

/**
 * Replays sql/api: the schema llm is dropped and rebuilt in one transaction, so a function or view
 * removed from sql/api disappears from the database too. A no-op when the hash is unchanged.
 */
export async function applyApi(databaseUrl: string, force = false): Promise<boolean> {
  const hash = expectedApiHash();
  return withClient(urlForRole(databaseUrl, 'llm_owner'), async (c) => {
    await setDdlLockTimeout(c);
    await c.query('begin');
    try {
      await c.query('select pg_advisory_xact_lock(7420002)');
      await refuseForeignSchema(c);
      const { rows } = await c.query('select api_hash from llm_private.schema_state');
      if (!force && rows[0]?.api_hash === hash) {
        await c.query('rollback');
        return false;
      }
      await refuseForeignDependents(c, apiFiles());
      await lockForReplay(c, apiFiles());
      const triggersBefore = await apiTriggers(c, apiFiles());
      await c.query('create schema llm');
      await dropPrivateApiFunctions(c, apiFiles());
      for (const f of apiFiles()) {
        try {
          await c.query(f.sql);
        } catch (e) {
          throw new Error(`sql/api/${f.name}: ${(e as Error).message}`);
        }
      }
      await dropStaleTriggers(c, triggersBefore, apiFiles());
      await c.query(
        `insert into llm_private.schema_state (id, api_hash, applied_at, api_generation) values (true, $1, now(), $2)
         on conflict (id) do update set api_hash = excluded.api_hash, applied_at = excluded.applied_at,
                                        api_generation = excluded.api_generation`,
        [hash, apiGeneration().generation],
      );
      await c.query('commit');
      return true;
    } catch (e) {
      await c.query('rollback');
      throw e;
    }
  });
}

/**
 * sql/api also defines helpers in llm_private (CREATE OR REPLACE). CREATE OR REPLACE cannot change
 * a function's return type or drop an argument, so the replay first drops every llm_private
 * function (any signature) whose name sql/api defines, but the trigger functions (below). No CASCADE: nothing in migrations may depend
 * on them, and if something does the replay stops and says so. A helper removed from sql/api
 * altogether needs a migration that drops it.
 */
/**
 * A trigger that sql/api no longer creates goes, as it went when the replay dropped every trigger function with its
 * triggers: a trigger renamed in sql/api (_100_transition to _150_transition) would otherwise fire twice, and a settle
 * count its usage twice (review of the fixes). A trigger running a function of sql/api whose pg_trigger row is the same
 * version after the files ran as before (not created or replaced by them) is stale. Compared by row version, not by
 * transaction id: a subtransaction writes rows with its own xid (a first version compared xmin with the transaction's,
 * and dropped every trigger when a lock try had nested a savepoint: review of the last fixes). A trigger a migration
 * creates runs a function of its own.
 */
/** The llm_private functions sql/api defines (CREATE OR REPLACE FUNCTION llm_private.<name>), by name. */
function apiPrivateFunctionNames(files: { sql: string }[]): Set<string> {
  const names = new Set<string>();
  for (const f of files) {
    for (const m of f.sql.matchAll(/create\s+or\s+replace\s+function\s+llm_private\.([a-z_0-9]+)\s*\(/gi)) names.add(m[1]!.toLowerCase());
  }
  return names;
}

type TriggerRows = Map<string, { tgname: string; rel: string; version: string }>;

/** The triggers that run a function of sql/api (not the partitions' copies), each with its row's version (ctid, xmin). */
async function apiTriggers(c: Client, files: { sql: string }[]): Promise<TriggerRows> {
  const names = apiPrivateFunctionNames(files);
  const { rows } = await c.query<{ oid: string; tgname: string; rel: string; version: string }>(
    `select t.oid::text as oid, t.tgname, t.tgrelid::regclass::text as rel, t.ctid::text || '/' || t.xmin::text as version
       from pg_trigger t join pg_proc p on p.oid = t.tgfoid join pg_namespace n on n.oid = p.pronamespace
      where n.nspname = 'llm_private' and p.proname = any($1) and not t.tgisinternal and t.tgparentid = 0`, [[...names]]);
  return new Map(rows.map((r) => [r.oid, r]));
}

async function dropStaleTriggers(c: Client, before: TriggerRows, files: { sql: string }[]): Promise<void> {
  const after = await apiTriggers(c, files);
  // Stale: the same row as before the replay (CREATE OR REPLACE TRIGGER writes a new version of the row it replaces).
  const stale = [...after.entries()].filter(([oid, r]) => before.get(oid)?.version === r.version).map(([, r]) => r);
  if (stale.length > 0 && stale.length >= after.size) {
    // Every trigger of sql/api untouched means the replay did not run its files as this check expects: refuse, and change nothing.
    throw new Error(`migrate: the replay would drop all ${after.size} triggers of sql/api as stale; nothing was changed`);
  }
  for (const r of stale) await c.query(`drop trigger ${c.escapeIdentifier(r.tgname)} on ${r.rel}`);
}

async function dropPrivateApiFunctions(c: Client, files: { sql: string }[]): Promise<void> {
  const names = apiPrivateFunctionNames(files);
  // Not the trigger functions: CREATE OR REPLACE always fits them (no arguments, returns trigger), and dropping one takes
  // its triggers with it, an ACCESS EXCLUSIVE lock on every ledger table that writers hold and readers wait behind. Their
  // triggers are re-created in place (CREATE OR REPLACE TRIGGER); a trigger removed from sql/api is dropped after the replay.
  const { rows } = await c.query<{ sig: string }>(
    `select p.oid::regprocedure::text as sig
       from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where n.nspname = 'llm_private' and p.proname = any($1) and p.prorettype <> 'trigger'::regtype`, [[...names]]);
  for (const r of rows) await c.query(`drop function ${r.sig}`);
}

/**
 * Installs the secret that signs application context tokens (LLM_CONTEXT_SECRET), as the owner:
 * the only role that can read it. Idempotent; a new secret becomes the live key and older ones
 * stay valid until an operator retires them (rotation).
 */
export async function installContextSecret(databaseUrl: string, secret: string): Promise<void> {
  if (Buffer.byteLength(secret, 'utf8') < 16) throw new Error('LLM_CONTEXT_SECRET must be at least 16 bytes');
  await withClient(urlForRole(databaseUrl, 'llm_owner'), async (c) => {
    await c.query(
      `insert into llm_private.context_keys (kid, secret_sha256, ipad, opad)
       select (select coalesce(max(kid), 0) + 1 from llm_private.context_keys), sha256(convert_to($1, 'UTF8')), p.ipad, p.opad
         from llm_private.hmac_pads(convert_to($1, 'UTF8')) p
       on conflict (secret_sha256) do nothing`,
      [secret],
    );
  });
}

/**
 * The ledger's monthly partitions, as their owner (llm_maint's functions are SECURITY INVOKER and
 * only the owner may run their DDL): the months ahead are created; with dropExpired, the months
 * past retention are dropped whole. `npm run migrate` creates; `npm run maintain-partitions` does both.
 */
/**
 * llm_maint.ensure_partitions, in tries (review of the upgrade path's fixes): it creates the months table after table
 * (requests, request_inputs, attempts, ...), each with an ACCESS EXCLUSIVE lock kept to the end, and a reader holding a
 * later table that asked for an earlier one waited behind it first, so that when the creation reached the later table
 * the reader's deadlock check found the cycle and the reader was the victim. Each try is one statement bounded by 0.8 x
 * deadlock_timeout, all or nothing, whose handler gives its locks back at once; the tries go on until the lock timeout
 * (then 55P03: the months are made ahead, the next run makes them).
 */
async function ensurePartitionsInTries(c: Client, timeoutMs: number): Promise<number> {
  await c.query('begin');
  try {
    const created = await inShortTries(c, '', 'llm_maint.ensure_partitions()', timeoutMs, (tries) =>
      `maintain-partitions: could not take the ledger's locks to create partitions within ${timeoutMs} ms (${tries} tries): ` +
      'transactions keep them busy; nothing was created, run again (the months are made ahead)');
    await c.query('commit');
    return Number(created);
  } catch (e) {
    await c.query('rollback');
    throw e;
  }
}

export async function maintainPartitions(databaseUrl: string, opts: { dropExpired?: boolean; lockTimeoutMs?: number } = {}):
  Promise<{ created: number; dropped: number; summarized: number | null }> {
  return withClient(urlForRole(databaseUrl, 'llm_owner'), async (c) => {
    await setDdlLockTimeout(c, opts.lockTimeoutMs);
    const created = await ensurePartitionsInTries(c, opts.lockTimeoutMs ?? ddlLockTimeoutMs());
    const dropped = opts.dropExpired ? Number((await c.query('select llm_maint.drop_expired_partitions() as n')).rows[0].n) : 0;
    // The BRINs of ended months, their last partial range included, so that the audit views' month filters skip them. A
    // database not yet migrated to 000037 has no such function: null (the CLI says to migrate), the rest is done.
    const { rows: fn } = await c.query(`select to_regprocedure('llm_maint.summarize_ended_months()') is not null as ok`);
    const summarized = fn[0].ok ? Number((await c.query('select llm_maint.summarize_ended_months() as n')).rows[0].n) : null;
    return { created, dropped, summarized };
  });
}

export interface MigrateResult {
  database: string;
  apiReplayed: boolean;
  /** Monthly partitions this migrate created ahead (maintainPartitions). */
  partitionsCreated: number;
  /** The optional pgvector step: indexed widths and its notices (`semanticPathLine` says it in one line). */
  pgvector: PgvectorResult;
  /** LLM_MANAGE_ROLES=0: the roles were checked, not (re-)created; roleSettingsDrift lists their defaults that differ. */
  rolesManaged: boolean;
  /** Rows of llm.role_settings_drift after the migrate (`role scope parameter: declared -> now`), when rolesManaged is false. */
  roleSettingsDrift: string[];
  /** The committed migrations this migrate applied (file names), in order; empty when the database had them all. */
  migrationsApplied: string[];
  /** The API generation the database was at before this migrate (null: none recorded, a new database) and after it. */
  apiGeneration: { before: number | null; after: number };
  /** Sessions of the worker's login connected at the end: workers started before an upgrade, to be restarted. */
  workerSessions: number;
}

/** What an upgrade is measured against: the committed migrations and the API generation recorded, read before and after. */
async function upgradeState(adminUrl: string): Promise<{ migrations: string[]; generation: number | null }> {
  return withClient(adminUrl, async (c) => {
    const { rows: [t] } = await c.query(`select to_regclass('graphile_migrate.migrations') is not null as m,
      exists (select 1 from pg_catalog.pg_attribute where attrelid = to_regclass('llm_private.schema_state') and attname = 'api_generation'
              and not attisdropped) as g`);
    const migrations = t.m ? (await c.query<{ filename: string }>('select filename from graphile_migrate.migrations order by filename'))
      .rows.map((r) => r.filename) : [];
    const generation = t.g ? ((await c.query('select api_generation from llm_private.schema_state')).rows[0]?.api_generation ?? null) : null;
    return { migrations, generation: generation === null ? null : Number(generation) };
  });
}

/**
 * Development only: runs migrations/current.sql (idempotent by convention, empty at every commit)
 * as the owner, so that a developer's test run sees the migration being written.
 */
async function runCurrent(databaseUrl: string): Promise<boolean> {
  const sql = readFileSync(join(MIGRATIONS_DIR, 'current.sql'), 'utf8');
  if (!sql.split('\n').some((l) => l.trim() && !l.trim().startsWith('--'))) return false;
  await withClient(urlForRole(databaseUrl, 'llm_owner'), async (c) => {
    await c.query(`set search_path = pg_catalog; begin; ${sql}; commit;`);
  });
  return true;
}

/**
 * All four steps. `adminUrl` names the target database and must be able to create roles. The
 * context secret (opts.contextSecret, else LLM_CONTEXT_SECRET) is installed when given.
 */
export async function migrateAll(adminUrl: string,
  opts: { includeCurrent?: boolean; contextSecret?: string; /** Record the catalog as it is, whatever it lost (--accept-catalog). */ acceptCatalog?: boolean } = {}):
  Promise<MigrateResult> {
  const database = databaseName(adminUrl);
  // One migrate of a database at a time, from the check to the last step: a second one (another release's) waits, then
  // checks the database as the first left it. Checked before the roles step: an older release's roles.sql would re-assert
  // its own grants and defaults over a newer one's (review 77: a check passed while a newer release's migrate ran).
  const guard = await lockForMigrate(adminUrl);
  try {
    if (guard) {
      await refuseForeignSchema(guard);
      const lost = (await lostCatalogFacts(guard)).filter((f) => !repairedByMigrate(f));
      if (lost.length > 0 && !opts.acceptCatalog) throw new DamagedCatalogError(lostCatalogMessage(lost));
    }
    return await migrateSteps(adminUrl, database, opts);
  } finally {
    await guard?.end().catch(() => undefined); // ending the session gives the key back
  }
}

/**
 * The session that holds this database's migrate key (advisory 7420003, session-level), or null when the database does not
 * exist yet. Waits as long as the roles step for its key (60 s, or LLM_DDL_LOCK_TIMEOUT_MS), then names the holder.
 */
async function lockForMigrate(adminUrl: string): Promise<Client | null> {
  const c = new Client({ connectionString: pinned(adminUrl) });
  try {
    await c.connect();
  } catch (e) {
    await c.end().catch(() => undefined);
    if ((e as { code?: string }).code === '3D000') return null; // no database yet: nothing to protect
    throw e;
  }
  try {
    await takeMigrateKey(c, 7420003, 'this migrate (another of this database runs)');
    return c;
  } catch (e) {
    await c.end().catch(() => undefined);
    throw e;
  }
}

async function migrateSteps(adminUrl: string, database: string, opts: { includeCurrent?: boolean; contextSecret?: string }):
  Promise<MigrateResult> {
  const manageRoles = process.env.LLM_MANAGE_ROLES !== '0';
  if (manageRoles) await bootstrapRoles(urlForDatabase(adminUrl, 'postgres'));
  else await requireRoles(urlForDatabase(adminUrl, 'postgres'));
  await ensureDatabase(adminUrl, database);
  const before = await upgradeState(adminUrl);
  await migrateWorkerSchema(adminUrl);
  await migrateCommitted(adminUrl);
  const ranCurrent = opts.includeCurrent ? await runCurrent(adminUrl) : false;
  // Semantic cache: pgvector where the server has it (HNSW indexes), the portable path otherwise.
  const pgvector = await enablePgvector(adminUrl);
  const apiReplayed = await applyApi(adminUrl, ranCurrent);
  await afterApi(adminUrl);
  const secret = opts.contextSecret ?? process.env.LLM_CONTEXT_SECRET;
  if (secret) await installContextSecret(adminUrl, secret);
  const { created: partitionsCreated } = await maintainPartitions(adminUrl);
  // Last: what the next migrate and every worker check the database against, and what it is recorded at (src/db/catalog-guard.ts).
  await withClient(urlForRole(adminUrl, 'llm_owner'), async (c) =>
    c.query('update llm_private.schema_state set catalog = $1, catalog_stamp = $2', [await readCatalog(c), await catalogStamp(c)]));
  const roleSettingsDrift = manageRoles ? [] : await withClient(adminUrl, async (c) => (await c.query<{ line: string }>(
    `select format('%s %s %s: %s -> %s', role_name, scope, parameter, coalesce(declared, '(none)'), coalesce(now, '(none)')) as line
       from llm.role_settings_drift order by 1`)).rows.map((r) => r.line));
  const after = await upgradeState(adminUrl);
  const workerSessions = await withClient(adminUrl, async (c) => Number((await c.query(
    `select count(*) as n from pg_catalog.pg_stat_activity where datname = current_database() and usename = 'llm_worker'`)).rows[0].n));
  return { database, apiReplayed, partitionsCreated, pgvector, rolesManaged: manageRoles, roleSettingsDrift,
    migrationsApplied: after.migrations.filter((m) => !before.migrations.includes(m)),
    apiGeneration: { before: before.generation, after: after.generation ?? 0 }, workerSessions };
}
