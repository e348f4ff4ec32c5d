/**
 * The operator's cron work (llm.evaluate_limits) against an operator's adjustment, under the lock order of README "Lock
 * order": usage rows in (meter id, key) order, then alerts and windows. Both now take every usage row they move before
 * any alert.
 */
import type { Pool } from 'pg';
import { withRole } from '../../src/db/context';
import { createTestDb, TestDb } from '../support/db';
import { blocked } from '../support/locks';

let db: TestDb;
let admin: Pool;
let operator: Pool;

beforeAll(async () => {
  db = await createTestDb();
  admin = db.pool('admin', 4);
  operator = db.pool('llm_operator', 4);
});
afterAll(async () => db.drop());

test('evaluate_limits re-capping a tenant and an adjustment crossing an alert of its user never deadlock', async () => {
  // (review of the fixes, 2026-11-26) evaluate_limits re-caps stale subjects first (holding their usage rows) and alerts after;
  // an adjustment alerted meter by meter: it inserted user A1's user_monthly alert, then waited for tenant A's tenant_monthly
  // rows that evaluate_limits held, while evaluate_limits, inserting the same alert, waited for the adjustment (40P01).
  const setup = [
    `select tests.seed()`,
    `select decision from tests.call(tests.tenant_a(), tests.user_a1(), 'd-a1')`,
    `select state from tests.settle(tests.request_pk('d-a1'), 1, 'ok')`,
    `select decision from tests.call(tests.tenant_b(), tests.user_b1(), 'd-b1')`,
    `select state from tests.settle(tests.request_pk('d-b1'), 1, 'ok')`,
    // A1's cap lowered under what it spent plus a call: its next reserve is refused but follows the cap (83 %, no alert yet).
    `select tests.act_as_role('llm_operator')`, `select llm.set_limit('user_monthly', 30000, tests.tenant_a(), tests.user_a1())`,
    `select tests.as_admin()`,
    `select decision from tests.call(tests.tenant_a(), tests.user_a1(), 'd-a2')`,
    // Everyone's tenant_monthly replaced: both tenants' rows are stale, for evaluate_limits to re-cap.
    `select tests.act_as_role('llm_operator')`, `select llm.set_limit('tenant_monthly', 400000000)`, `select tests.as_admin()`,
  ];
  const c = await admin.connect();
  try {
    for (const q of setup) await c.query(q);
  } finally {
    c.release();
  }
  const settle = <T>(p: Promise<T>) => p.then((v) => ({ v, e: null }), (e: { code?: string }) => ({ v: null, e: e.code ?? String(e) }));
  const holder = await admin.connect();
  try {
    // Tenant B's tenant_monthly rows, held: evaluate_limits re-caps tenant A's first (key order), then waits here.
    await holder.query('begin');
    await holder.query(`select 1 from llm_private.usage u join llm_private.meters m on m.id = u.meter_id
                         where m.name = 'tenant_monthly' and u.tenant_id = tests.tenant_b() for update`);
    const evaluate = settle(withRole(operator, 'llm_operator', async (x) => (await x.query('select llm.evaluate_limits() as n')).rows[0].n));
    await blocked(admin, 1);
    // The debit crosses A1's 80 % (24 000 of 30 000): user_monthly first, then tenant A's rows, which evaluate_limits holds.
    const adjust = settle(withRole(operator, 'llm_operator', async (x) =>
      (await x.query(`select llm.adjust_usage(tests.tenant_a(), tests.user_a1(), 1000, 'crossing') as id`)).rows[0].id));
    await blocked(admin, 2);
    await holder.query('commit');
    const [e, a] = await Promise.all([evaluate, adjust]);
    expect({ evaluate: e.e, adjust: a.e }).toEqual({ evaluate: null, adjust: null });
  } finally {
    await holder.query('rollback').catch(() => {});
    holder.release();
  }
  // The 80 % alert of A1 is there once, whoever inserted it.
  const { rows } = await admin.query(`select a.threshold_pct as pct from llm_private.alerts a join llm_private.meters m on m.id = a.meter_id
                                       where m.name = 'user_monthly' and a.user_id = tests.user_a1() order by 1`);
  expect(rows.map((r) => r.pct)).toContain(80);
  expect((await admin.query('select * from llm.reconciliation_drift')).rows).toEqual([]);
}, 60_000);

