/** Facts about the machine and server a run measured, printed above the table. */
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import type { Client } from 'pg';

export interface MachineFacts {
  nproc: string;
  cpu: string;
  memory: string;
  loadStart: string;
  postgres: string;
  pgSettings: string;
  autovacuum: string;
  node: string;
  pgbench: string;
  commit: string;
}

function tryExec(bin: string, args: string[]): string | null {
  try {
    return execFileSync(bin, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

export function load(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ');
}

export async function machineFacts(admin: Client, pgbenchBin: string): Promise<MachineFacts> {
  const { rows } = await admin.query<{ version: string; settings: string; autovacuum: string }>(`select version() as version,
      string_agg(name || '=' || current_setting(name), ', ' order by name) as settings,
      max(setting) filter (where name = 'autovacuum') as autovacuum
    from pg_settings
   where name in ('shared_buffers', 'fsync', 'synchronous_commit', 'full_page_writes', 'wal_sync_method', 'max_wal_size',
                  'checkpoint_timeout', 'autovacuum', 'max_connections', 'work_mem', 'jit', 'shared_preload_libraries', 'wal_level',
                  'track_io_timing', 'huge_pages')`);
  const s = rows[0]!;
  const commit = tryExec('git', ['-C', __dirname, 'rev-parse', '--short', 'HEAD']) ?? 'unknown';
  const dirty = tryExec('git', ['-C', __dirname, 'status', '--porcelain', '--untracked-files=no']);
  return {
    nproc: tryExec('nproc', []) ?? String(cpus().length),
    cpu: cpus()[0]?.model ?? 'unknown',
    memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    loadStart: load(),
    postgres: s.version,
    pgSettings: s.settings,
    autovacuum: s.autovacuum,
    node: process.version,
    pgbench: tryExec(pgbenchBin, ['--version']) ?? 'unknown',
    commit: `${commit}${dirty ? ' (with uncommitted changes)' : ''}`,
  };
}

export function factsMarkdown(f: MachineFacts, loadEnd: string): string {
  return [
    `- nproc: ${f.nproc} (${f.cpu})`,
    `- memory: ${f.memory}`,
    `- load average (1/5/15 min) at start: ${f.loadStart}; at end: ${loadEnd}`,
    `- PostgreSQL: ${f.postgres}`,
    `- server settings (left as the server has them; the bench changes none): ${f.pgSettings}`,
    `- autovacuum is ${f.autovacuum}: the bench runs VACUUM (ANALYZE) and CHECKPOINT itself between rounds and phases`,
    `- code: git ${f.commit}`,
    `- Node: ${f.node}`,
    `- ${f.pgbench}`,
  ].join('\n');
}
