/**
 * `npm run migrate`: brings DATABASE_URL (an administrator connection) to the current schema.
 * `npm run migrate -- --roles-only`: only the cluster's roles (sql/bootstrap/roles.sql), nothing of any database: the first
 * step of a restore onto a new cluster, before pg_restore (README "Backups and restore").
 * `npm run migrate -- --accept-catalog`: migrate a database that lost a recorded policy, trigger or owner, and record its
 * catalog as it is: only for an object of your own dropped on purpose (src/db/catalog-guard.ts).
 */
import { diagnoseLogin, isLoginError } from '../db/login-errors';
import { bootstrapRoles, migrateAll } from '../db/migrate';
import { semanticPathLine } from '../db/pgvector';
import { redactUrl, urlForDatabase } from '../db/urls';

async function main(args: string[]): Promise<number> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error('migrate: DATABASE_URL is not set (an administrator connection to the target database; `npm run db` prints the embedded one)');
    return 1;
  }
  const unknown = args.filter((a) => a !== '--roles-only' && a !== '--accept-catalog');
  if (unknown.length) {
    console.error(`migrate: unknown argument ${unknown[0]} (usage: npm run migrate [-- --roles-only | --accept-catalog])`);
    return 1;
  }
  try {
    if (args.includes('--roles-only')) {
      // The maintenance database: the target may not exist yet (a restore creates it after the roles).
      await bootstrapRoles(urlForDatabase(url, 'postgres'));
      console.log('migrate: --roles-only: the roles of sql/bootstrap/roles.sql are created or re-asserted; no database was touched');
      return 0;
    }
    const r = await migrateAll(url, { acceptCatalog: args.includes('--accept-catalog') });
    for (const n of r.pgvector.notices) console.log(`migrate: notice: ${n}`);
    console.log(`migrate: ${semanticPathLine(r.pgvector)}`);
    if (r.partitionsCreated) console.log(`migrate: ${r.partitionsCreated} monthly partition(s) created ahead`);
    if (!r.rolesManaged) {
      console.log('migrate: LLM_MANAGE_ROLES=0: the roles were checked, not created or re-asserted');
      for (const d of r.roleSettingsDrift) console.warn(`migrate: warning: role default differs from sql/bootstrap/roles.sql: ${d}`);
    }
    if (r.migrationsApplied.length > 0) {
      console.log(`migrate: applied ${r.migrationsApplied.length} migration(s): ${r.migrationsApplied.map((m) => m.slice(0, 6)).join(', ')}`);
    }
    const upgraded = r.apiGeneration.before !== null && r.apiGeneration.before !== r.apiGeneration.after;
    if (upgraded) console.log(`migrate: API generation ${r.apiGeneration.before} -> ${r.apiGeneration.after}`);
    console.log(`migrate: ${r.database} is at head${r.apiReplayed ? ' (API replayed)' : ' (nothing to do)'}`);
    if (upgraded && r.workerSessions > 0) {
      console.log(`migrate: ${r.workerSessions} session(s) of llm_worker are connected: workers of the release before keep its code ` +
        'until they restart; restart them on this release (README: Upgrades and rolling back)');
    }
    return 0;
  } catch (e) {
    const why = isLoginError(e) ? await diagnoseLogin(url, ['llm_owner', 'llm_worker']) : null;
    console.error(`migrate: ${redactUrl(url)}: ${why ?? (e as Error)?.message ?? String(e)}`);
    return 1;
  }
}

void main(process.argv.slice(2)).then((code) => process.exit(code));
