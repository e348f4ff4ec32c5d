/**
 * Faults across real worker processes: the breaker is shared by two workers through Postgres, and
 * a worker SIGKILLed mid-call leaves a hold that expires and a job that is retried and charged once.
 */
import { spawnWorker, type ChildWorker } from '../support/child-worker';
import { createHarness, FAKE_KEY, Harness, payload } from '../support/worker-harness';

let h: Harness;
const children: ChildWorker[] = [];
const worker = (env?: Record<string, string>) => {
  const w = spawnWorker({ databaseUrl: h.db.adminUrl, mockBaseUrl: h.mock.baseUrl, key: FAKE_KEY, env });
  children.push(w);
  return w;
};
const until = async (what: string, fn: () => Promise<boolean>, ms = 20000) => {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};
const q = async (sql: string, args: unknown[] = []) => (await h.admin.query(sql, args)).rows;

beforeAll(async () => {
  h = await createHarness();
  // Short holds so the killed call's hold expires within the test: 2 s timeout + 0.5 s margin.
  await h.admin.query('select llm.set_settings(null, 500, 5)');
});
afterAll(async () => {
  for (const c of children) await c.stop('SIGKILL');
  await h.close();
});

test('three provider 500s open the breaker, and both worker processes see it', async () => {
  const a = worker();
  const b = worker();
  await Promise.all([a.ready, b.ready]);
  // Worker A alone takes the first two failures; worker B the third. One attempt per job here, so
  // that retries do not add failures of their own.
  await b.stop();
  await h.admin.query('update llm_private.settings set enqueue_max_attempts = 1');
  for (const id of ['brk-1', 'brk-2']) {
    await h.enqueue(payload(id, { messages: [{ role: 'user', content: `${id} [[fault:status=500]]` }] }));
    await until(`${id} to fail`, async () => (await q(`select 1 from llm_private.reservations where request_id = $1 and provider_status = 'error'`, [id])).length > 0);
  }
  await a.stop();
  const b2 = worker();
  await b2.ready;
  await h.enqueue(payload('brk-3', { messages: [{ role: 'user', content: 'brk-3 [[fault:status=500]]' }] }));
  await until('the breaker to open', async () =>
    (await q(`select 1 from llm_private.provider_breakers where model = 'mock-chat' and state = 'open'`)).length > 0);
  // The ledger is written before the log line: wait for B's line too.
  await until("worker B's failure log", async () => b2.lines.some((l) => l.includes('"event":"provider_error"')));
  expect(a.lines.filter((l) => l.includes('"event":"provider_error"')).length).toBe(2);
  expect(b2.lines.filter((l) => l.includes('"event":"provider_error"')).length).toBe(1);
  expect(await q(`select consecutive_failures from llm_private.provider_breakers where model = 'mock-chat'`)).toEqual([{ consecutive_failures: 3 }]);

  // While open, a healthy request to mock-chat falls back to the next model of its chain.
  const before = h.mock.count((r) => r.model === 'mock-chat');
  await h.enqueue(payload('brk-4'));
  await until('brk-4 to settle', async () => (await q(`select 1 from llm_private.reservations where request_id = 'brk-4' and state = 'settled'`)).length > 0);
  expect(await q(`select r.decision, d.reason, r.model from llm_private.reservations r
    join llm_private.decisions d on d.reservation_id = r.id where r.request_id = 'brk-4'`))
    .toEqual([{ decision: 'fallback', reason: 'breaker_open', model: 'gpt-4o-mini' }]);
  expect(h.mock.count((r) => r.model === 'mock-chat')).toBe(before);
  await b2.stop();
  await h.admin.query('update llm_private.settings set enqueue_max_attempts = 3');
}, 60000);

test('a worker SIGKILLed mid-call: the hold expires, the job is retried at once by another worker, charged once', async () => {
  const id = 'kill-1';
  h.mock.addFaults(id, [{ kind: 'hang' }]);
  const a = worker();
  await a.ready;
  await h.enqueue(payload(id, { model: 'local:gpt-4o-mini' }));
  await until('the call to reach the provider', async () => h.mock.count((r) => JSON.stringify(r.body).includes(id)) === 1);
  await a.stop('SIGKILL');
  expect(await q(`select state from llm_private.reservations where request_id = $1`, [id])).toEqual([{ state: 'held' }]);

  // Another worker starts after the dead one's heartbeat went stale (1.5 s): it unlocks the job
  // at start instead of graphile-worker's 4 hours, and the retry's reserve expires the old hold.
  await new Promise((r) => setTimeout(r, 2600));
  const b = worker();
  await b.ready;
  await until('the retry to settle', async () =>
    (await q(`select 1 from llm_private.reservations where request_id = $1 and state = 'settled'`, [id])).length > 0);
  const rows = await q(`select state, end_reason, attempt, cost_micros::text as cost from llm_private.reservations where request_id = $1 order by id`, [id]);
  expect(rows.map((r) => [r.state, r.attempt])).toEqual([['expired', 1], ['settled', 2]]);
  expect(BigInt(rows[1].cost)).toBeGreaterThan(0n);
  expect(await q(`select spent_micros::text as s from llm_private.requests where request_id = $1`, [id])).toEqual([{ s: rows[1].cost }]);
  expect(h.mock.count((r) => JSON.stringify(r.body).includes(id))).toBe(2);
  expect(await q('select * from llm.reconciliation_drift')).toEqual([]);
  await b.stop();
}, 60000);
