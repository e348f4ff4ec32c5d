/**
 * Connection strings for each of our roles, derived from one administrator URL.
 * The roles are fixed (see sql/bootstrap/roles.sql); their passwords, where the server asks for
 * one, come from LLM_<ROLE>_PASSWORD (for example LLM_APP_PASSWORD). Nothing here is logged.
 */
export const ROLES = ['llm_owner', 'llm_worker', 'llm_app', 'llm_operator', 'llm_auditor', 'llm_exporter', 'llm_viewer'] as const;
export type Role = (typeof ROLES)[number];

export function urlForRole(adminUrl: string, role: Role, env: NodeJS.ProcessEnv = process.env): string {
  const url = new URL(adminUrl);
  url.username = role;
  const password = env[`${role.toUpperCase()}_PASSWORD`];
  url.password = password ? encodeURIComponent(password) : '';
  // The administrator's password may also ride in the query string: never hand it on to another role's login.
  url.searchParams.delete('password');
  return url.toString();
}

export function urlForDatabase(adminUrl: string, database: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

export function databaseName(url: string): string {
  const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
  if (!name) throw new Error('the database URL names no database');
  return name;
}

/** The URL with any password masked, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    if (u.searchParams.has('password')) u.searchParams.set('password', '***'); // libpq's ?password= form too
    return u.toString();
  } catch {
    return '<unparseable database url>';
  }
}

/**
 * The session settings our code reads the output of, pinned as startup options on every connection we open: they
 * outrank a role's or a database's default (ALTER DATABASE ... SET DateStyle = 'SQL, DMY' for an older application).
 * node-postgres parses timestamps only in ISO, and the catalog guard (src/db/catalog-guard.ts) compares constraint
 * definitions as PostgreSQL prints them (a CHECK's '92 days'::interval prints '92 0:00:00' under sql_standard).
 */
export const SESSION_PINS = '-c DateStyle=ISO,MDY -c IntervalStyle=postgres';

/**
 * The URL with SESSION_PINS (and `extra`, more `-c name=value` options) added after any options it carries, or else after
 * PGOPTIONS (node-postgres reads that variable only when the URL has no options, which it now always has: a DBA's
 * PGOPTIONS was ignored, review 92): in a connection string they override a Pool's or Client's own `options`, and the
 * last `-c` of a name wins.
 */
export function pinnedUrl(url: string, extra = '', env: NodeJS.ProcessEnv = process.env): string {
  const u = new URL(url);
  const given = u.searchParams.get('options') ?? env.PGOPTIONS ?? '';
  u.searchParams.set('options', [given, SESSION_PINS, extra].filter((s) => s.trim() !== '').join(' '));
  return u.toString();
}
