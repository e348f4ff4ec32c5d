/** `npm run migrate`: brings DATABASE_URL (an administrator connection) to the current schema. */
import { migrateAll } from '../db/migrate';
import { redactUrl } from '../db/urls';

const url = process.env.DATABASE_URL;
if (!url) {
  console.error('migrate: DATABASE_URL is not set (an administrator connection to the target database)');
  process.exit(1);
}
migrateAll(url)
  .then((r) => {
    console.log(`migrate: ${r.database} is at head${r.apiReplayed ? ' (API replayed)' : ' (nothing to do)'}`);
  })
  .catch((e) => {
    console.error(`migrate: ${redactUrl(url)}: ${(e as Error).message}`);
    process.exit(1);
  });
