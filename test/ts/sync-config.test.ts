/**
 * One source of truth for prices, fallbacks, consent and the endpoints' cache settings: the
 * database. `npm run sync-config` plans only what differs (pure planSync / planEndpoints, tested
 * here on catalog rows), and a worker start only warns (catalogWarnings) about what would make a
 * call fail later. Applying goes through llm.define_model / llm.set_model_price / llm.set_fallbacks
 * / llm.set_endpoint_cache: config.example.json is synced here into a real database, dry run first.
 */
import { join } from 'node:path';
import type { Pool } from 'pg';
import { type EndpointCacheRow, planEndpoints, planSync, syncConfig } from '../../src/cli/sync-config';
import { loadConfig } from '../../src/config';
import { ProviderConfigSchema, type ProviderConfig } from '../../src/provider/models';
import { type CatalogRow, catalogWarnings } from '../../src/worker/catalog';
import { createTestDb, type TestDb } from '../support/db';

const provider = (models: object[], name = 'local'): ProviderConfig =>
  ProviderConfigSchema.parse({ name, baseUrl: 'http://127.0.0.1:9/v1', apiKeyEnv: 'K', models });
const priced = { inputPerMtokMicros: 100, cachedInputPerMtokMicros: 50, outputPerMtokMicros: 400 };
const row = (over: Partial<CatalogRow>): CatalogRow => ({ provider: 'local', model: 'a', model_ref: 'local:a', kind: 'chat',
  max_output_tokens: 1000, token_parameter: 'max_tokens', training_allowed: false, input_per_mtok_micros: 100n,
  cached_input_per_mtok_micros: 50n, output_per_mtok_micros: 400n, price_effective_from: new Date(), fallbacks: [], ...over });

test('nothing to do when the database already says what the file says', () => {
  expect(planSync([row({})], [provider([{ name: 'a', maxOutputTokens: 1000, ...priced, fallbacks: [] }])])).toEqual([]);
});

test('a new model is defined, a changed price set, a changed chain set, other models left alone', () => {
  const plan = planSync(
    [row({}), row({ model: 'b', model_ref: 'local:b' }), row({ provider: 'other', model: 'z', model_ref: 'other:z' })],
    [provider([
      { name: 'a', maxOutputTokens: 1000, ...priced, outputPerMtokMicros: 500 },
      { name: 'b', maxOutputTokens: 1000, ...priced, fallbacks: ['local:a'] },
      { name: 'c', maxOutputTokens: 10, ...priced, trainingAllowed: true },
      { name: 'd', maxOutputTokens: 10 },
    ])]);
  expect(plan.map((c) => [c.model_ref, c.action])).toEqual([
    ['local:a', 'set_price'], ['local:b', 'set_fallbacks'], ['local:c', 'define'], ['local:d', 'skip'],
  ]);
  expect(plan[0]!.detail).toBe('100/50/400 -> 100/50/500');
});

test('consent and the token parameter are written only when the file states them and they differ', () => {
  const plan = planSync([row({ model: 'o4-mini', model_ref: 'local:o4-mini' })],
    [provider([{ name: 'o4-mini', maxOutputTokens: 1000, ...priced, trainingAllowed: true }])]);
  expect(plan).toEqual([{ model_ref: 'local:o4-mini', action: 'redefine',
    detail: 'training_allowed false -> true, token_parameter max_tokens -> max_completion_tokens' }]);
  expect(planSync([row({ training_allowed: true })], [provider([{ name: 'a', maxOutputTokens: 1000, ...priced }])])).toEqual([]);
});

test('warnings at worker start: a priced model without a provider, a configured model without a price', () => {
  const warnings = catalogWarnings(
    [row({ provider: 'openai', model: 'gpt-4o-mini', model_ref: 'openai:gpt-4o-mini' }), row({}),
      row({ model: 'gone', model_ref: 'local:gone' }), row({ model: 'unpriced', model_ref: 'local:unpriced', input_per_mtok_micros: null })],
    [provider([{ name: 'a', maxOutputTokens: 1000 }, { name: 'new', maxOutputTokens: 10 }, { name: 'unpriced', maxOutputTokens: 10 }])]);
  expect(warnings.map((w) => [w.kind, w.model_ref])).toEqual([
    ['no_provider', 'openai:gpt-4o-mini'], ['no_model_config', 'local:gone'], ['no_price', 'local:new'], ['no_price', 'local:unpriced'],
  ]);
  expect(warnings[0]!.message).toMatch(/has a price in the database but this worker configures no provider "openai".*provider_not_configured/);
  expect(warnings[2]!.message).toMatch(/no price in the database: reserve refuses it \(unknown_model\); run `npm run sync-config`/);
});

const ep = (over: Partial<EndpointCacheRow>): EndpointCacheRow =>
  ({ endpoint: 'route', cache_shared: false, semantic_threshold: 0.9, embedding_model: null, ...over });
const embedModel = { name: 'e', kind: 'embedding', maxOutputTokens: 1, inputPerMtokMicros: 20_000, cachedInputPerMtokMicros: 20_000, outputPerMtokMicros: 0 };

