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
