/**
 * Runs every pgTAP file in test/sql and reports each assertion as its own jest test, with
 * pgTAP's diagnostics on failure. A plan mismatch, a missing plan or an error fails the file.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { TEMPLATE_ENV, TEST_ADMIN_URL } from './support/admin';

interface Assertion { n: number; ok: boolean; description: string; diagnostics: string[] }
interface FileResult { tap: string[]; error: string | null; notices: string[] }

const dir = join(__dirname, 'sql');
const files = readdirSync(dir).filter((f) => f.endsWith('.sql')).sort();
const template = process.env[TEMPLATE_ENV];
if (!template) throw new Error(`${TEMPLATE_ENV} is not set: run through jest (global-setup.ts)`);

const raw = execFileSync(
  process.execPath,
  [join(__dirname, 'support', 'run-pgtap.js'), TEST_ADMIN_URL, template, ...files.map((f) => join(dir, f))],
  { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
);
const results: Record<string, FileResult> = JSON.parse(raw).files;

function parseTap(lines: string[]): { plan: number | null; assertions: Assertion[] } {
  let plan: number | null = null;
  const assertions: Assertion[] = [];
  for (const line of lines) {
    const p = /^1\.\.(\d+)/.exec(line);
    const a = /^(not ok|ok) (\d+)(?: - (.*))?$/.exec(line);
    if (p) plan = Number(p[1]);
    else if (a) assertions.push({ ok: a[1] === 'ok', n: Number(a[2]), description: a[3] ?? '', diagnostics: [] });
    else if (line.startsWith('#') && assertions.length) assertions[assertions.length - 1]!.diagnostics.push(line);
  }
  return { plan, assertions };
}

for (const file of files) {
  const result = results[file]!;
  const { plan, assertions } = parseTap(result.tap);
  describe(`sql/${file}`, () => {
    for (const a of assertions) {
      test(`${a.n} - ${a.description || '(no description)'}`, () => {
        if (!a.ok) throw new Error(`not ok ${a.n} - ${a.description}\n${a.diagnostics.join('\n')}`);
      });
    }
    test('runs to the end of its plan', () => {
      if (result.error) throw new Error(`the file raised: ${result.error}`);
      expect(plan).not.toBeNull();
      expect(assertions.length).toBe(plan);
    });
  });
}