test('endpoints: a key the file leaves out keeps the database value; equal thresholds at float4 precision are no change', () => {
  const plan = planEndpoints([ep({}), ep({ endpoint: 'explanation', semantic_threshold: Math.fround(0.95), embedding_model: 'local:e' })], {
    route: { embeddingModel: 'local:e' },
    explanation: { semanticThreshold: 0.95, embeddingModel: 'local:e' },
    investigation: { semanticThreshold: null },
  }, [], [provider([embedModel])]);
  expect(plan).toEqual([
    { endpoint: 'route', action: 'set_endpoint_cache', detail: 'embedding_model null -> local:e',
      settings: { endpoint: 'route', cache_shared: false, semantic_threshold: 0.9, embedding_model: 'local:e' } },
    { endpoint: 'investigation', action: 'set_endpoint_cache', detail: 'default row created',
      settings: { endpoint: 'investigation', cache_shared: false, semantic_threshold: null, embedding_model: null } },
  ]);
});

test('endpoints: an embedding model that is not a priced embedding model (here or in the database) is skipped, said why', () => {
  const cfg = { route: { embeddingModel: 'local:a' } };
  const plan = planEndpoints([ep({})], cfg, [row({})], [provider([{ name: 'a', maxOutputTokens: 1000, ...priced }])]);
  expect(plan.map((c) => [c.endpoint, c.action])).toEqual([['route', 'skip']]);
  expect(plan[0]!.detail).toMatch(/^embedding_model local:a is not a priced model of kind embedding/);
  // The same ref, priced and of kind embedding in the database: accepted.
  expect(planEndpoints([ep({})], cfg, [row({ kind: 'embedding' })], [])[0]!.action).toBe('set_endpoint_cache');
});

describe('against a real database: config.example.json', () => {
  let db: TestDb;
  let operator: Pool;
  let admin: Pool;
  const cfg = loadConfig({ DATABASE_URL: 'postgres://unused@127.0.0.1/x', LLM_CONFIG_FILE: join(__dirname, '..', '..', 'config.example.json') });
  const sync = (dryRun: boolean) => syncConfig(operator, cfg.providers, { dryRun, endpoints: cfg.endpoints });
  // What llm.set_endpoint_cache stored (the default rows, tenant NULL) and what the lookup will use.
  const stored = async () => (await admin.query(
    `select s.endpoint::text, s.cache_shared, s.semantic_threshold, s.embedding_model
       from llm_private.endpoint_settings s where s.tenant_id is null order by s.endpoint`)).rows;

  beforeAll(async () => {
    db = await createTestDb();
    operator = db.pool('llm_operator', 1);
    admin = db.pool('admin', 1);
  });
  afterAll(() => db?.drop());

  test('a dry run reports the changes and writes nothing', async () => {
    const before = await stored();
    const changes = await sync(true);
    expect(changes.filter((c) => 'endpoint' in c).map((c) => [(c as { endpoint: string }).endpoint, c.action, c.detail])).toEqual([
      ['route', 'set_endpoint_cache', 'embedding_model null -> openai:text-embedding-3-small'],
      ['explanation', 'set_endpoint_cache', 'semantic_threshold 0.9 -> 0.95, embedding_model null -> openai:text-embedding-3-small'],
      // investigation: the file says what the migration's default row already says (no threshold).
    ]);
    expect(changes).toContainEqual({ model_ref: 'openai:text-embedding-3-small', action: 'define',
      detail: 'price 20000/20000/0 micro-USD per Mtok, training false' });
    expect(await stored()).toEqual(before);
    expect((await admin.query(`select count(*)::int as n from llm.model_catalog`)).rows[0].n).toBe(0);
  });

  test('applying stores the settings through llm.set_endpoint_cache; the embedding model is priced; a second run changes nothing', async () => {
    await sync(false);
    expect(await stored()).toEqual([
      { endpoint: 'route', cache_shared: false, semantic_threshold: 0.9, embedding_model: 'openai:text-embedding-3-small' },
      { endpoint: 'explanation', cache_shared: false, semantic_threshold: 0.95, embedding_model: 'openai:text-embedding-3-small' },
      { endpoint: 'investigation', cache_shared: false, semantic_threshold: null, embedding_model: null },
      { endpoint: 'budget_optimization', cache_shared: false, semantic_threshold: 0.9, embedding_model: null },
    ]);
    const { rows } = await admin.query(`select kind, input_per_mtok_micros::text as input, output_per_mtok_micros::text as output
      from llm.model_catalog where model_ref = 'openai:text-embedding-3-small'`);
    expect(rows).toEqual([{ kind: 'embedding', input: '20000', output: '0' }]);
    // The scope function the lookup reads: explanation's semantic settings for any tenant's user.
    const policy = await admin.query(`select semantic_threshold, embedding_model
      from llm_private.cache_policy(gen_random_uuid(), gen_random_uuid(), 'explanation')`);
    expect(policy.rows).toEqual([{ semantic_threshold: 0.95, embedding_model: 'openai:text-embedding-3-small' }]);
    expect(await sync(false)).toEqual([]);
  });
});
