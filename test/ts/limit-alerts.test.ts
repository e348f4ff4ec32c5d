/**
 * Alerts are announced: when spent crosses a threshold of a limit at settle, the database sends one
 * pg_notify per threshold on the channel llm_limit_alert, delivered when the settle commits, with
 * the JSON payload README documents (holds alone announce nothing).
 */
import { Client, Pool } from 'pg';
import { createTestDb, TestDb } from '../support/db';

// The alert's id only: any role may LISTEN on any channel (a payload with the subject and its figures told every tenant's
// application the others' usage; review of 2026-11-26). A listener reads the row in llm.alerts under its own policies.
const PAYLOAD_KEYS = ['alert_id'];

let db: TestDb;
let admin: Pool;
let listener: Client;
const received: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  db = await createTestDb();
  admin = db.pool('admin', 2);
  await admin.query('select tests.seed()');
  listener = new Client({ connectionString: db.adminUrl });
  await listener.connect();
  listener.on('notification', (n) => {
    if (n.channel === 'llm_limit_alert') received.push(JSON.parse(n.payload ?? 'null') as Record<string, unknown>);
  });
  await listener.query('listen llm_limit_alert');
});
afterAll(async () => {
  await listener.end();
  await db.drop();
});

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  for (const t0 = Date.now(); !cond(); await new Promise((r) => setTimeout(r, 20))) {
    if (Date.now() - t0 > ms) throw new Error('timed out waiting for notifications');
  }
}

test('crossing 50 % and 80 % at settle sends two pg_notify on llm_limit_alert, with the documented keys', async () => {
  const { rows: [lim] } = await admin.query(
    `select llm.set_limit('user_monthly', 50000, tests.tenant_a(), tests.user_a1(), 'hard', 'block', null, null, '{50,80,100}') as id`);
  await admin.query(`select decision from tests.call(tests.tenant_a(), tests.user_a1(), 'alert-1')`);
  await new Promise((r) => setTimeout(r, 200));
  expect(received).toEqual([]); // a hold of 40 000 (80 %) announces nothing: alerts follow money spent
  await admin.query(`select state from tests.settle(tests.request_pk('alert-1'), 1, 'ok', 1000, 0, 1000)`); // cost 40 000
  await until(() => received.length >= 2);
  await new Promise((r) => setTimeout(r, 200));
  expect(received).toHaveLength(2);
  for (const p of received) expect(Object.keys(p).sort()).toEqual(PAYLOAD_KEYS);
  const { rows: read } = await admin.query(
    `select tenant_id, user_id, budget_scope, meter_name, limit_id, period_start, threshold_pct, used, cap, unit
       from llm.alerts where id = any ($1::bigint[]) order by threshold_pct`, [received.map((p) => String(p.alert_id))]);
  expect(read.map((r) => ({ ...r, period_start: new Date(r.period_start).toISOString(), used: Number(r.used), cap: Number(r.cap) }))).toEqual(
    [50, 80].map((threshold_pct) => ({
      tenant_id: 'a0000000-0000-0000-0000-00000000000a', user_id: 'a1000000-0000-0000-0000-000000000001', budget_scope: null,
      meter_name: 'user_monthly', limit_id: lim.id, period_start: '2026-03-01T00:00:00.000Z', threshold_pct, used: 40000, cap: 50000,
      unit: 'micros',
    })));
  const { rows } = await admin.query(`select count(*)::int as n from llm.alerts where meter_name = 'user_monthly'`);
  expect(rows[0].n).toBe(2); // one alert row per notification
});
