/**
 * A PostgreSQL 15 cluster of a test's own (initdb in a temp directory, trust auth, a free port): for what a shared
 * server cannot show, such as a crash of every process (settle-crash.test.ts) or a cluster that has never seen our
 * roles (backup-restore.test.ts). Run as the postgres OS user when the tests run as root (PostgreSQL refuses root).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeServerPort } from './ports';

export const PG_BINDIR = process.env.PG_BINDIR || '/usr/lib/postgresql/15/bin';
const asRoot = process.getuid?.() === 0;

/** Runs a binary of the server's release (PG_BINDIR), as the postgres OS user when we are root. */
export function pgBin(cmd: string, args: string[]): string {
  const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(PG_BINDIR, cmd), ...args]] : [join(PG_BINDIR, cmd), args];
  return execFileSync(file, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export interface PrivateCluster {
  dir: string;
  data: string;
  port: number;
  /** The superuser's URL of one database of this cluster. */
  url(database: string): string;
  start(): void;
  /** Stops the server (immediate) if it runs, and removes its directory. */
  destroy(): void;
}

/** initdb and start; `settings` are extra `-c name=value` server options. */
export async function createPrivateCluster(name: string, settings: string[] = []): Promise<PrivateCluster> {
  const dir = mkdtempSync(join(tmpdir(), `llmgov-${name}-`));
  chmodSync(dir, 0o755);
  if (asRoot) execFileSync('chown', ['postgres:postgres', dir]);
  const data = join(dir, 'data');
  const port = await freeServerPort();
  const opts = [`-p ${port}`, '-c listen_addresses=127.0.0.1', `-c unix_socket_directories=${dir}`, ...settings.map((s) => `-c ${s}`)].join(' ');
  const cluster: PrivateCluster = {
    dir, data, port,
    url: (database) => `postgres://postgres@127.0.0.1:${port}/${database}`,
    start: () => void pgBin('pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-w', '-t', '60', '-o', opts, 'start']),
    destroy() {
      if (existsSync(join(data, 'postmaster.pid'))) {
        try {
          pgBin('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
        } catch { /* already gone */ }
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    pgBin('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync']);
    cluster.start();
  } catch (e) {
    cluster.destroy();
    throw e;
  }
  return cluster;
}
