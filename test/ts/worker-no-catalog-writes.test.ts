/**
 * Prices, fallback chains and the training consent have one source of truth: the database. An
 * operator sets them through the SQL functions; a worker that starts with a configuration saying
 * otherwise (other prices, another chain, other consent, a model the database does not know)
 * writes none of it, neither at start nor while it runs a job. It only warns.
 */
import type { Pool } from 'pg';
import { localProviderConfig } from '../../src/provider/local-config';
import { createHarness, payload, type Harness } from '../support/worker-harness';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => h?.close());

/** Every row of the catalog tables, in a stable order (prices are append-only: a write adds a row). */
async function catalog(admin: Pool): Promise<unknown> {
  const q = async (sql: string) => (await admin.query(sql)).rows;
  return {
    models: await q('select * from llm_private.models order by provider, model'),
    prices: await q('select * from llm_private.model_prices order by provider, model, effective_from, id'),
    fallbacks: await q('select * from llm_private.model_fallbacks order by provider, model, position'),
    view: await q('select * from llm.model_catalog order by model_ref'),
  };
}

test('a worker start with a different configuration leaves the catalog as the operator set it', async () => {
  // The operator's word, through the SQL API.
  await h.admin.query(`set role llm_operator;
    select llm.set_model_price('local', 'mock-chat', 7777000, 3333000, 9999000);
    select llm.set_fallbacks('local', 'mock-chat', array['local:mock-reasoner']);
    select llm.define_model('local', 'gpt-4o-mini', 4096, true, 150000, 75000, 600000);
    reset role`);
  const before = await catalog(h.admin);
  expect((before as { view: Array<Record<string, unknown>> }).view.find((r) => r.model_ref === 'local:mock-chat')).toMatchObject({
    input_per_mtok_micros: '7777000', cached_input_per_mtok_micros: '3333000', output_per_mtok_micros: '9999000', fallbacks: ['local:mock-reasoner'],
  });

  // The worker's configuration disagrees on every point, and adds a model the database lacks.
  const local = localProviderConfig(h.mock.baseUrl);
  const models = local.models.map((m) =>
    m.name === 'mock-chat' ? { ...m, inputPerMtokMicros: 1, cachedInputPerMtokMicros: 1, outputPerMtokMicros: 1, fallbacks: ['local:o4-mini'] }
      : m.name === 'gpt-4o-mini' ? { ...m, trainingAllowed: false, inputPerMtokMicros: 2, cachedInputPerMtokMicros: 2, outputPerMtokMicros: 2 }
        : m);
  models.push({ name: 'mock-newcomer', maxOutputTokens: 100, inputPerMtokMicros: 5, cachedInputPerMtokMicros: 5, outputPerMtokMicros: 5,
    trainingAllowed: true });
  await h.startWorker({ providers: [{ ...local, models }] });
  expect(await catalog(h.admin)).toEqual(before);

  // A job runs, priced by the database, and still nothing is written to the catalog.
  await h.enqueue(payload('no-catalog-writes-1'));
  await h.waitForJobs();
  const r = await h.result('no-catalog-writes-1');
  expect(r).toMatchObject({ state: 'done' });
  const [call] = await h.calls('no-catalog-writes-1');
  // Priced at the database's price: the configuration's (1 micro-USD per million tokens) would cost 2.
  // (At least: a call that timed out under load is charged its whole hold, also at the database's price.)
  const exact = (call.input_tokens * 7_777_000 + call.cached_input_tokens * 3_333_000 + call.output_tokens * 9_999_000) / 1e6;
  expect(Number(call.cost_micros)).toBeGreaterThanOrEqual(Math.floor(exact));
  expect(Number(call.cost_micros)).toBeGreaterThan(100);
  // The estimate covered the database's fallback chain, not the configuration's.
  expect(h.logLines.join('')).toMatch(/"methods":\{"local:mock-chat":"\w+","local:mock-reasoner":"\w+"\}/);
  expect(await catalog(h.admin)).toEqual(before);

  // It said so instead: the model it configures that the database does not price.
  expect(h.logLines.join('')).toMatch(/"event":"config_warning","kind":"no_price","model":"local:mock-newcomer"/);
}, 60_000);
