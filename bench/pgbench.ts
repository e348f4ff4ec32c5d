/** Runs pgbench as a child process and parses its summary. */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PgbenchResult {
  /** Steady-state tps (see steadyTps) when the per-transaction log allowed it, else pgbench's own figure. */
  tps: number;
  /** pgbench's own tps over the whole run (without initial connection time). */
  tpsAll: number;
  transactions: number;
  failed: number;
  latencyAvgMs: number | null;
  aborted: boolean;
  output: string;
}

/** Connection arguments for pgbench (and the password in the environment), from a URL. */
export function connArgs(url: string): { args: string[]; env: NodeJS.ProcessEnv } {
  const u = new URL(url);
  const args = ['-h', u.hostname || '127.0.0.1', '-p', u.port || '5432'];
  if (u.username) args.push('-U', decodeURIComponent(u.username));
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (u.password) env.PGPASSWORD = decodeURIComponent(u.password);
  return { args, env };
}

function dbOf(url: string): string {
  return decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
}

function exec(bin: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number, cwd?: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    execFile(bin, args, { env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, cwd }, (err, stdout, stderr) => {
      const out = `${stdout}${stderr}`;
      if (err && typeof (err as NodeJS.ErrnoException).code === 'string') {
        reject(new Error(`${bin}: ${err.message}`));
        return;
      }
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out });
    });
  });
}

/** `pgbench -i -s <scale>` into the database of `url` (tables pgbench_*, in schema public). */
export async function pgbenchInit(bin: string, url: string, scale: number): Promise<void> {
  const { args, env } = connArgs(url);
  const { code, out } = await exec(bin, ['-i', '-q', '-s', String(scale), ...args, dbOf(url)], env, 15 * 60_000);
  if (code !== 0) throw new Error(`pgbench -i failed (exit ${code}):\n${out}`);
}

export interface PgbenchRun {
  bin: string;
  url: string;
  script: string;
  clients: number;
  /** -T seconds, or */
  seconds?: number;
  /** -t script executions per client (exactly). */
  perClient?: number;
  /** -D name=value variables. */
  defines?: Record<string, string | number>;
}

/**
 * Steady-state throughput from pgbench's per-transaction log (-l): transactions completed in the
 * window where every client is past its first `skip` transactions (a new connection's first calls
 * compile the PL/pgSQL functions and plan their statements: half a second each on this machine)
 * and no client has finished yet (with -t, clients end at different times). Null when the window
 * is empty. Log lines: client_id transaction_no latency_us script_no epoch_s epoch_us.
 */
export function steadyTps(logText: string, skip: number): number | null {
  const perClient = new Map<number, number[]>();
  for (const line of logText.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 6) continue;
    const client = Number(f[0]);
    const at = Number(f[4]) + Number(f[5]) / 1e6;
    if (!Number.isFinite(client) || !Number.isFinite(at)) continue;
    let xs = perClient.get(client);
    if (!xs) perClient.set(client, (xs = []));
    xs.push(at);
  }
  if (!perClient.size) return null;
  let from = -Infinity;
  let to = Infinity;
  for (const xs of perClient.values()) {
    xs.sort((a, b) => a - b);
    if (xs.length <= skip) return null;
    from = Math.max(from, xs[skip - 1] ?? xs[0]!);
    to = Math.min(to, xs[xs.length - 1]!);
  }
  if (!(to > from)) return null;
  let n = 0;
  for (const xs of perClient.values()) for (const at of xs) if (at > from && at <= to) n++;
  return n / (to - from);
}

/**
 * Runs a custom script with -n, -T or -t, -c, -j (j = min(2, clients)) and -l, and parses tps and
 * failures. `tps` is the steady-state figure (steadyTps, skipping each client's first 3
 * transactions), the same method for our scripts and the baselines.
 */
export async function runPgbench(run: PgbenchRun): Promise<PgbenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'llmgov-bench-'));
  try {
    const file = join(dir, 'script.sql');
    writeFileSync(file, run.script);
    const { args, env } = connArgs(run.url);
    const defines = Object.entries(run.defines ?? {}).flatMap(([k, v]) => ['-D', `${k}=${v}`]);
    const length = run.perClient !== undefined ? ['-t', String(run.perClient)] : ['-T', String(run.seconds ?? 5)];
    const all = ['-n', ...length, '-c', String(run.clients), '-j', String(Math.min(2, run.clients)), '-l',
      '-f', file, ...defines, ...args, dbOf(run.url)];
    const { code, out } = await exec(run.bin, all, env, ((run.seconds ?? 0) + 600) * 1000, dir);
    const tps = /tps = ([0-9.]+) \(without initial connection time\)/.exec(out) ?? /tps = ([0-9.]+)/.exec(out);
    const tx = /number of transactions actually processed: (\d+)/.exec(out);
    const failed = /number of failed transactions: (\d+)/.exec(out);
    const lat = /latency average = ([0-9.]+) ms/.exec(out);
    const aborted = code !== 0 || /client \d+ aborted/.test(out);
    if (!tps || !tx) throw new Error(`pgbench produced no summary (exit ${code}):\n${out}`);
    const logs = readdirSync(dir).filter((f) => f.startsWith('pgbench_log.')).map((f) => readFileSync(join(dir, f), 'utf8')).join('\n');
    const steady = steadyTps(logs, 3);
    return {
      tps: steady ?? Number(tps[1]),
      tpsAll: Number(tps[1]),
      transactions: Number(tx[1]),
      failed: failed ? Number(failed[1]) : 0,
      latencyAvgMs: lat ? Number(lat[1]) : null,
      aborted,
      output: out,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The classic single-row UPDATE transaction (one random account of scale*100000). */
export function singleRowUpdateScript(scale: number): string {
  return [
    `\\set aid random(1, ${scale * 100000})`,
    'UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = :aid;',
    '',
  ].join('\n');
}

/** The same UPDATE on one row (aid = 1) for every client: the hot-row baseline. */
export function hotRowUpdateScript(): string {
  return ['UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = 1;', ''].join('\n');
}
