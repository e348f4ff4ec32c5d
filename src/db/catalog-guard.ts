/**
 * The catalog objects the money and access rules stand on: row-level security policies, triggers (on every partition
 * too), event triggers, forced row security, owners and the grants to the runtime roles. Every migrate records them (llm_private.schema_state.catalog,
 * migration 000050); migrate and the worker then refuse a database that has lost one since: a `pg_restore --clean` that
 * stopped halfway had dropped every trigger and policy of a database whose tables and schema version stayed, and
 * `npm run migrate` found it "at head" (review 79). Read from the catalogs alone, not through our functions, which such
 * a database may have lost too. Objects a DBA added are not ours to judge and are not reported.
 */
import type { ClientBase, Pool } from 'pg';

const SCHEMAS = `array['llm', 'llm_private', 'llm_queue', 'llm_maint']`;

/** One line per guarded fact, sorted; partitions are counted per parent, so that new and dropped months change nothing. */
export const CATALOG_SQL = `
with ours as (
  select c.oid, n.nspname || '.' || c.relname as name, c.relkind, c.relispartition, c.relrowsecurity, c.relforcerowsecurity, c.relowner
    from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
   where n.nspname = any (${SCHEMAS}) and c.relkind in ('r', 'p', 'v')
), parts as (
  select i.inhparent as parent, p.* from pg_catalog.pg_inherits i join ours p on p.oid = i.inhrelid
), granted as (
  -- Every relation of ours but the partitions (which carry no grants: access goes through the parent), with its grants.
  select c.oid, n.nspname || '.' || c.relname as name, c.relowner, c.relacl
    from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
   where n.nspname = any (${SCHEMAS}) and c.relkind in ('r', 'p', 'v', 'm', 'S', 'f') and not c.relispartition
), facts as (
  -- A policy by what it does: its command, roles and expressions (one turned to using (true) is a loss too).
  select format('policy %s %s %s to %s %s', o.name, p.polname, p.polcmd,
                (select string_agg(x.n, ',' order by x.n)
                   from (select case when r = 0 then 'public' else pg_catalog.pg_get_userbyid(r)::text end as n
                           from unnest(p.polroles) r) x),
                md5(regexp_replace(coalesce(pg_catalog.pg_get_expr(p.polqual, p.polrelid), '') || '|' ||
                                   coalesce(pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid), ''), '[()[:space:]]', '', 'g'))) as fact
    from pg_catalog.pg_policy p join ours o on o.oid = p.polrelid
  union all
  -- A trigger by its definition and whether it fires (O origin, D disabled, R replica only, A always).
  select format('trigger %s %s enabled=%s %s', o.name, t.tgname, t.tgenabled,
                md5(regexp_replace(pg_catalog.pg_get_triggerdef(t.oid), '[()[:space:]]', '', 'g')))
    from pg_catalog.pg_trigger t join ours o on o.oid = t.tgrelid
   where not t.tgisinternal and not o.relispartition
  union all
  -- A parent's trigger on its partitions (a row trigger's clones, a statement trigger's copies): each with the same name,
  -- function and firing as the parent's.
  select format('trigger %s %s on its partitions: %s', o.name, t.tgname,
                coalesce(nullif((select count(*) from parts q
                                  where q.parent = o.oid
                                    and not exists (select 1 from pg_catalog.pg_trigger x
                                                     where x.tgrelid = q.oid and x.tgname = t.tgname and x.tgfoid = t.tgfoid
                                                       and x.tgenabled = t.tgenabled)), 0)::text
                         || ' lack it or fire it otherwise', 'all'))
    from pg_catalog.pg_trigger t join ours o on o.oid = t.tgrelid
   where not t.tgisinternal and o.relkind = 'p'
  union all
  -- Checks and keys by their definition (a restore without --exit-on-error can lose one alone). Definitions are compared
  -- without parentheses and white space: a dump and restore gives some checks back with other brackets (ANY (ARRAY[..])).
  select format('constraint %s %s %s', o.name, c.conname, md5(regexp_replace(pg_catalog.pg_get_constraintdef(c.oid), '[()[:space:]]', '', 'g')))
    from pg_catalog.pg_constraint c join ours o on o.oid = c.conrelid
   where not o.relispartition and c.contype in ('c', 'p', 'u', 'f', 'x')
  union all
  select format('row security %s %s', o.name,
                case when o.relforcerowsecurity and o.relrowsecurity then 'forced' when o.relrowsecurity then 'enabled, not forced' else 'off' end)
    from ours o where o.relkind in ('r', 'p') and not o.relispartition
  union all
  select format('row security %s on its partitions: %s', o.name,
                coalesce(nullif((select count(*) from parts q where q.parent = o.oid
                                  and not (q.relrowsecurity and q.relforcerowsecurity)), 0)::text || ' not forced', 'all forced'))
    from ours o where o.relkind = 'p'
  union all
  select format('owner %s %s', o.name, pg_catalog.pg_get_userbyid(o.relowner)) from ours o where not o.relispartition
  union all
  select format('owner schema %s %s', n.nspname, pg_catalog.pg_get_userbyid(n.nspowner))
    from pg_catalog.pg_namespace n where n.nspname = any (${SCHEMAS} || array['graphile_worker'])
  union all
  select format('event trigger %s enabled=%s', e.evtname, e.evtenabled) from pg_catalog.pg_event_trigger e where e.evtname like 'llm\\_%'
  union all
  -- Grants to the runtime roles: on a relation, a column, a function and a schema. A restore with --no-acl (or --no-privileges), or a revoke
  -- by hand, leaves every runtime role without them: the database stays "at head" and every call fails with 42501, and
  -- the worker, which cannot read the schema's version then, sends the operator back to migrate (review 89). The owner's
  -- own privileges are left out (implicit once the ACL is gone); a grant a DBA adds is not a loss.
  select format('grant %s %s to %s', g.name, x.privilege_type,
                case when x.grantee = 0 then 'public' else pg_catalog.pg_get_userbyid(x.grantee)::text end)
    from granted g cross join lateral aclexplode(g.relacl) x
   where x.grantee <> g.relowner
  union all
  select format('grant %s.%s %s to %s', g.name, a.attname, x.privilege_type,
                case when x.grantee = 0 then 'public' else pg_catalog.pg_get_userbyid(x.grantee)::text end)
    from granted g join pg_catalog.pg_attribute a on a.attrelid = g.oid and a.attnum > 0 and not a.attisdropped
    cross join lateral aclexplode(a.attacl) x
   where x.grantee <> g.relowner
  union all
  select format('grant function %s.%s(%s) %s to %s', n.nspname, p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid),
                x.privilege_type, case when x.grantee = 0 then 'public' else pg_catalog.pg_get_userbyid(x.grantee)::text end)
    from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace
    cross join lateral aclexplode(p.proacl) x
   where n.nspname = any (${SCHEMAS}) and x.grantee <> p.proowner
  union all
  select format('grant schema %s %s to %s', n.nspname, x.privilege_type,
                case when x.grantee = 0 then 'public' else pg_catalog.pg_get_userbyid(x.grantee)::text end)
    from pg_catalog.pg_namespace n cross join lateral aclexplode(n.nspacl) x
   where n.nspname = any (${SCHEMAS}) and x.grantee <> n.nspowner
  union all
  -- Who may create (temporary tables above all) in this database: a copy made with CREATE DATABASE ... TEMPLATE has
  -- PostgreSQL's default grants until a migrate, and a login's own temporary table with a trigger of its own passes the
  -- guards that only ask whether a trigger wrote (review 83).
  select format('database %s to %s', x.privilege_type, case when x.grantee = 0 then 'public' else pg_catalog.pg_get_userbyid(x.grantee)::text end)
    from pg_catalog.pg_database d
    cross join lateral aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) x
   where d.datname = current_database() and x.privilege_type in ('TEMPORARY', 'CREATE')
)
select fact from facts order by fact collate "C"`;

