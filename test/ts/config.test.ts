/**
 * Configuration: one documented file format with a committed JSON Schema generated from the zod
 * schema; every error names what the user sets (the environment variable, or the file and the JSON
 * path in it), in one line; old schemas are refused.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'pg';
import { schemaText, SCHEMA_FILE } from '../../src/cli/config-schema';
import { ConfigError, ENV_SETTINGS, loadConfig, parseConfig } from '../../src/config';
import { redactUrl, urlForRole } from '../../src/db/urls';
import { checkSchemaVersion, SchemaVersionError } from '../../src/worker/run';
import { createTestDb } from '../support/db';

const ROOT = join(__dirname, '..', '..');
const base = { DATABASE_URL: 'postgres://admin@127.0.0.1:5432/x' };
const dir = mkdtempSync(join(tmpdir(), 'llmgov-config-'));
const file = (name: string, content: unknown) => {
  const p = join(dir, name);
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
};
const model = { name: 'm', maxOutputTokens: 10, inputPerMtokMicros: 1, cachedInputPerMtokMicros: 1, outputPerMtokMicros: 1 };
const provider = { name: 'p', baseUrl: 'http://127.0.0.1/v1', apiKeyEnv: 'K', models: [model] };

function failure(env: Record<string, string>): string {
  try {
    loadConfig(env as NodeJS.ProcessEnv);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as Error).message).not.toContain('\n');
    return (e as Error).message;
  }
  throw new Error('expected a ConfigError');
}

test('a minimal environment gives the documented defaults', () => {
  const c = loadConfig(base);
  expect(c).toMatchObject({ callTimeoutMs: 30000, worker: { concurrency: 8, pollIntervalMs: 1000, retryAfterMaxMs: 60000 }, providers: [], metricsPort: null,
    metricsHost: '127.0.0.1', healthPort: null, logLevel: 'info' });
  expect(loadConfig({ ...base, METRICS_HOST: '0.0.0.0' }).metricsHost).toBe('0.0.0.0');
  expect(loadConfig({ ...base, WORKER_RETRY_AFTER_MAX_MS: '5000' }).worker).toMatchObject({ concurrency: 8, retryAfterMaxMs: 5000 });
});

test.each<[Record<string, string>, RegExp]>([
  [{}, /^config: DATABASE_URL is not set/],
  [{ DATABASE_URL: 'mysql://x' }, /^config: DATABASE_URL: must be a postgres:\/\/ URL$/],
  [{ ...base, LLM_CALL_TIMEOUT_MS: 'soon' }, /^config: LLM_CALL_TIMEOUT_MS: must be a whole number$/],
  [{ ...base, LLM_CALL_TIMEOUT_MS: '5' }, /^config: LLM_CALL_TIMEOUT_MS: .*>=1000/],
  [{ ...base, LLM_CALL_TIMEOUT_MS: '500' }, /^config: LLM_CALL_TIMEOUT_MS: .*>=1000/], // llm.reserve_call refused 100..999: every request failed
  [{ ...base, WORKER_CONCURRENCY: '0' }, /^config: WORKER_CONCURRENCY: /],
  [{ ...base, WORKER_POLL_INTERVAL_MS: '-1' }, /^config: WORKER_POLL_INTERVAL_MS: /],
  [{ ...base, WORKER_RETRY_AFTER_MAX_MS: '3600000' }, /^config: WORKER_RETRY_AFTER_MAX_MS: .*600000/],
  [{ ...base, METRICS_PORT: 'abc' }, /^config: METRICS_PORT: must be a whole number$/],
  [{ ...base, METRICS_PORT: '70000' }, /^config: METRICS_PORT: .*65535/],
  [{ ...base, HEALTH_PORT: '70000' }, /^config: HEALTH_PORT: /],
  [{ ...base, METRICS_HOST: 'http://0.0.0.0' }, /^config: METRICS_HOST: must be an IP address or a host name$/],
  [{ ...base, LOG_LEVEL: 'loud' }, /^config: LOG_LEVEL: /],
  [{ ...base, LLM_PROVIDERS: '{not json' }, /^config: LLM_PROVIDERS is not valid JSON/],
  [{ ...base, LLM_PROVIDERS: JSON.stringify([{ ...provider, models: [{ ...model, inputPerMtokMicros: 1.5 }] }]) },
    /^config: LLM_PROVIDERS at \[0\]\.models\[0\]\.inputPerMtokMicros: /],
  [{ ...base, LLM_CONFIG_FILE: '/nonexistent/config.json' }, /^config: LLM_CONFIG_FILE \/nonexistent\/config\.json: ENOENT/],
])('an environment variable is named in one line (%#)', (env, message) => {
  expect(failure(env)).toMatch(message);
});

test('every environment variable maps to a documented setting, and the README names each', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  for (const name of Object.keys(ENV_SETTINGS)) expect([name, readme.includes(`\`${name}\``)]).toEqual([name, true]);
});

test('a config file error names the file and the JSON path, and the variable that overrides it', () => {
  const f1 = file('a.json', { worker: { concurency: 4 } });
  expect(failure({ ...base, LLM_CONFIG_FILE: f1 })).toBe(`config: LLM_CONFIG_FILE (${f1}) at worker: unknown key "concurency"`);
  const f2 = file('b.json', { metricsPort: 'x' });
  expect(failure({ ...base, LLM_CONFIG_FILE: f2 })).toMatch(new RegExp(`^config: LLM_CONFIG_FILE \\(${f2}\\) at metricsPort: .*\\(or set METRICS_PORT\\)$`));
  const f3 = file('c.json', { providers: [{ ...provider, models: [{ ...model, fallbacks: ['nope'] }] }] });
  expect(failure({ ...base, LLM_CONFIG_FILE: f3 })).toMatch(/at providers\[0\]\.models\[0\]\.fallbacks\[0\]: fallback must be a "provider:model" ref$/);
  const f4 = file('d.json', '{"providers": [');
  expect(failure({ ...base, LLM_CONFIG_FILE: f4 })).toMatch(/^config: LLM_CONFIG_FILE .*d\.json: /);
});

test('a bare providers array in the file is explained, not "(root): Unrecognized key: 0"', () => {
  const f = file('array.json', [provider]);
  expect(failure({ ...base, LLM_CONFIG_FILE: f })).toMatch(/holds a JSON array; .*"providers".*LLM_PROVIDERS/);
});

test('environment variables win over the file', () => {
  const f = file('e.json', { callTimeoutMs: 5000, worker: { concurrency: 2, pollIntervalMs: 300 }, providers: [provider] });
  const c = loadConfig({ ...base, LLM_CONFIG_FILE: f, WORKER_CONCURRENCY: '3' });
  expect(c).toMatchObject({ callTimeoutMs: 5000, worker: { concurrency: 3, pollIntervalMs: 300 } });
  expect(c.providers[0]!.models[0]!.inputPerMtokMicros).toBe(1n);
});

test('config.example.json loads as written, and config.schema.json is the one the zod schema generates', () => {
  const c = loadConfig({ ...base, LLM_CONFIG_FILE: join(ROOT, 'config.example.json') });
  expect(c.providers.map((p) => p.name)).toEqual(['openai', 'ollama', 'vllm']);
  const o4 = c.providers[0]!.models.find((m) => m.name === 'o4-mini')!;
  expect(o4.tokenParameter).toBe('max_completion_tokens');
  const embed = c.providers[0]!.models.find((m) => m.name === 'text-embedding-3-small')!;
  expect([embed.kind, embed.inputPerMtokMicros, embed.outputPerMtokMicros]).toEqual(['embedding', 20_000n, 0n]); // $0.02 per 1M input tokens
  expect(c.endpoints.explanation).toEqual({ shared: false, semanticThreshold: 0.95, embeddingModel: 'openai:text-embedding-3-small' });
  expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(schemaText()); // if this fails: npm run config-schema
});

test('endpoint cache settings: known endpoints only, a threshold in (0, 1] or null, a provider:model embedding model', () => {
  const at = (endpoints: unknown) => failure({ ...base, LLM_CONFIG_FILE: file('endpoints.json', { endpoints }) });
  expect(at({ chat: { semanticThreshold: 0.9 } })).toMatch(/at endpoints: unknown key "chat"$/);
  expect(at({ route: { semanticThreshold: 0 } })).toMatch(/at endpoints\.route\.semanticThreshold: /);
  expect(at({ route: { semanticThreshold: 1.5 } })).toMatch(/at endpoints\.route\.semanticThreshold: /);
  expect(at({ route: { embeddingModel: 'text-embedding-3-small' } })).toMatch(/at endpoints\.route\.embeddingModel: embeddingModel must be a "provider:model" ref$/);
  expect(at({ route: { cache: 'semantic' } })).toMatch(/at endpoints\.route: unknown key "cache"$/);
  expect(loadConfig({ ...base, LLM_CONFIG_FILE: file('ok.json', { endpoints: { investigation: { semanticThreshold: null } } }) }).endpoints)
    .toEqual({ investigation: { semanticThreshold: null } });
  expect(loadConfig(base).endpoints).toEqual({});
});

test('model settings: tokenParameter by name rule unless set, prices all-or-none, bytesPerToken only without a tokenizer', () => {
  const p = (m: object) => parseConfig({ databaseUrl: base.DATABASE_URL, providers: [{ ...provider, models: [{ ...model, ...m }] }] }).providers[0]!.models[0]!;
  expect(p({ name: 'gpt-5-mini' }).tokenParameter).toBe('max_completion_tokens');
  expect(p({ name: 'openai/o3' }).tokenParameter).toBe('max_completion_tokens');
  expect(p({ name: 'gpt-4o' }).tokenParameter).toBe('max_tokens');
  expect(p({ name: 'o3', tokenParameter: 'max_tokens' }).tokenParameter).toBe('max_tokens');
  expect(p({ name: 'llama3', bytesPerToken: 2 })).toMatchObject({ tokenizer: 'bytes', bytesPerToken: 2 });
  expect(p({ name: 'x', inputPerMtokMicros: undefined, cachedInputPerMtokMicros: undefined, outputPerMtokMicros: undefined }).inputPerMtokMicros).toBeUndefined();
  expect(() => p({ name: 'x', outputPerMtokMicros: undefined })).toThrow(/give all three prices/);
  expect(() => p({ name: 'gpt-4o', bytesPerToken: 2 })).toThrow(/bytesPerToken applies only without an exact tokenizer/);
});

test('the worker refuses a database whose schema is older than the code, naming the command to run, and a newer one, saying not to', async () => {
  const db = await createTestDb();
  const pool = new Pool({ connectionString: urlForRole(db.adminUrl, 'llm_worker') });
  try {
    await expect(checkSchemaVersion(pool)).resolves.toBeUndefined();
    await db.pool('admin', 1).query(`update llm_private.schema_state set api_hash = 'older', api_generation = api_generation - 1`);
    await expect(checkSchemaVersion(pool)).rejects.toThrow(SchemaVersionError);
    await expect(checkSchemaVersion(pool)).rejects.toThrow(/npm run migrate` first/);
    // A later release's API (a later generation): never this release's migrate.
    await db.pool('admin', 1).query(`update llm_private.schema_state set api_hash = 'newer', api_generation = api_generation + 2`);
    await expect(checkSchemaVersion(pool)).rejects.toThrow(/of a later release \(API generation \d+, this code's \d+\).*do not run this release's `npm run migrate`/);
    // The same generation, another API: another branch.
    await db.pool('admin', 1).query(`update llm_private.schema_state set api_hash = 'branch', api_generation = api_generation - 1`);
    await expect(checkSchemaVersion(pool)).rejects.toThrow(/of another branch \(API generation \d+, as this code's, another API\)/);
  } finally {
    await pool.end();
    await db.drop();
  }
});

test('a password in the query string is masked in messages and never handed on to another role\'s login', () => {
  // (review of 2026-11-26) DATABASE_URL=...?password=ADMIN was printed in clear by the audit CLI and the dashboard, and
  // passed on, admin password included, to the llm_auditor login.
  const admin = 'postgres://postgres@db.example:5432/llm?password=ADMIN-QS-SECRET&sslmode=require';
  expect(redactUrl(admin)).not.toContain('ADMIN-QS-SECRET');
  expect(redactUrl(admin)).toContain('sslmode=require');
  const auditor = urlForRole(admin, 'llm_auditor', {});
  expect(auditor).not.toContain('ADMIN-QS-SECRET');
  expect(new URL(auditor).searchParams.get('sslmode')).toBe('require');
});
