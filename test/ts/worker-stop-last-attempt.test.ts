/**
 * A stopping worker ends its waits at once and sends no new call (deps.stopping), but not on a job's last attempt: there an
 * aborted wait, or a hold given back unsent, ends the request (attempts_exhausted), although nothing was sent for it and the
 * identical call it waited for answers a moment later (review 87). A rolling restart must not fail a request it never
 * tried: on the last attempt the job waits (or sends) within the worker's grace.
 */
import { createHarness, Harness, payload, TENANT_A } from '../support/worker-harness';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
  await h.admin.query('select llm.set_tenant_data_use($1, true, false)', [TENANT_A]);
  // One attempt per job (llm.set_setting('enqueue_max_attempts', 1)): every attempt is the last one. With the default 3,
  // the same happens to a job whose first two attempts failed at the provider.
  await h.admin.query(`update llm_private.settings set enqueue_max_attempts = 1`);
});
afterAll(async () => h.close());

const question = { messages: [{ role: 'user', content: 'Why did the April invoice grow? Answer in JSON.' }], response_format: 'json',
  source_watermark: 'invoice-2026-04@h87' };

test('a request waiting for an identical call\'s cache fill is not failed by a worker stopping on its last attempt', async () => {
  h.mock.reset();
  h.mock.setDefaultLatency(3_000);
  const w = await h.startWorker({ callTimeoutMs: 10_000, worker: { concurrency: 2, pollIntervalMs: 50 } });
  await h.enqueue(payload('fill-1', question));
  const t0 = Date.now();
  while (h.mock.count() < 1 && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 20));
  await h.enqueue(payload('fill-2', question)); // identical: waits for fill-1's answer to fill the cache
  await new Promise((r) => setTimeout(r, 800));
  expect(h.mock.count()).toBe(1);
  await w.stop();
  h.mock.setDefaultLatency(0);
  expect(await h.calls('fill-1')).toMatchObject([{ state: 'settled', provider_status: 'ok' }]);
  const w2 = await h.startWorker({ callTimeoutMs: 10_000, worker: { concurrency: 2, pollIntervalMs: 50 } });
  try {
    await h.waitForJobs(20_000);
  } finally {
    await w2.stop();
  }
  const r = await h.result('fill-2');
  expect({ state: r?.state, reason: r?.reason ?? r?.failure_reason ?? null }).not.toMatchObject({ state: 'failed' });
  expect(h.mock.count()).toBe(1);
}, 90_000);
