/**
 * Hook steps for graphile-migrate's CLI workflow (.gmrc): `roles`, `database`, `api`.
 * `npm run migrate` runs the same steps itself (src/db/migrate.ts).
 */
import { afterApi, applyApi, bootstrapRoles, ensureDatabase, migrateWorkerSchema } from '../db/migrate';
import { databaseName, urlForDatabase } from '../db/urls';

async function main(step: string | undefined): Promise<void> {
  const root = process.env.ROOT_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const db = process.env.GM_DBNAME;
  switch (step) {
    case 'roles':
      return bootstrapRoles(root);
    case 'database':
      if (!db) throw new Error('GM_DBNAME is not set (run this from graphile-migrate)');
      await ensureDatabase(root, db);
      return migrateWorkerSchema(urlForDatabase(root, db));
    case 'api': {
      const url = process.env.GM_DBURL ?? process.env.DATABASE_URL;
      if (!url) throw new Error('GM_DBURL or DATABASE_URL must name the database');
      await applyApi(url, true);
      // The grants that depend on the API just replayed, as the administrator (sql/bootstrap/after-api.sql).
      return afterApi(urlForDatabase(root, databaseName(url)));
    }
    default:
      throw new Error('usage: bootstrap.ts roles|database|api');
  }
}

main(process.argv[2]).catch((e) => {
  console.error(`bootstrap: ${(e as Error).message}`);
  process.exit(1);
});