export async function readCatalog(c: ClientBase | Pool): Promise<string[]> {
  return (await c.query<{ fact: string }>(CATALOG_SQL)).rows.map((r) => r.fact);
}

/**
 * The format of the facts, after the API's hash in the stamp (`<api hash>/f2 <migration>`). A release before the format's
 * (no `/`) compares the whole first field, so it finds a catalog recorded by a later format not comparable and skips its
 * check, rather than calling the facts only the later one reads lost: 'f2' (review 89) added the grants, and a worker of the
 * release before, of the same API generation, would have refused every database this release migrated as damaged. A later
 * format reads every fact an earlier one did (a superset), so this release compares a catalog of an earlier format too.
 */
const CATALOG_FORMAT = 'f2';

/**
 * What the catalog is recorded at: the applied API and the last committed migration (a migrate that stopped halfway
 * differs). The worker's login does not read graphile-migrate's table: it compares the API alone, which suffices where it
 * runs (an API of this code's hash was replayed after every migration this code has).
 */
export async function catalogStamp(c: ClientBase | Pool): Promise<string> {
  const { rows: [r] } = await c.query<{ api: string; readable: boolean | null }>(
    `select coalesce((select s.api_hash from llm_private.schema_state s), '') as api,
            has_schema_privilege(to_regnamespace('graphile_migrate'), 'usage')
              and has_table_privilege(to_regclass('graphile_migrate.migrations'), 'select') as readable`);
  // A separate query: the table's name is resolved when a query is planned, and without USAGE on its schema that fails.
  const migration = r!.readable
    ? (await c.query<{ f: string | null }>('select max(filename) as f from graphile_migrate.migrations')).rows[0]?.f ?? '' : '';
  return `${r!.api}/${CATALOG_FORMAT} ${migration}`;
}

