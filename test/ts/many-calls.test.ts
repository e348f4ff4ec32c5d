/**
 * Many calls in flight at once in one worker process: no listener-leak warning on its stderr (backup drill 89: every
 * worker log showed MaxListenersExceededWarning once 10 or more calls ran at the same time, each listening on the pool's
 * shared abort signal).
 */
import { spawnWorker, type ChildWorker } from '../support/child-worker';
import { createHarness, FAKE_KEY, type Harness, payload } from '../support/worker-harness';

let h: Harness;
let w: ChildWorker | null = null;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await w?.stop('SIGKILL');
  await h?.close();
});

test('16 calls in flight at once in a worker process: all done, and Node warns of no listener leak', async () => {
  w = spawnWorker({ databaseUrl: h.db.adminUrl, mockBaseUrl: h.mock.baseUrl, key: FAKE_KEY, callTimeoutMs: 10000,
    env: { WORKER_CONCURRENCY: '16' } });
  await w.ready;
  const ids = Array.from({ length: 16 }, (_, i) => `many-${i}`);
  for (const id of ids) await h.enqueue(payload(id, { messages: [{ role: 'user', content: `Question ${id} [[fault:latency=1500]]` }] }));
  await h.waitForJobs(60000);
  expect((await Promise.all(ids.map((id) => h.result(id)))).map((r) => r?.state)).toEqual(ids.map(() => 'done'));
  expect(h.mock.count((r) => JSON.stringify(r.body).includes('many-'))).toBe(16);
  await w.stop();
  expect(w.lines.filter((l) => l.includes('MaxListenersExceededWarning'))).toEqual([]);
}, 90000);
