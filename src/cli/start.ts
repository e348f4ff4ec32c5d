/**
 * `npm start`: the product's main job. Uses DATABASE_URL, or boots an embedded PostgreSQL when it
 * is unset; migrates to head; prints a short status.
 */
import { Client } from 'pg';
import { migrateAll } from '../db/migrate';
import { startEmbedded, EmbeddedServer } from '../db/embedded';
import { redactUrl, urlForRole } from '../db/urls';

async function main(): Promise<void> {
  let server: EmbeddedServer | null = null;
  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    const port = Number(process.env.EMBEDDED_PG_PORT ?? 54329);
    console.log(`start: no DATABASE_URL, booting embedded PostgreSQL on 127.0.0.1:${port} (data in .data/pg)`);
    server = await startEmbedded('llm_governor', port);
    adminUrl = server.adminUrl;
  }
  try {
    const m = await migrateAll(adminUrl);
    const c = new Client({ connectionString: urlForRole(adminUrl, 'llm_auditor') });
    await c.connect();
    try {
      const { rows } = await c.query(`
        select version() as server,
               (select api_hash from llm_private.schema_state) as api_hash,
               (select count(*) from llm_private.tenants)::int as tenants,
               (select count(*) from llm_private.users)::int as users`);
      const s = rows[0];
      console.log(`start: database ${m.database} at ${redactUrl(adminUrl)}`);
      console.log(`start: server ${String(s.server).split(' on ')[0]}`);
      console.log(`start: schema at head (api ${String(s.api_hash).slice(0, 12)}), tenants ${s.tenants}, users ${s.users}`);
    } finally {
      await c.end();
    }
  } finally {
    if (server) await server.stop();
  }
}

main().catch((e) => {
  console.error(`start: ${(e as Error).message}`);
  process.exit(1);
});
