/** `npm run migrate`: brings DATABASE_URL (an administrator connection) to the current schema. */
import { diagnoseLogin, isLoginError } from '../db/login-errors';
import { migrateAll } from '../db/migrate';
import { semanticPathLine } from '../db/pgvector';
import { redactUrl } from '../db/urls';

async function main(): Promise<number> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error('migrate: DATABASE_URL is not set (an administrator connection to the target database; `npm run db` prints the embedded one)');
    return 1;
  }
  try {
    const r = await migrateAll(url);
    for (const n of r.pgvector.notices) console.log(`migrate: notice: ${n}`);
    console.log(`migrate: ${semanticPathLine(r.pgvector)}`);
    if (r.partitionsCreated) console.log(`migrate: ${r.partitionsCreated} monthly partition(s) created ahead`);
    if (!r.rolesManaged) {
      console.log('migrate: LLM_MANAGE_ROLES=0: the roles were checked, not created or re-asserted');
      for (const d of r.roleSettingsDrift) console.warn(`migrate: warning: role default differs from sql/bootstrap/roles.sql: ${d}`);
    }
    console.log(`migrate: ${r.database} is at head${r.apiReplayed ? ' (API replayed)' : ' (nothing to do)'}`);
    return 0;
  } catch (e) {
    const why = isLoginError(e) ? await diagnoseLogin(url, ['llm_owner', 'llm_worker']) : null;
    console.error(`migrate: ${redactUrl(url)}: ${why ?? (e as Error)?.message ?? String(e)}`);
    return 1;
  }
}

void main().then((code) => process.exit(code));
