/**
 * Faults while workers run: the database drops every connection mid-flight, and the provider hangs,
 * drops connections or answers garbage. After each: no double charge, no lost ledger row, no hold
 * left behind, reconciliation empty, and the worker recovers without a restart by hand.
 */
import { createHarness, Harness, payload } from '../support/worker-harness';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
  await h.startWorker({ worker: { concurrency: 4, pollIntervalMs: 100, deadAfterMs: 60000 } });
});
afterAll(async () => h.close());

const q = async (sql: string, args: unknown[] = []) => (await h.admin.query(sql, args)).rows;

/** On a timeout, show what the worker said last: these faults are timing-dependent. */
async function waitOrExplain(ms: number) {
  try {
    await h.waitForJobs(ms);
  } catch (e) {
    const said = h.logLines.join('').split('\n').filter((l) => /"level":"(warn|error)"/.test(l)).slice(-25);
    throw new Error(`${(e as Error).message}\nlast worker warnings:\n${said.join('\n')}`);
  }
}

async function assertLedgerSound(prefix: string, expected: number) {
  const requests = await q(`select request_id, state, spent_micros::text as spent from llm_private.requests where request_id like $1 || '%'`, [prefix]);
  expect(requests).toHaveLength(expected);
  for (const r of requests) {
    expect(r.state).toBe('done');
    // Exactly one successful call charged per request; failed attempts charged what the provider reported (0 here).
    const calls = await q(`select provider_status, cost_micros::text as cost from llm_private.reservations where request_id = $1 and state = 'settled'`, [r.request_id]);
    expect(calls.filter((c) => c.provider_status === 'ok')).toHaveLength(1);
    expect(r.spent).toBe(calls.find((c) => c.provider_status === 'ok')!.cost);
  }
  expect(await q(`select * from llm_private.reservations where request_id like $1 || '%' and state = 'held'`, [prefix])).toEqual([]);
  expect(await q('select * from llm.reconciliation_drift')).toEqual([]);
}

test('every backend is terminated mid-run (as in a database restart): all jobs still end exactly once', async () => {
  h.mock.setDefaultLatency(300);
  const ids = Array.from({ length: 8 }, (_, i) => `pgkill-${i}`);
  for (const id of ids) await h.enqueue(payload(id));
  await new Promise((r) => setTimeout(r, 450)); // calls are in flight, some reservations held
  const killed = await q(`select count(pg_terminate_backend(pid))::int as n from pg_stat_activity
                           where datname = current_database() and pid <> pg_backend_pid() and usename <> 'postgres'`);
  expect(killed[0].n).toBeGreaterThan(0);
  await waitOrExplain(60000);
  h.mock.setDefaultLatency(0);
  await assertLedgerSound('pgkill-', ids.length);
}, 90000);

test('provider faults (hang, dropped connection, malformed body, missing usage) end in one charge each', async () => {
  h.mock.addFaults('pf-hang', [{ kind: 'hang' }]);
  h.mock.addFaults('pf-drop', [{ kind: 'drop' }]);
  h.mock.addFaults('pf-bad', [{ kind: 'malformed' }]);
  h.mock.addFaults('pf-nousage', [{ kind: 'no_usage' }]);
  for (const id of ['pf-hang', 'pf-drop', 'pf-bad', 'pf-nousage']) await h.enqueue(payload(id));
  await waitOrExplain(60000);
  await assertLedgerSound('pf-', 4);
  const est = await q(`select usage_estimated from llm_private.reservations where request_id = 'pf-nousage' and state = 'settled'`);
  expect(est).toEqual([{ usage_estimated: true }]); // settled from our tokenizer's count, and marked so
}, 90000);
