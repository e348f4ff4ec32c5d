/** Runs promtool (Debian package `prometheus`); a missing promtool fails the test and says how to install it. */
import { spawnSync } from 'node:child_process';

export const PROMTOOL = process.env.PROMTOOL ?? 'promtool';

export interface PromtoolResult { status: number; output: string }

export function promtool(args: string[], input?: string): PromtoolResult {
  const r = spawnSync(PROMTOOL, args, { input, encoding: 'utf8', timeout: 60_000 });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new Error(`promtool not found (${PROMTOOL}): install it with apt-get install -y prometheus, or set PROMTOOL. ` +
      'These checks do not pass without it.');
  }
  if (r.error) throw r.error;
  return { status: r.status ?? -1, output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}
