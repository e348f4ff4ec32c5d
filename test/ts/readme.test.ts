/**
 * Every README example marked `<!-- test: ... -->` runs as written (test/support/readme.ts), in
 * document order, against one fresh database with a worker and the local provider beside it: what
 * a new user has after `npm run db`. The harness itself is tested first, on a sample.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Pool } from 'pg';
import { syncConfig } from '../../src/cli/sync-config';
import { loadConfig, parseConfig } from '../../src/config';
import { urlForRole } from '../../src/db/urls';
import { createLogger } from '../../src/logger';
import { LOCAL_KEY_ENV, localProviderConfig } from '../../src/provider/local-config';
import { startMockProvider, type MockProvider } from '../../src/provider/mock-server';
import { waitForLlmJobs } from '../../src/worker/queue';
import { startWorker, type StartedWorker } from '../../src/worker/run';
import { createTestDb, type TestDb } from '../support/db';
import { extractBlocks, runBlock, type BlockEnv, type TestedBlock } from '../support/readme';

const ROOT = join(__dirname, '..', '..');
const SECRET = process.env.LLM_CONTEXT_SECRET ?? 's3cret-for-readme-tests';

const load = {
  config: (path: string) => loadConfig({ DATABASE_URL: 'postgres://x/y', LLM_CONFIG_FILE: path }),
  providers: (json: string) => loadConfig({ DATABASE_URL: 'postgres://x/y', LLM_PROVIDERS: json }),
};

function blockEnv(db: TestDb, waitForJobs: () => Promise<void> = async () => {}): BlockEnv {
  return {
    url: (role) => (role === 'admin' ? db.adminUrl : urlForRole(db.adminUrl, role as never)),
    env: { ...process.env, DATABASE_URL: db.adminUrl, LLM_CONTEXT_SECRET: SECRET },
    cwd: ROOT,
    secret: SECRET,
    waitForJobs,
  };
}

describe('the README harness, on a sample', () => {
  const sample = readFileSync(join(__dirname, '..', 'fixtures', 'readme-sample.md'), 'utf8');
  let db: TestDb;
  beforeAll(async () => {
    db = await createTestDb();
  });
  afterAll(async () => db.drop());

  test('extracts only marked blocks, with kinds, options and the line of the fence', () => {
    const blocks = extractBlocks(sample);
    expect(blocks.map((b) => [b.kind, b.variant, b.options])).toEqual([
      ['sql', null, { as: 'llm_auditor', expect: '/llm_auditor/' }],
      ['sql', null, {}],
      ['sql', null, { expect: '/^\\s+2$/' }],
      ['sql', null, { expect: '/s3cr/' }],
      ['sh', null, { expect: '/^hello postgres/' }],
      ['json', 'providers', {}],
      ['json', 'config', {}],
      ['sql', null, { skip: 'needs-a-gpu' }],
    ]);
    expect(sample.split('\n')[blocks[0]!.line - 1]).toBe('```sql');
    expect(blocks.some((b) => b.text.includes('never run'))).toBe(false);
  });

  test('runs every block in order against one database; the secret is :\'secret\' in psql', async () => {
    const e = blockEnv(db);
    for (const b of extractBlocks(sample)) {
      const r = await runBlock(b, { ...e, secret: 's3cret' }, load);
      expect({ line: b.line, ok: r.ok, output: r.ok ? '' : r.output }).toEqual({ line: b.line, ok: true, output: '' });
    }
  });

  test('a failing block, an unmet expectation, a bad JSON block and malformed markers are reported', async () => {
    const e = blockEnv(db);
    const [bad] = extractBlocks('<!-- test: sql -->\n```sql\nselect 1;\nselect * from no_such_table;\nselect 2;\n```\n');
    const r = await runBlock(bad!, e, load);
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(/relation "no_such_table" does not exist/);
    const [unmet] = extractBlocks('<!-- test: sh expect=/bye/ -->\n```sh\necho hello\n```\n');
    expect((await runBlock(unmet!, e, load)).output).toMatch(/does not match/);
    const [json] = extractBlocks('<!-- test: json config -->\n```json\n[{"name": "p"}]\n```\n');
    expect((await runBlock(json!, e, load)).output).toMatch(/holds a JSON array/);
    expect(() => extractBlocks('<!-- test: sqll -->\n```sql\nselect 1;\n```\n')).toThrow(/line 1: malformed test marker/);
    expect(() => extractBlocks('<!-- test: sql -->\n\n```sql\nselect 1;\n```\n')).toThrow(/must be followed by a fenced block/);
  });
});

const README_BLOCKS = extractBlocks(readFileSync(join(ROOT, 'README.md'), 'utf8'));

test('what the README says of waiting out an outage is graphile-worker\'s backoff over the default settings', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8').replace(/\s+/g, ' ');
  // graphile-worker puts the next attempt off by exp(attempts) seconds: the last of n attempts comes e^1 + ... + e^(n-1) after the first.
  const failJobs = readFileSync(join(ROOT, 'node_modules', 'graphile-worker', 'dist', 'sql', 'failJobs.js'), 'utf8');
  expect(failJobs).toContain("run_at = greatest(now(), run_at) + (exp(least(attempts, 10)) * interval '1 second')");
  const lastAttemptAfter = (n: number) => Array.from({ length: n - 1 }, (_, k) => Math.exp(k + 1)).reduce((a, b) => a + b, 0);
  const claim = readme.match(/about (\d+) s with the default (\d+), (\d+) s with 4, (\d+) s with 5, (\d+) s with 6/);
  expect(claim).not.toBeNull();
  const [, s3, n, s4, s5, s6] = claim!.map(Number);
  [s3, s4, s5, s6].forEach((said, i) => expect(lastAttemptAfter(i + 3)).toBeCloseTo(said!, 0));
  // Against the shipped defaults: 3 attempts end within the 30 s cooldown, so an open breaker's refusal is mostly final.
  const schema = readFileSync(join(ROOT, 'sql', 'schema.sql'), 'utf8');
  expect(Number(schema.match(/enqueue_max_attempts smallint DEFAULT (\d+)/)![1])).toBe(n);
  const cooldownS = Number(schema.match(/breaker_cooldown_ms integer DEFAULT (\d+)/)![1]) / 1000;
  expect(lastAttemptAfter(n!)).toBeLessThan(cooldownS);
  expect(readme).toContain(`less than the breaker's own cooldown (\`breaker_cooldown_ms\`, ${cooldownS} s)`);
  expect(readme).not.toMatch(/an outage is waited out, not final/);
  // A request refused for good is not retried under its id: the application submits a new one.
  expect(readme).toMatch(/A request refused for good cannot be enqueued again: .* the application submits a new `request_id`/);
});
const cases = (bs: TestedBlock[]) => bs.map((b): [number, string, TestedBlock] => [b.line, `${b.kind}${b.variant ? ` ${b.variant}` : ''}`, b]);

test('README.md has tested examples of every kind', () => {
  expect(new Set(README_BLOCKS.map((b) => b.kind))).toEqual(new Set(['sql', 'sh', 'json']));
});

describe('README.md configuration examples', () => {
  test.each(cases(README_BLOCKS.filter((b) => b.kind === 'json')))('README line %i (%s) loads as written', async (_line, _kind, b) => {
    const r = await runBlock(b, null as never, load);
    expect({ ok: r.ok, output: r.output }).toEqual({ ok: true, output: '' });
  });
});

describe('README.md examples against a database', () => {
  const blocks = README_BLOCKS.filter((b) => b.kind !== 'json');
  let db: TestDb;
  let mock: MockProvider;
  let worker: StartedWorker;

  beforeAll(async () => {
    db = await createTestDb();
    mock = await startMockProvider({ port: 0 });
    const cfg = parseConfig({ databaseUrl: db.adminUrl, providers: [localProviderConfig(mock.baseUrl)], callTimeoutMs: 5000,
      worker: { concurrency: 4, pollIntervalMs: 100 } });
    const operator = new Pool({ connectionString: urlForRole(db.adminUrl, 'llm_operator'), max: 1 });
    try {
      await syncConfig(operator, cfg.providers); // what `npm run db` does beside the embedded database
    } finally {
      await operator.end();
    }
    worker = await startWorker(cfg, createLogger({ level: 'silent' }), { ...process.env, [LOCAL_KEY_ENV]: 'k', LLM_CONTEXT_SECRET: SECRET });
  }, 60_000);
  afterAll(async () => {
    await worker?.stop();
    await mock?.stop();
    await db?.drop();
  });

  test.each(cases(blocks))('README line %i (%s) runs as written', async (_line, _kind, b) => {
    const r = await runBlock(b, blockEnv(db, () => waitForLlmJobs(worker.deps.pool, 30_000, 50)), load);
    expect({ ok: r.ok, output: r.ok ? '' : r.output }).toEqual({ ok: true, output: '' });
  }, 120_000);
});
