/**
 * Turning a failed login into a message a user can act on. node-postgres says
 * "SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a string" when the server wants a
 * password and none was given, naming neither the role nor where the password comes from. Each of
 * our roles reads its password from LLM_<ROLE>_PASSWORD; this names both.
 */
import { Client } from 'pg';
import { sqlState } from '../errors';
import { type Role, urlForRole } from './urls';

export function passwordEnv(role: string): string {
  return `${role.toUpperCase()}_PASSWORD`;
}

/** True for the errors a missing or wrong password produces. */
export function isLoginError(e: unknown): boolean {
  const code = sqlState(e);
  const msg = String((e as Error)?.message ?? '');
  return code === '28P01' || code === '28000' || /SASL|client password must be a string|password authentication failed|no password (was )?supplied/i.test(msg);
}

/** The message for a login failure of `role` (or of the administrator URL when role is null). */
export function loginMessage(role: Role | null, env: NodeJS.ProcessEnv = process.env): string {
  if (role === null) return 'the administrator login in DATABASE_URL was refused: check the user and password in DATABASE_URL';
  const name = passwordEnv(role);
  return env[name]
    ? `role ${role} could not log in with the password in ${name}: check it (for the embedded database, \`npm run db\` prints the right one)`
    : `role ${role} needs a password: set ${name} (for the embedded database, \`npm run db\` prints it)`;
}

/**
 * After a login failure somewhere inside a multi-role command (migrate connects as the
 * administrator, llm_owner and llm_worker): find the first of `roles` that cannot log in.
 */
export async function diagnoseLogin(adminUrl: string, roles: readonly Role[], env: NodeJS.ProcessEnv = process.env): Promise<string | null> {
  if (!(await canLogIn(adminUrl))) return loginMessage(null, env);
  for (const role of roles) if (!(await canLogIn(urlForRole(adminUrl, role, env)))) return loginMessage(role, env);
  return null;
}

async function canLogIn(url: string): Promise<boolean> {
  const c = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  c.on('error', () => {});
  try {
    await c.connect();
    return true;
  } catch (e) {
    return !isLoginError(e);
  } finally {
    await c.end().catch(() => {});
  }
}
