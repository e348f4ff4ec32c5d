/**
 * README-as-test. A fenced block is tested when the line before it is a marker comment:
 *
 *   <!-- test: sql as=llm_app -->        run with psql (ON_ERROR_STOP) as that role; -v secret=<LLM_CONTEXT_SECRET>
 *   <!-- test: sql as=llm_operator wait=jobs expect=/done/ -->   then wait for the LLM jobs; the output must match
 *   <!-- test: sh -->                    run with bash -euo pipefail in the repository, DATABASE_URL etc. set
 *   <!-- test: json config -->           must load as an LLM_CONFIG_FILE
 *   <!-- test: json providers -->        must load as LLM_PROVIDERS
 *
 * Options: as=<role|admin> (sql; default admin), wait=jobs (sql, sh), expect=/regex/ (sql, sh: the
 * output must match), skip=<reason> (listed, not run). Blocks run in document order against one
 * database, as a reader pastes them one after the other.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestedBlock {
  /** 1-based line of the opening fence. */
  line: number;
  kind: 'sql' | 'sh' | 'json';
  lang: string;
  /** The word after the kind: for json, `config` or `providers`. */
  variant: string | null;
  options: Record<string, string>;
  text: string;
}

const MARKER = /^<!--\s*test:\s*(sql|sh|json)(?:\s+(config|providers))?((?:\s+[a-z]+=(?:\/[^/]*\/|[^\s>]+))*)\s*-->\s*$/;

/** The marked blocks, in order. A marker not followed by a fence, or a malformed marker, is an error. */
export function extractBlocks(markdown: string): TestedBlock[] {
  const lines = markdown.split('\n');
  const blocks: TestedBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (!/^<!--\s*test:/.test(l)) continue;
    const m = MARKER.exec(l);
    if (!m) throw new Error(`README line ${i + 1}: malformed test marker: ${l}`);
    const fence = /^(```+)(\w*)\s*$/.exec(lines[i + 1] ?? '');
    if (!fence) throw new Error(`README line ${i + 1}: a test marker must be followed by a fenced block`);
    const end = lines.findIndex((x, j) => j > i + 1 && x.startsWith(fence[1]!));
    if (end < 0) throw new Error(`README line ${i + 2}: unterminated fenced block`);
    const options = Object.fromEntries([...(m[3] ?? '').matchAll(/([a-z]+)=(\/[^/]*\/|[^\s>]+)/g)].map((o) => [o[1]!, o[2]!]));
    blocks.push({ line: i + 2, kind: m[1] as TestedBlock['kind'], lang: fence[2] ?? '', variant: m[2] ?? null, options,
      text: lines.slice(i + 2, end).join('\n') });
    i = end;
  }
  return blocks;
}

export interface BlockEnv {
  /** Connection URL per role ('admin' = the administrator). */
  url(role: string): string;
  /** Environment for sh blocks. */
  env: NodeJS.ProcessEnv;
  cwd: string;
  secret: string;
  waitForJobs(): Promise<void>;
}

export interface BlockResult {
  ok: boolean;
  output: string;
  skipped?: string;
}

function expectation(b: TestedBlock): RegExp | null {
  const e = b.options.expect;
  return e ? new RegExp(e.replace(/^\/|\/$/g, ''), 'm') : null;
}

/** Runs one block; the result says what a reader would have seen. */
export async function runBlock(b: TestedBlock, e: BlockEnv, load: { config(path: string): unknown; providers(json: string): unknown }): Promise<BlockResult> {
  if (b.options.skip) return { ok: true, output: '', skipped: b.options.skip };
  let ok: boolean;
  let output: string;
  if (b.kind === 'json') {
    try {
      if (b.variant === 'providers') load.providers(b.text);
      else {
        const f = join(mkdtempSync(join(tmpdir(), 'readme-')), 'config.json');
        writeFileSync(f, b.text);
        load.config(f);
      }
      return { ok: true, output: '' };
    } catch (err) {
      return { ok: false, output: (err as Error).message };
    }
  }
  if (b.kind === 'sql') {
    const r = spawnSync('psql', ['-X', '-v', 'ON_ERROR_STOP=1', '-v', `secret=${e.secret}`, '-f', '-', e.url(b.options.as ?? 'admin')],
      { input: b.text, encoding: 'utf8', timeout: 60_000 });
    ok = r.status === 0;
    output = `${r.stdout}${r.stderr}`;
  } else {
    const r = spawnSync('bash', ['-euo', 'pipefail', '-c', b.text], { cwd: e.cwd, env: e.env, encoding: 'utf8', timeout: 300_000 });
    ok = r.status === 0;
    output = `${r.stdout}${r.stderr}`;
  }
  if (ok && b.options.wait === 'jobs') await e.waitForJobs();
  const want = expectation(b);
  if (ok && want && !want.test(output)) return { ok: false, output: `output does not match ${want}:\n${output}` };
  return { ok, output };
}
