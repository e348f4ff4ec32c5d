/**
 * `npm run commit-migration -- "<message>"`: moves migrations/current.sql into migrations/committed/
 * as the next numbered migration with graphile-migrate's own header and hash chain (what
 * `graphile-migrate commit` writes), then empties current.sql. Unlike graphile-migrate's CLI it
 * needs no shadow database: `npm test` migrates a fresh database from scratch anyway.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MIGRATIONS_DIR } from '../db/migrate';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { calculateHash } = require('graphile-migrate/dist/hash') as { calculateHash(body: string, previous: string | null): string };

function main(message: string | undefined): void {
  if (!message || /[\r\n]/.test(message) || message.length > 512) throw new Error('usage: npm run commit-migration -- "<one-line message>"');
  const currentPath = join(MIGRATIONS_DIR, 'current.sql');
  const body = readFileSync(currentPath, 'utf8').trim();
  if (!body.split('\n').some((l) => l.trim() && !l.trim().startsWith('--'))) throw new Error('migrations/current.sql is blank');
  const dir = join(MIGRATIONS_DIR, 'committed');
  const files = readdirSync(dir).filter((f) => /^\d{6}/.test(f)).sort();
  const last = files[files.length - 1];
  const previous = last ? /--! Hash: (\S+)/.exec(readFileSync(join(dir, last), 'utf8'))?.[1] ?? null : null;
  const number = last ? Number.parseInt(last.slice(0, 6), 10) + 1 : 1;
  const slug = message.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
  const name = `${String(number).padStart(6, '0')}-${slug}.sql`;
  const hash = calculateHash(body, previous);
  writeFileSync(join(dir, name), `--! Previous: ${previous ?? '-'}\n--! Hash: ${hash}\n--! Message: ${message}\n\n${body}\n`);
  writeFileSync(currentPath, '-- Enter migration here\n');
  process.stdout.write(`committed migrations/committed/${name} (${hash})\n`);
}

try {
  main(process.argv[2]);
} catch (e) {
  process.stderr.write(`commit-migration: ${(e as Error).message}\n`);
  process.exit(1);
}
