/** Runs `src/cli/worker.ts` in a child process (a real second worker), capturing its log lines. */
import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { localProviderConfig, LOCAL_KEY_ENV } from '../../src/provider/local-config';

const ROOT = join(__dirname, '..', '..');

export interface ChildWorker {
  proc: ChildProcess;
  lines: string[];
  ready: Promise<void>;
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export function spawnWorker(opts: { databaseUrl: string; mockBaseUrl: string; key: string; callTimeoutMs?: number; env?: Record<string, string> }): ChildWorker {
  const providers = JSON.stringify([localProviderConfig(opts.mockBaseUrl)]);
  // `node --import tsx`, not the tsx CLI: the CLI runs the script in a grandchild that a SIGKILL would miss.
  const proc = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'cli', 'worker.ts')], {
    cwd: ROOT,
    env: {
      ...process.env, DATABASE_URL: opts.databaseUrl, LLM_PROVIDERS: providers, [LOCAL_KEY_ENV]: opts.key,
      LLM_CALL_TIMEOUT_MS: String(opts.callTimeoutMs ?? 2000), WORKER_CONCURRENCY: '1', WORKER_POLL_INTERVAL_MS: '100',
      LOG_LEVEL: 'info', ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let buf = '';
  let resolveReady!: () => void;
  let rejectReady!: (e: Error) => void;
  const ready = new Promise<void>((res, rej) => ((resolveReady = res), (rejectReady = rej)));
  const onData = (d: Buffer) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      lines.push(line);
      if (line.includes('"event":"worker_started"')) resolveReady();
    }
  };
  proc.stdout!.on('data', onData);
  proc.stderr!.on('data', onData);
  const exited = new Promise<number | null>((res) => proc.once('exit', (code) => res(code)));
  proc.once('exit', (code) => rejectReady(new Error(`worker exited (${code}) before it started:\n${lines.join('\n')}`)));
  return {
    proc, lines, ready, exited,
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      await exited;
    },
  };
}
