/**
 * A model whose counting endpoint (tokenCountUrl) fails is still estimated, by the local upper
 * bound, and the worker says so in a `token_count_fallback` log line naming the model and the reason.
 */
import { localProviderConfig } from '../../src/provider/local-config';
import { createHarness, payload, type Harness } from '../support/worker-harness';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => h?.close());

test('a failing counting endpoint: the call goes ahead on the byte bound, and the fallback is logged', async () => {
  const local = localProviderConfig(h.mock.baseUrl);
  const models = local.models.map((m) => (m.name === 'mock-llama' ? { ...m, tokenCountUrl: h.mock.baseUrl + '/no-such-endpoint' } : m));
  await h.startWorker({ providers: [{ ...local, models }] });
  await h.enqueue(payload('token-fallback-1', { model: 'local:mock-llama' }));
  await h.waitForJobs();
  expect(await h.result('token-fallback-1')).toMatchObject({ state: 'done', reason: 'ok' });
  const [call] = await h.calls('token-fallback-1');
  expect(call.input_tokens_estimate).toBeGreaterThanOrEqual(call.input_tokens);
  const line = h.logLines.map((l) => JSON.parse(l)).find((l) => l.event === 'token_count_fallback');
  expect(line).toMatchObject({ level: 'warn', model: 'local:mock-llama', error: 'HTTP 404', method: 'bytes' });
}, 60_000);