function sameStamp(recorded: string | null, now: string): boolean {
  if (recorded === null) return false;
  const [api, migration] = now.split(' ');
  const [rApi, rMigration] = recorded.split(' ');
  const hash = (s: string | undefined) => (s ?? '').split('/')[0]; // the format aside: see CATALOG_FORMAT
  return hash(api) === hash(rApi) && (migration === '' || migration === rMigration);
}

/**
 * What the database lost since its last migrate recorded its catalog: facts recorded and no longer true. Empty when
 * nothing is lost; when nothing was recorded (a database last migrated before migration 000050); and when the database
 * is no longer at the API and migrations it was recorded at (a migrate that stopped after a migration that renamed a
 * trigger or a policy: the next migrate finishes and records again).
 */
export async function lostCatalogFacts(c: ClientBase | Pool): Promise<string[]> {
  const { rows: [has] } = await c.query<{ ok: boolean }>(`select exists (select 1 from pg_catalog.pg_attribute
      where attrelid = to_regclass('llm_private.schema_state') and attname = 'catalog_stamp' and not attisdropped) as ok`);
  if (!has?.ok) return [];
  const { rows } = await c.query<{ catalog: string[] | null; catalog_stamp: string | null }>(
    'select catalog, catalog_stamp from llm_private.schema_state');
  const recorded = rows[0]?.catalog;
  if (!recorded || !sameStamp(rows[0]?.catalog_stamp ?? null, await catalogStamp(c))) return [];
  const now = new Set(await readCatalog(c));
  return recorded.filter((f) => !now.has(f) && !othersGrant(f));
}

/** The roles our grants go to (sql/bootstrap/roles.sql). */
const OUR_GRANTEES = new Set(['public', 'llm_owner', 'llm_worker', 'llm_app', 'llm_money', 'llm_operator', 'llm_auditor', 'llm_exporter', 'llm_viewer']);

/**
 * A grant to a role not ours (a DBA's reporting role; PUBLIC is ours: our roles hold what it holds) is recorded but is not ours to miss: one a DBA gave, which the
 * next migrate recorded, then revoked (or whose role was dropped), made migrate and every worker restart refuse the
 * database as damaged (helper 92). Grants to our roles are what a restore with --no-acl loses.
 */
function othersGrant(fact: string): boolean {
  if (!fact.startsWith('grant ')) return false;
  const to = fact.lastIndexOf(' to ');
  return to >= 0 && !OUR_GRANTEES.has(fact.slice(to + 4));
}

/**
 * The database's own grants are not migrate's to refuse: its database step sets them (a restore without --create and a
 * copy from a template both start from PostgreSQL's defaults). The worker refuses them until a migrate did.
 */
export const repairedByMigrate = (fact: string): boolean => fact.startsWith('database ');

/** The message both migrate and the worker give for a database that lost guarded objects. */
export function lostCatalogMessage(lost: string[]): string {
  if (lost.every(repairedByMigrate)) {
    return `the database's own grants are not those its last migrate set (${lost.join('; ')}): a copy made from a template, or a ` +
      'restore, not migrated yet; under PostgreSQL\'s defaults every login may create temporary tables. Run `npm run migrate` first.';
  }
  const shown = lost.slice(0, 8).join('; ');
  return `the database lost ${lost.length} object(s) or setting(s) the money and access rules stand on since its last migrate ` +
    `(${shown}${lost.length > 8 ? '; ...' : ''}). A pg_restore --clean that stopped halfway, a restore with --no-owner or --no-acl, or a ` +
    'trigger, policy or grant dropped, disabled or revoked by hand: nothing was changed. Restore a backup into a new, empty database (README: Backups and restore), or put back what ' +
    'was dropped; migrate cannot, the policies are created by migrations that ran long ago. An object of your own that you ' +
    'dropped on purpose: `npm run migrate -- --accept-catalog` records the catalog as it is.';
}
