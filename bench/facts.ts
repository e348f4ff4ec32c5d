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
  node: string;
  pgbench: string;
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
  const { rows } = await admin.query<Record<string, string>>(`select version() as version,
      current_setting('shared_buffers') as shared_buffers, current_setting('synchronous_commit') as synchronous_commit,
      current_setting('fsync') as fsync, current_setting('max_connections') as max_connections,
      current_setting('work_mem') as work_mem`);
  const s = rows[0]!;
  return {
    nproc: tryExec('nproc', []) ?? String(cpus().length),
    cpu: cpus()[0]?.model ?? 'unknown',
    memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    loadStart: load(),
    postgres: s.version!,
    pgSettings: `shared_buffers=${s.shared_buffers}, synchronous_commit=${s.synchronous_commit}, fsync=${s.fsync}, max_connections=${s.max_connections}, work_mem=${s.work_mem}`,
    node: process.version,
    pgbench: tryExec(pgbenchBin, ['--version']) ?? 'unknown',
  };
}

export function factsMarkdown(f: MachineFacts, loadEnd: string): string {
  return [
    `- nproc: ${f.nproc} (${f.cpu})`,
    `- memory: ${f.memory}`,
    `- load average (1/5/15 min) at start: ${f.loadStart}; at end: ${loadEnd}`,
    `- PostgreSQL: ${f.postgres}`,
    `- server settings: ${f.pgSettings}`,
    `- Node: ${f.node}`,
    `- ${f.pgbench}`,
  ].join('\n');
}
