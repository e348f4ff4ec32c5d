/**
 * One source of truth for prices, fallbacks and consent: the database. `npm run sync-config` plans
 * only what differs (pure planSync, tested here on catalog rows), and a worker start only warns
 * (catalogWarnings) about what would make a call fail later. Applying goes through
 * llm.define_model / llm.set_model_price / llm.set_fallbacks (covered by the README and e2e tests).
 */
import { planSync } from '../../src/cli/sync-config';
import { ProviderConfigSchema, type ProviderConfig } from '../../src/provider/models';
import { type CatalogRow, catalogWarnings } from '../../src/worker/catalog';

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