test('a subject a reserve re-capped while evaluate_limits waited is locked in its first phase: a settle never deadlocks with it', async () => {
  // (review of 3f73233) A subject stale in the sweep's query, re-capped by a reserve before the sweep reached it: the sweep's
  // re-cap changed (and locked) nothing, and the due check locked its rows in phase 2, after tenant B's tenant_monthly
  // rows of phase 1. A settle holding B1's user_monthly row and going on to tenant B's rows closed the cycle (40P01).
  const d = await createTestDb();
  const adm = d.pool('admin', 6);
  try {
    const c = await adm.connect();
    try {
      for (const q of [
        `select tests.seed()`,
        `select decision from tests.call(tests.tenant_a(), tests.user_a1(), 'a-1')`, `select state from tests.settle(tests.request_pk('a-1'), 1)`,
        `select decision from tests.call(tests.tenant_b(), tests.user_b1(), 'b-1')`, `select state from tests.settle(tests.request_pk('b-1'), 1)`,
        // tenant_monthly's default changed and B's next reserve re-caps (6, B): due (next_alert_at 0), not stale once B has its own.
        `select tests.act_as_role('llm_operator')`, `select llm.set_limit('tenant_monthly', 400000000)`, `select tests.as_admin()`,
        `select decision from tests.call(tests.tenant_b(), tests.user_b1(), 'b-2')`, `select state from tests.settle(tests.request_pk('b-2'), 1)`,
        `select tests.act_as_role('llm_operator')`, `select llm.set_limit('tenant_monthly', 300000000, tests.tenant_b())`, `select tests.as_admin()`,
        `select decision from tests.call(tests.tenant_b(), tests.user_b1(), 'b-2b')`,
        // user_monthly's default changed: (5, A1) and (5, B1) are stale.
        `select tests.act_as_role('llm_operator')`, `select llm.set_limit('user_monthly', 20000000)`, `select tests.as_admin()`,
      ]) await c.query(q);
    } finally {
      c.release();
    }
    const settle = <T>(p: Promise<T>) => p.then((v) => ({ v, e: null }), (e: { code?: string }) => ({ v: null, e: e.code ?? String(e) }));
    const h0 = await adm.connect();
    const h = await adm.connect();
    const ev = await adm.connect();
    try {
      // The sweep waits at A1's user_monthly row, in phase 1.
      await h0.query('begin');
      await h0.query(`select 1 from llm_private.usage where meter_id = 5 and user_id = tests.user_a1() for update`);
      const evaluate = settle(ev.query(`begin; select tests.act_as_role('llm_operator'); select llm.evaluate_limits() as n; commit`));
      await blocked(adm, 1);
      // Meanwhile a reserve of B1 re-caps (5, B1) and commits; a settle's transaction then holds (5, B1).
      const { rows } = await adm.query(`select decision from tests.call(tests.tenant_b(), tests.user_b1(), 'b-3')`);
      expect(rows[0].decision).toBe('allow');
      await h.query('begin');
      await h.query(`select 1 from llm_private.usage where meter_id = 5 and user_id = tests.user_b1() order by shard for update`);
      await h0.query('commit');
      await new Promise((r) => setTimeout(r, 300));
      // ... and goes on to tenant B's tenant_monthly rows, in meter order.
      const settled = settle(h.query(`select state from tests.settle(tests.request_pk('b-2b'), 1)`).then(async (v) => { await h.query('commit'); return v.rows; }));
      const [e, s] = await Promise.all([evaluate, settled]);
      expect({ evaluate: e.e, settle: s.e }).toEqual({ evaluate: null, settle: null });
    } finally {
      for (const x of [h0, h, ev]) { await x.query('rollback').catch(() => {}); x.release(); }
    }
    expect((await adm.query('select * from llm.reconciliation_drift')).rows).toEqual([]);
  } finally {
    await d.drop();
  }
}, 60_000);
