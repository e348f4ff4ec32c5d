/** Configuration: a bad or missing setting stops the process with one line naming it; old schemas are refused. */
import { Pool } from 'pg';
import { ConfigError, loadConfig, parseConfig } from '../../src/config';
import { urlForRole } from '../../src/db/urls';
import { checkSchemaVersion, SchemaVersionError } from '../../src/worker/run';
import { createTestDb } from '../support/db';

const base = { DATABASE_URL: 'postgres://admin@127.0.0.1:5432/x' };

test('a minimal environment gives the documented defaults', () => {
  const c = loadConfig(base);
  expect(c).toMatchObject({ callTimeoutMs: 30000, worker: { concurrency: 8, pollIntervalMs: 1000, deadAfterMs: 60000 }, providers: [] });
});

test.each([
  [{}, /^config: databaseUrl: /],
  [{ ...base, LLM_CALL_TIMEOUT_MS: 'soon' }, /^config: callTimeoutMs: /],
  [{ ...base, WORKER_CONCURRENCY: '0' }, /^config: worker\.concurrency: /],
  [{ ...base, LLM_PROVIDERS: '{not json' }, /^config: LLM_PROVIDERS is not valid JSON$/],
  [{ ...base, LLM_PROVIDERS: JSON.stringify([{ name: 'x', baseUrl: 'http://h/v1', apiKeyEnv: 'K', models: [{ name: 'm', inputPerMtokMicros: 1.5, cachedInputPerMtokMicros: 1, outputPerMtokMicros: 1, maxOutputTokens: 1 }] }]) },
    /^config: providers\.0\.models\.0\.inputPerMtokMicros: /],
  [{ ...base, LLM_CONFIG_FILE: '/nonexistent/config.json' }, /^config: LLM_CONFIG_FILE \/nonexistent\/config\.json: /],
])('a bad setting names itself in one line (%#)', (env, message) => {
  expect(() => loadConfig(env as NodeJS.ProcessEnv)).toThrow(ConfigError);
  try {
    loadConfig(env as NodeJS.ProcessEnv);
  } catch (e) {
    expect((e as Error).message).toMatch(message);
    expect((e as Error).message).not.toContain('\n');
  }
});

test('unknown settings are refused rather than ignored', () => {
  expect(() => parseConfig({ databaseUrl: base.DATABASE_URL, concurency: 4 })).toThrow(/config: \(root\): Unrecognized key/);
});

test('the worker refuses a database whose schema is older than the code, naming the command to run', async () => {
  const db = await createTestDb();
  const pool = new Pool({ connectionString: urlForRole(db.adminUrl, 'llm_worker') });
  try {
    await expect(checkSchemaVersion(pool)).resolves.toBeUndefined();
    await db.pool('admin', 1).query(`update llm_private.schema_state set api_hash = 'older'`);
    await expect(checkSchemaVersion(pool)).rejects.toThrow(SchemaVersionError);
    await expect(checkSchemaVersion(pool)).rejects.toThrow(/npm run migrate/);
  } finally {
    await pool.end();
    await db.drop();
  }
});
