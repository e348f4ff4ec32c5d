/**
 * `npm run db`: the embedded database of the demo, kept running, with its connection strings.
 * Starts it (or finds it already running), migrates it, and prints the environment that
 * `npm run audit`, `npm run migrate`, `npm run worker`, `npm run sync-config` and psql need.
 * Unless --no-worker, a worker runs beside it (the configured providers, or the local provider of
 * the demo), so that requests enqueued from psql are answered, as in the README.
 * Runs until Ctrl-C when it started the server; exits at once when another process runs it.
 * `npm run -s db -- --env` prints only the `export` lines (for `eval "$(...)"`), of a running server.
 */
import { relative } from 'node:path';
import { Client } from 'pg';
import { DEFAULT_EMBEDDED_PORT, PG_DIR, EMBEDDED_DATABASE, embeddedEnv, EmbeddedRunningError, runningEmbedded, startEmbedded } from '../db/embedded';
import { migrateAll } from '../db/migrate';
import { ROLES, urlForRole } from '../db/urls';
import { startLocalWorker, type LocalWorker } from './local-worker';
import { stopSignal } from '../signals';

const say = (s: string) => process.stdout.write(`${s}\n`);
const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export function exportLines(env: Record<string, string>): string[] {
  return Object.entries(env).map(([k, v]) => `export ${k}=${q(v)}`);
}

function printConnection(port: number, own: boolean, pid = process.pid): void {
  const env = embeddedEnv(port);
  say(`db: embedded PostgreSQL on 127.0.0.1:${port}, database ${EMBEDDED_DATABASE}, data in ${relative(process.cwd(), PG_DIR) || PG_DIR}` +
    (own ? ' (Ctrl-C stops it)' : ` (run by another process): server pid ${pid}`));
  say('');
  say('# In another shell, paste these; then npm run audit / migrate / worker / sync-config work against it:');
  for (const l of exportLines(env)) say(l);
  say('');
  say('# psql as each role (passwords are in .data/secrets.json, mode 600):');
  say(`psql ${q(env.DATABASE_URL!)}   # administrator`);
  for (const r of ROLES) {
    // The application signs its context with the secret: psql gets it as the variable :'secret'.
    say(`psql ${q(urlForRole(env.DATABASE_URL!, r, env))}${r === 'llm_app' ? ` -v secret=${q(env.LLM_CONTEXT_SECRET!)}` : ''}`);
  }
}

async function main(argv: string[]): Promise<number> {
  const port = Number(process.env.EMBEDDED_PG_PORT ?? DEFAULT_EMBEDDED_PORT);
  const running = runningEmbedded();
  if (argv.includes('--env')) {
    if (!running) {
      process.stderr.write('db: no embedded PostgreSQL is running: start it with `npm run db` (or `npm start`)\n');
      return 1;
    }
    for (const l of exportLines(embeddedEnv(running.port))) say(l);
    return 0;
  }
  if (running) {
    printConnection(running.port, false, running.pid);
    return 0;
  }
  // Ctrl-C stops the worker first, then the server (startEmbedded's callerStops): handled from
  // here on, so a Ctrl-C during start-up also ends in a clean stop.
  const stopRequested = stopSignal();
  const server = await startEmbedded(undefined, port, { callerStops: true });
  let local: LocalWorker | null = null;
  try {
    const m = await migrateAll(server.adminUrl);
    say(`db: database ${m.database} is at head`);
    if (!argv.includes('--no-worker')) {
      const env = { ...process.env, DATABASE_URL: server.adminUrl };
      local = await startLocalWorker(env, (s) => say(`db: ${s}`));
      say(`db: a worker runs beside it (${local.cfg.providers.map((p) => p.name).join(', ')}): jobs you enqueue are answered (--no-worker: none)`);
    }
    printConnection(server.port, true);
    await stopRequested;
    say('db: stopping');
    return 0;
  } finally {
    await local?.stop();
    await clientsGone(server.adminUrl);
    await server.stop();
  }
}

/**
 * Waits (at most `ms`) until no other client is connected. A pool's end() resolves before its
 * sockets have closed: a server stopped at that moment would still terminate their backends, and
 * each would log "terminating connection due to administrator command".
 */
async function clientsGone(adminUrl: string, ms = 5000): Promise<void> {
  const c = new Client({ connectionString: adminUrl });
  try {
    await c.connect();
    for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) {
      const { rows } = await c.query<{ n: number }>(`select count(*)::int as n from pg_stat_activity
        where backend_type = 'client backend' and pid <> pg_backend_pid()`);
      if (rows[0]!.n === 0) break;
    }
  } catch {
    // the server is going anyway
  } finally {
    await c.end().catch(() => {});
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`db: ${e instanceof EmbeddedRunningError ? e.message : ((e as Error)?.message ?? String(e))}\n`);
      process.exit(1);
    },
  );
}
