/**
 * A worker stopping with calls in flight (a rolling deploy): graphile-worker aborts the tasks'
 * signal after its grace period. Those calls were sent, so the outcome is unknown and each is charged
 * its full hold; but they are no failure of the provider's. Recorded as `timeout`, three of them
 * opened the shared breaker for every worker (reproduced by a review of 2026-11-26: the next
 * worker's request fell back to another model). Now they settle as `aborted`, which the breaker ignores.
 */
import { createHarness, Harness, payload } from '../support/worker-harness';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => h.close());

const q = async (sql: string, args: unknown[] = []) => (await h.admin.query(sql, args)).rows;

test('calls aborted by a stopping worker are charged their hold and leave the shared breaker closed', async () => {
  h.mock.reset();
  h.mock.setDefaultLatency(20_000);
  const w = await h.startWorker({ callTimeoutMs: 30_000, worker: { concurrency: 4, pollIntervalMs: 100 } });
  const ids = ['stop-1', 'stop-2', 'stop-3'];
  for (const id of ids) await h.enqueue(payload(id));
  const t0 = Date.now();
  while (h.mock.count() < 3 && Date.now() - t0 < 15_000) await new Promise((r) => setTimeout(r, 50));
  expect(h.mock.count()).toBe(3);
  await w.stop();
  h.mock.setDefaultLatency(0);
  for (const id of ids) {
    const calls = await h.calls(id);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ state: 'settled', provider_status: 'aborted', usage_unknown: true });
    expect(BigInt(calls[0].charged_micros)).toBe(BigInt(calls[0].held_micros)); // the outcome is unknown: charged in full
  }
  expect(await q(`select state, consecutive_failures from llm_private.provider_breakers where consecutive_failures > 0 or state <> 'closed'`))
    .toEqual([]);
  // The next worker's request is admitted on the model it asked for, not sent to a fallback by an open breaker.
  const w2 = await h.startWorker({ callTimeoutMs: 30_000 });
  try {
    await h.enqueue(payload('after-deploy'));
    await h.waitForJobs(20_000);
    expect((await h.calls('after-deploy')).map((c) => `${c.decision}/${c.reason}`)).toEqual(['allow/ok']);
  } finally {
    await w2.stop();
  }
}, 120_000);

test('stop() resolves once every connection of the worker\'s pool has ended, not only been asked to end', async () => {
  // `npm start -- --once` stops its embedded server right after the worker: connections still ending were terminated
  // under it, and each logged two warnings (seen in about one run of three).
  h.mock.reset();
  const w = await h.startWorker({ worker: { concurrency: 4, pollIntervalMs: 100 } });
  for (const id of ['close-1', 'close-2', 'close-3', 'close-4']) await h.enqueue(payload(id));
  await h.waitForJobs(20_000);
  const before = await q(`select count(*)::int as n from pg_stat_activity where datname = current_database() and application_name = 'llm-worker'`);
  expect(before[0].n).toBeGreaterThan(1);
  await w.stop();
  const after = await q(`select pid, state from pg_stat_activity where datname = current_database() and application_name = 'llm-worker'`);
  expect(after).toEqual([]);
}, 60_000);
