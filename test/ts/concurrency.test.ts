/**
 * 36 connections race enqueue -> reserve -> settle with every kind of limit binding at once: a
 * tenant's month (8 escrow shards), each user's month, a per-model daily cap, an investigation's
 * budget, and a global hourly cap (16 escrow shards). Mid-race the owner-only clock crosses an hour
 * and a month boundary, so every usage row of the new periods is created under contention (0.1
 * deadlocked 17 to 70 times per burst there). A sampler reads usage while the race runs.
 * Asserted: no cap is ever passed (sampled and at the end), 0 deadlocks and 0 errors, every
 * request ends in one final state, nothing stays held, and the reconciliation view is empty.
 */
import { randomUUID } from 'node:crypto';
import { Client, type Pool } from 'pg';
import { maintainPartitions } from '../../src/db/migrate';
import { signContext, withApp, withMoney, withRole } from '../../src/db/context';
import { createTestDb, TestDb } from '../support/db';
import { blocked } from '../support/locks';
import { TEST_CONTEXT_SECRET } from '../support/admin';

const CLIENTS = 36;
const CALLS_PER_CLIENT = 12;
const TENANT = 'c0000000-0000-0000-0000-00000000000c';
const USERS = Array.from({ length: 6 }, () => randomUUID());
const WORST = 40000n; // mock:large, 1 000 in + 1 000 out
const CAPS = {
  user_monthly: 5n * WORST + 333n,
  tenant_monthly: 28n * WORST + 777n,
  investigation_budget: 3n * WORST + 55n,
  global_hourly: 40n * WORST + 999n,
  race_large_daily: 24n * WORST + 111n,
};

let db: TestDb;
let admin: Pool;
let app: Pool;
let worker: Pool;
let auditor: Pool;

beforeAll(async () => {
  db = await createTestDb();
  admin = db.pool('admin', 4);
  app = db.pool('llm_app', CLIENTS);
  worker = db.pool('llm_worker', CLIENTS);
  auditor = db.pool('llm_auditor', 2);
  await admin.query('select tests.seed()');
  await admin.query(`select tests.freeze_clock('2026-03-31 23:59:58+00')`);
  await admin.query(`select llm.upsert_tenant($1, 'race tenant')`, [TENANT]);
  await admin.query(`select llm.define_meter('race_large_daily', 'tenant', 'day', 'micros', null, 'mock', 'large', null, 4)`);
  await admin.query(
    `select llm.set_limit('tenant_monthly', $2, $1), llm.set_limit('user_monthly', $3, $1), llm.set_limit('race_large_daily', $4, $1),
            llm.set_limit('investigation_budget', $5, $1, null, 'hard', 'block'), llm.set_limit('global_hourly', $6),
            llm.set_limit('investigation_calls', 1000, $1)`,
    [TENANT, CAPS.tenant_monthly, CAPS.user_monthly, CAPS.race_large_daily, CAPS.investigation_budget, CAPS.global_hourly].map(String),
  );
});
afterAll(async () => db.drop());

interface Outcome { decision: string; error: string | null }

async function oneCall(client: number, call: number): Promise<Outcome> {
  const user = USERS[(client + call) % USERS.length]!;
  const scope = call % 3 === 0 ? `inv-${client % 4}` : null; // a third of the calls share four investigations
  try {
    const pk = await withApp(app, signContext(TEST_CONTEXT_SECRET, TENANT, user), async (c) => {
      const { rows } = await c.query(`select request_pk::text from llm.enqueue_call($1::jsonb)`, [JSON.stringify({
        request_id: `race-${client}-${call}`, endpoint: 'investigation', model: 'mock:large', max_output_tokens: 1000,
        messages: [{ role: 'user', content: `question ${client}/${call}` }], ...(scope ? { budget_scope: scope } : {}),
      })]);
      return rows[0].request_pk as string;
    });
    return await withMoney(worker, { tenantId: TENANT, userId: user }, async (c) => {
      const { rows } = await c.query(`select decision, attempt_no from llm.reserve_call($1::bigint, 1, 1000, 30000)`, [pk]);
      const d = rows[0] as { decision: string; attempt_no: number };
      if (['allow', 'cap', 'fallback'].includes(d.decision)) {
        // Real usage below the worst case, so settles give back money that later reserves use.
        await c.query(`select * from llm.settle_call($1::bigint, $2, 'ok', 1000, 0, $3, 5)`, [pk, d.attempt_no, 100 + ((client * call) % 9) * 100]);
      }
      return { decision: d.decision, error: null };
    });
  } catch (e) {
    return { decision: 'error', error: `${(e as { code?: string }).code ?? ''} ${(e as Error).message}` };
  }
}

/** Polls usage while the race runs; returns every (limit, subject, period) seen over its cap. */
function sampleWhile(until: Promise<unknown>): Promise<string[]> {
  let done = false;
  void until.finally(() => (done = true));
  return (async () => {
    const over = new Set<string>();
    while (!done) {
      const { rows } = await auditor.query(
        `select meter_name || ' ' || coalesce(user_id::text, budget_scope, tenant_id::text, 'global') || ' ' || period_start as k
           from llm.limit_usage where kind = 'hard' and held + spent > cap`);
      for (const r of rows) over.add(r.k as string);
      await new Promise((r) => setTimeout(r, 3));
    }
    return [...over];
  })();
}

test(`${CLIENTS} clients x ${CALLS_PER_CLIENT} calls across an hour and a month boundary: no cap passed, 0 deadlocks`, async () => {
  // A third of the way through, cross into April (a new hour, day and month) while the race runs.
  let finished = 0;
  let crossed: Promise<unknown> | null = null;
  const race = Promise.all(Array.from({ length: CLIENTS }, async (_, client) => {
    const out: Outcome[] = [];
    for (let call = 0; call < CALLS_PER_CLIENT; call++) {
      out.push(await oneCall(client, call));
      if (++finished === Math.floor((CLIENTS * CALLS_PER_CLIENT) / 3)) {
        crossed = admin.query(`select tests.freeze_clock('2026-04-01 00:00:01+00')`);
      }
    }
    return out;
  }));
  const clock = race.then(() => crossed);
  const sampled = await sampleWhile(race);
  const outcomes = (await race).flat();
  await clock;

  const errors = outcomes.filter((o) => o.error).map((o) => o.error);
  expect(errors).toEqual([]); // no deadlock (40P01), no other error
  expect(sampled).toEqual([]);
  const { rows: over } = await admin.query(`select * from llm.limit_usage where kind = 'hard' and held + spent > cap`);
  expect(over).toEqual([]);
  const { rows: periods } = await admin.query(
    `select distinct period_start::text from llm.limit_usage where meter_name in ('user_monthly', 'global_hourly') order by 1`);
  expect(periods.map((p) => p.period_start)).toEqual(expect.arrayContaining(['2026-03-31 23:00:00+00', '2026-04-01 00:00:00+00']));
  const { rows: [counts] } = await admin.query(
    `select count(*)::int as requests, count(*) filter (where state in ('done', 'refused'))::int as final,
            (select count(*) from llm_private.attempts where state = 'held')::int as held
       from llm_private.requests where tenant_id = $1`, [TENANT]);
  expect(counts).toEqual({ requests: CLIENTS * CALLS_PER_CLIENT, final: CLIENTS * CALLS_PER_CLIENT, held: 0 });
  const refusals = outcomes.filter((o) => o.decision === 'block').length;
  const { rows: binding } = await admin.query(
    `select distinct reason from llm.calls where tenant_id = $1 and state = 'refused' order by 1`, [TENANT]);
  expect(binding.map((r) => r.reason)).toEqual(expect.arrayContaining(['investigation_budget', 'user_monthly']));
  // A tenant-wide cap binds too: the per-model daily one (the lower) or the month, as the interleaving has it (the month
  // bound 0 to 4 times in ~350 refusals; a run with 0 failed here).
  expect(binding.map((r) => r.reason).some((r) => r === 'tenant_monthly' || r === 'race_large_daily')).toBe(true);
  expect(outcomes.filter((o) => o.decision === 'allow').length).toBeGreaterThan(CLIENTS);
  const { rows: drift } = await auditor.query('select * from llm.reconciliation_drift');
  expect(drift).toEqual([]);
  const { rows: byReason } = await admin.query(
    `select reason, count(*)::int as n from llm.calls where tenant_id = $1 and state = 'refused' group by 1 order by 1`, [TENANT]);
  console.log(`concurrency: ${outcomes.length} calls, ${refusals} refused (${byReason.map((r) => `${r.reason} ${r.n}`).join(', ')}), 0 deadlocks`);
}, 180_000);

test('the application, logged in as itself, cannot become the money role or any other', async () => {
  await expect(app.query('set role llm_money')).rejects.toMatchObject({ code: '42501' });
  await expect(app.query('set role llm_owner')).rejects.toMatchObject({ code: '42501' });
  await expect(app.query('set role llm_operator')).rejects.toMatchObject({ code: '42501' });
});

/*
 * The expiry sweep against a live reserve. Two users of one tenant each leave a hold that expires;
 * the tenant has an unsharded per-model daily cap. The sweep expires user 1's hold (locking the
 * daily row) and then needs user 2's month row; a reserve of user 2 holds that month row and next
 * needs the daily row. Before the sweep locked its whole batch in one ordered statement, this was
 * 40P01 (deadlock detected) every time. A third transaction holds user 2's tenant-month shard so
 * that the reserve is parked between its two locks while the sweep starts: the order is forced.
 */
/** Resolves once at least n sessions of this database wait on a lock (the interleaving a test arranges). */
async function waiting(n: number): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const { rows } = await admin.query(
      `select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`);
    if (rows[0].n >= n) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`fewer than ${n} sessions waiting on a lock`);
}

test('the expiry sweep and a concurrent reserve never deadlock (two users, an unsharded tenant meter)', async () => {
  const tenant = 'd0000000-0000-0000-0000-00000000000d';
  const shard = async (u: string) =>
    (await admin.query(`select llm_private.usage_shard('tenant', 8::smallint, $1, $2) as s`, [tenant, u])).rows[0].s as number;
  const u1 = randomUUID();
  let u2 = randomUUID();
  while ((await shard(u2)) === (await shard(u1))) u2 = randomUUID();
  await admin.query(`select tests.freeze_clock('2026-05-10 12:00:00+00')`);
  await admin.query(`select llm.upsert_tenant($1, 'sweep tenant')`, [tenant]);
  await admin.query(`select llm.define_meter('sweep_large_daily', 'tenant', 'day', 'micros', $1, 'mock', 'large')`, [tenant]);
  await admin.query(`select llm.set_limit('sweep_large_daily', 100000000, $1)`, [tenant]);
  const enqueue = (u: string, id: string) => withApp(app, signContext(TEST_CONTEXT_SECRET, tenant, u), async (c) =>
    (await c.query(`select request_pk::text from llm.enqueue_call($1::jsonb)`, [JSON.stringify({
      request_id: id, endpoint: 'explanation', model: 'mock:large', max_output_tokens: 1000,
      messages: [{ role: 'user', content: id }] })])).rows[0].request_pk as string);
  const reserve = (u: string, pk: string) => withMoney(worker, { tenantId: tenant, userId: u }, async (c) =>
    (await c.query(`select decision from llm.reserve_call($1::bigint, 1, 1000, 30000)`, [pk])).rows[0].decision as string);
  // Two holds, user 1's expiring first (the sweep takes them in expiry order).
  expect(await reserve(u1, await enqueue(u1, 'sweep-1'))).toBe('allow');
  await admin.query(`select tests.freeze_clock('2026-05-10 12:00:01+00')`);
  expect(await reserve(u2, await enqueue(u2, 'sweep-2'))).toBe('allow');
  await admin.query(`select tests.freeze_clock('2026-05-10 12:05:00+00')`);
  const pk3 = await enqueue(u2, 'sweep-3');

  const blocker = await admin.connect();
  try {
    await blocker.query('begin');
    await blocker.query(
      `select 1 from llm_private.usage u join llm_private.meters m on m.id = u.meter_id
        where m.name = 'tenant_monthly' and u.tenant_id = $1 and u.shard = $2 for update`, [tenant, await shard(u2)]);
    const third = reserve(u2, pk3).then((d) => ({ d, e: null }), (e: { code?: string }) => ({ d: null, e: e.code ?? String(e) }));
    await waiting(1); // the reserve holds user 2's month row and waits for the tenant shard
    const sweep = withRole(admin, 'llm_operator', async (c) => (await c.query('select llm.expire_holds() as n')).rows[0].n as number)
      .then((n) => ({ n, e: null }), (e: { code?: string }) => ({ n: null, e: e.code ?? String(e) }));
    await waiting(2); // the sweep expired user 1's hold (the daily row is its) and waits for user 2's month row
    await blocker.query('commit');
    expect(await third).toEqual({ d: 'allow', e: null });
    expect(await sweep).toEqual({ n: 2, e: null });
  } finally {
    await blocker.query('rollback').catch(() => {});
    blocker.release();
  }
  // Never under-counted: both expired holds are charged in full; the reserve's hold stands.
  const { rows: [used] } = await admin.query(
    `select sum(spent)::bigint::text as spent, sum(held)::bigint::text as held from llm.limit_usage
      where meter_name = 'sweep_large_daily' and tenant_id = $1`, [tenant]);
  expect(used).toEqual({ spent: String(2n * WORST), held: String(WORST) });
  const { rows: drift } = await auditor.query('select * from llm.reconciliation_drift');
  expect(drift).toEqual([]);
}, 60_000);

test('a settle and the expiry sweep crossing the same alert threshold never deadlock (the settle holds every usage row before it alerts)', async () => {
  const tenant = 'f0000000-0000-0000-0000-00000000000f';
  const shard = async (u: string) =>
    (await admin.query(`select llm_private.usage_shard('tenant', 8::smallint, $1, $2) as s`, [tenant, u])).rows[0].s as number;
  // Three different shards of the tenant's month: the debit's (no user), the settler's and the swept user's, so that
  // both calls cross the alert on their own shard (a crossing first seen on a shard already past its levels waits
  // for llm.evaluate_limits).
  const debitShard = (await admin.query(`select llm_private.usage_shard('tenant', 8::smallint, $1, null) as s`, [tenant])).rows[0].s as number;
  let settler = randomUUID();
  while ((await shard(settler)) === debitShard) settler = randomUUID();
  let swept = randomUUID();
  while ([debitShard, await shard(settler)].includes(await shard(swept))) swept = randomUUID();
  await admin.query(`select tests.freeze_clock('2026-06-10 12:00:00+00')`);
  await admin.query(`select llm.upsert_tenant($1, 'alert race tenant')`, [tenant]);
  // The month: 200 000, of which 120 000 already spent (a debit: 60 %, no alert yet). Two holds of 40 000 fill it; each
  // call, charged in full, brings the month to 160 000 = 80 %: both the settle and the sweep cross the 80 % alert.
  await admin.query(`select llm.set_limit('tenant_monthly', 200000, $1)`, [tenant]);
  const globalLimit = (await admin.query(`select llm.set_limit('global_hourly', 1000000000000) as id`)).rows[0].id as number;
  try {
    await admin.query(`select llm.adjust_usage($1, null, 120000, 'spent elsewhere')`, [tenant]);
    const enqueue = (u: string, id: string) => withApp(app, signContext(TEST_CONTEXT_SECRET, tenant, u), async (c) =>
      (await c.query(`select request_pk::text from llm.enqueue_call($1::jsonb)`, [JSON.stringify({
        request_id: id, endpoint: 'explanation', model: 'mock:large', max_output_tokens: 1000,
        messages: [{ role: 'user', content: id }] })])).rows[0].request_pk as string);
    const reserve = (u: string, pk: string) => withMoney(worker, { tenantId: tenant, userId: u }, async (c) =>
      (await c.query(`select decision, attempt_no from llm.reserve_call($1::bigint, 1, 1000, 30000)`, [pk])).rows[0] as
        { decision: string; attempt_no: number });
    const sweptPk = await enqueue(swept, 'alert-race-1');
    expect((await reserve(swept, sweptPk)).decision).toBe('allow');
    await admin.query(`select tests.freeze_clock('2026-06-10 12:05:00+00')`);
    const settlerPk = await enqueue(settler, 'alert-race-2');
    const held = await reserve(settler, settlerPk);
    expect(held.decision).toBe('allow');
    await admin.query(`select tests.freeze_clock('2026-06-10 12:05:10+00')`); // the first hold has expired, the second not

    const blocker = await admin.connect();
    try {
      // Hold the global hourly row both calls count on, so that the sweep queues for it first, then the settle.
      await blocker.query('begin');
      await blocker.query(
        `select 1 from llm_private.usage u join llm_private.meters m on m.id = u.meter_id
          where m.name = 'global_hourly' and u.period_start = '2026-06-10 12:00:00+00' for update`);
      const sweep = withRole(admin, 'llm_operator', async (c) => (await c.query('select llm.expire_holds() as n')).rows[0].n as number)
        .then((n) => ({ n, e: null }), (e: { code?: string }) => ({ n: null, e: e.code ?? String(e) }));
      await waiting(1);
      const settle = withMoney(worker, { tenantId: tenant, userId: settler }, async (c) =>
        (await c.query(`select state from llm.settle_call($1::bigint, $2, 'ok', 1000, 0, 1000, 5)`, [settlerPk, held.attempt_no])).rows[0].state as string)
        .then((s) => ({ s, e: null }), (e: { code?: string }) => ({ s: null, e: e.code ?? String(e) }));
      await waiting(2);
      await blocker.query('commit');
      // Before: the settle inserted its 80 % alert, then waited for the global row the sweep held; the sweep waited for
      // that alert: 40P01. Now the settle holds every usage row before it alerts.
      expect(await sweep).toEqual({ n: expect.any(Number), e: null }); // the swept hold (and any hold an earlier test left)
      const { rows: [swept1] } = await admin.query(`select state::text from llm_private.attempts where request_pk = $1`, [sweptPk]);
      expect(swept1).toEqual({ state: 'expired' });
      expect(await settle).toEqual({ s: 'settled', e: null });
    } finally {
      await blocker.query('rollback').catch(() => {});
      blocker.release();
    }
    const { rows: alerts } = await admin.query(
      `select threshold_pct::int as pct, used::text from llm.alerts where tenant_id = $1 and meter_name = 'tenant_monthly' order by 1`, [tenant]);
    // 80 % by the sweep (160 000), then 95 and 100 % by the settle (200 000); each once.
    expect(alerts).toEqual([{ pct: 80, used: '160000' }, { pct: 95, used: '200000' }, { pct: 100, used: '200000' }]);
    const { rows: drift } = await auditor.query('select * from llm.reconciliation_drift');
    expect(drift).toEqual([]);
  } finally {
    await admin.query('select llm.end_limit($1)', [globalLimit]);
  }
}, 60_000);

test('two settles crossing a tripping limit on two shards at once open one shutoff window, and neither fails', async () => {
  // (twelfth review) Each settle read no window on its own snapshot and opened one (up to 5 for one tenant when 8 shards
  // crossed together), and the guard, seeing the other's committed window, failed the later settles with LG005. Without a
  // 100 % alert (whose unique key had lined them up), nothing ordered them.
  const tenant = 'e0000000-0000-0000-0000-00000000000e';
  const shard = async (u: string | null) =>
    (await admin.query(`select llm_private.usage_shard('tenant', 8::smallint, $1, $2) as s`, [tenant, u])).rows[0].s as number;
  const debitShard = await shard(null);
  const users: string[] = [];
  while (users.length < 2) {
    const u = randomUUID();
    const s = await shard(u);
    if (s !== debitShard && !(await Promise.all(users.map(shard))).includes(s)) users.push(u);
  }
  await admin.query(`select tests.freeze_clock('2026-07-10 12:00:00+00')`);
  await admin.query(`select llm.upsert_tenant($1, 'trip race tenant')`, [tenant]);
  await admin.query(`select llm.define_meter('trip_race_month', 'tenant', 'month', 'micros', p_tenant_id => $1, p_shards => 8)`, [tenant]);
  const limit = (await admin.query(`select llm.set_limit('trip_race_month', 100000, $1, p_kind => 'soft', p_trips_shutoff => true,
    p_alert_pcts => '{80,95}') as id`, [tenant])).rows[0].id as number;
  // 96 % spent already: its 80 and 95 % alerts are behind it, so no alert insert lines the two settles up.
  await admin.query(`select llm.adjust_usage($1, null, 96000, 'spent elsewhere')`, [tenant]);
  expect((await admin.query(`select count(*)::int as n from llm_private.alerts where limit_id = $1`, [limit])).rows[0].n).toBe(2);
  // No global limit: its shard (one per tenant) would serialize the two settles, and the race would not happen.
  await admin.query(`select llm.end_limit(l.id) from llm_private.limits l join llm_private.meters m on m.id = l.meter_id
                      where m.name = 'global_hourly' and l.valid_until > llm_private.now()`);
  const calls: Array<{ u: string; pk: string; attemptNo: number }> = [];
  for (const [k, u] of users.entries()) {
    const pk = await withApp(app, signContext(TEST_CONTEXT_SECRET, tenant, u), async (c) =>
      (await c.query(`select request_pk::text from llm.enqueue_call($1::jsonb)`, [JSON.stringify({
        request_id: `trip-race-${k}`, endpoint: 'explanation', model: 'mock:large', max_output_tokens: 1000,
        messages: [{ role: 'user', content: `trip race ${k}` }] })])).rows[0].request_pk as string);
    const held = await withMoney(worker, { tenantId: tenant, userId: u }, async (c) =>
      (await c.query(`select decision, attempt_no from llm.reserve_call($1::bigint, 1, 1000, 30000)`, [pk])).rows[0] as
        { decision: string; attempt_no: number });
    expect(held.decision).toBe('allow');
    calls.push({ u, pk, attemptNo: held.attempt_no });
  }
  // The first settle trips and stays open; the second settles meanwhile (it sees neither the first's spend nor its window,
  // and crosses with its own), then the first commits.
  const first = await worker.connect();
  try {
    await first.query('begin');
    await first.query(`select set_config('role', 'llm_money', true), set_config('app.current_tenant_id', $1, true),
      set_config('app.current_user_id', $2, true), set_config('app.context_tx', llm_private.tx_stamp()::text, true)`, [tenant, calls[0]!.u]);
    await first.query(`select llm.settle_call($1::bigint, $2, 'ok', 1000, 0, 1000, 5)`, [calls[0]!.pk, calls[0]!.attemptNo]);
    const second = withMoney(worker, { tenantId: tenant, userId: calls[1]!.u }, async (c) =>
      (await c.query(`select state from llm.settle_call($1::bigint, $2, 'ok', 1000, 0, 1000, 5)`, [calls[1]!.pk, calls[1]!.attemptNo])).rows[0].state as string)
      .then((s) => ({ s, e: null }), (e: { code?: string; message?: string }) => ({ s: null, e: `${e.code} ${e.message}` }));
    await new Promise((r) => setTimeout(r, 300));
    await first.query('commit');
    expect(await second).toEqual({ s: 'settled', e: null });
  } finally {
    await first.query('rollback').catch(() => {});
    first.release();
  }
  const { rows } = await admin.query(`select count(*)::int as n from llm_private.shutoff_windows where limit_id = $1`, [limit]);
  expect(rows[0]).toEqual({ n: 1 });
  await admin.query('select llm.end_limit($1)', [limit]);
}, 60_000);

test('two reserves whose shards were re-capped while they waited never deadlock (they let go of their shard before they follow the cap)', async () => {
  // (tenth and twelfth reviews) A reserve's update of its shard waited for a transaction changing the cap; its re-check then
  // failed (the cap was no longer the one it read), and PostgreSQL kept the re-checked row locked. It then locked the shards
  // in order to follow the cap: holding shard b, it waited for shard a, which another reserve held the same way while it
  // waited for shard b (40P01).
  const tenant = 'a1000000-0000-0000-0000-0000000000a1';
  const shard = async (u: string) =>
    (await admin.query(`select llm_private.usage_shard('tenant', 8::smallint, $1, $2) as s`, [tenant, u])).rows[0].s as number;
  const users: string[] = [];
  while (users.length < 2) {
    const u = randomUUID();
    const s = await shard(u);
    if (s !== 0 && !(await Promise.all(users.map(shard))).includes(s)) users.push(u);
  }
  await admin.query(`select tests.freeze_clock('2026-08-10 12:00:00+00')`);
  await admin.query(`select llm.upsert_tenant($1, 're-cap race tenant')`, [tenant]);
  await admin.query(`select llm.define_meter('recap_race_month', 'tenant', 'month', 'micros', p_tenant_id => $1, p_shards => 8)`, [tenant]);
  // No global limit: its shard (one per tenant) would line the two reserves up, and the race would not happen.
  await admin.query(`select llm.end_limit(l.id) from llm_private.limits l join llm_private.meters m on m.id = l.meter_id
                      where m.name = 'global_hourly' and l.valid_until > llm_private.now()`);
  const cap = 100n * WORST;
  const limit = (await admin.query(`select llm.set_limit('recap_race_month', $2, $1) as id`, [tenant, String(cap)])).rows[0].id as number;
  const enqueue = (u: string, id: string) => withApp(app, signContext(TEST_CONTEXT_SECRET, tenant, u), async (c) =>
    (await c.query(`select request_pk::text from llm.enqueue_call($1::jsonb)`, [JSON.stringify({
      request_id: id, endpoint: 'explanation', model: 'mock:large', max_output_tokens: 1000,
      messages: [{ role: 'user', content: id }] })])).rows[0].request_pk as string);
  const reserve = (u: string, pk: string) => withMoney(worker, { tenantId: tenant, userId: u }, async (c) =>
    (await c.query(`select decision from llm.reserve_call($1::bigint, 1, 1000, 30000)`, [pk])).rows[0].decision as string)
    .then((d) => ({ d, e: null }), (e: { code?: string }) => ({ d: null, e: e.code ?? String(e) }));
  expect(await reserve(users[0]!, await enqueue(users[0]!, 'recap-0'))).toEqual({ d: 'allow', e: null }); // the shards exist
  const pks = [await enqueue(users[0]!, 'recap-1'), await enqueue(users[1]!, 'recap-2')];

  // Shard 0 is held by a reader, so that both reserves stop at it when they follow the cap in shard order. A transaction
  // changing the other shards' cap (as a reserve that read another cap would) holds them while both reserves queue for their
  // own shard; it commits, both re-checks fail, and both reserves then wait for shard 0.
  const reader = await admin.connect();
  const recap = await admin.connect();
  try {
    await reader.query('begin');
    await reader.query(`select 1 from llm_private.usage where limit_id = $1 and shard = 0 for update`, [limit]);
    await recap.query('begin');
    await recap.query(`set local session_replication_role = replica`); // the superuser's test shortcut past the usage guard
    const changed = await recap.query(`update llm_private.usage set cap = cap + 7, quota = quota + 1 where limit_id = $1 and shard <> 0`, [limit]);
    expect(changed.rowCount).toBe(7);
    const both = [reserve(users[0]!, pks[0]!), reserve(users[1]!, pks[1]!)];
    await blocked(admin, 2); // both at their own shard
    await recap.query('commit'); // no session is blocked by it any more once this returns
    await blocked(admin, 2); // both at shard 0 (the second behind the first), having re-checked their own
    await reader.query('commit');
    expect(await Promise.all(both)).toEqual([{ d: 'allow', e: null }, { d: 'allow', e: null }]);
  } finally {
    await recap.query('rollback').catch(() => {});
    await reader.query('rollback').catch(() => {});
    recap.release();
    reader.release();
  }
  // They followed the limit's cap again, and the quotas still sum to it.
  const { rows: [u] } = await admin.query(
    `select sum(quota)::bigint::text as quota, min(cap)::text as min_cap, max(cap)::text as max_cap, sum(held)::bigint::text as held
       from llm_private.usage where limit_id = $1`, [limit]);
  expect(u).toEqual({ quota: String(cap), min_cap: String(cap), max_cap: String(cap), held: String(3n * WORST) });
  const { rows: drift } = await auditor.query('select * from llm.reconciliation_drift');
  expect(drift).toEqual([]);
  await admin.query('select llm.end_limit($1)', [limit]);
}, 60_000);

test('reserves, settles and credits race while the sharded caps change every few milliseconds: 0 deadlocks, no cap passed', async () => {
  // (twelfth review) With caps changed every 5 ms, 39 to 45 of ~735 reserves deadlocked, and settles, credits and sweeps with
  // them. Here 12 clients run enqueue -> reserve -> settle for two sharded meters (the tenant's month, 8 shards, and the
  // global hour, 16), while one loop flips both caps and another books credits and debits.
  const tenant = 'a2000000-0000-0000-0000-0000000000a2';
  const users = Array.from({ length: 12 }, () => randomUUID());
  await admin.query(`select tests.freeze_clock('2026-09-10 12:00:00+00')`);
  await admin.query(`select llm.upsert_tenant($1, 'cap flip tenant')`, [tenant]);
  const caps = [400n * WORST + 3n, 30n * WORST + 7n, 200n * WORST + 1n, 12n * WORST + 5n];
  const globalCaps = [500n * WORST + 11n, 40n * WORST + 13n];
  const flipTo = async (i: number) => admin.query(`select llm.set_limit('tenant_monthly', $2, $1), llm.set_limit('global_hourly', $3)`,
    [tenant, String(caps[i % caps.length]), String(globalCaps[i % globalCaps.length])]);
  await flipTo(0);
  let stop = false;
  const flips = (async () => {
    let i = 0;
    while (!stop) { await flipTo(++i); await new Promise((r) => setTimeout(r, 5)); }
    return i;
  })();
  const credits = (async () => {
    const errs: string[] = [];
    let i = 0;
    while (!stop) {
      await withRole(admin, 'llm_operator', async (c) => c.query(`select llm.adjust_usage($1, null, $2, 'flip race')`, [tenant, i % 2 ? -1000 : 1000]))
        .catch((e: { code?: string; message?: string }) => { if (e.code !== '23514') errs.push(`${e.code} ${e.message}`); });
      i++;
      await new Promise((r) => setTimeout(r, 7));
    }
    return errs;
  })();
  const outcomes = await Promise.all(users.map(async (u, client) => {
    const out: string[] = [];
    for (let call = 0; call < 30; call++) {
      try {
        const pk = await withApp(app, signContext(TEST_CONTEXT_SECRET, tenant, u), async (c) =>
          (await c.query(`select request_pk::text from llm.enqueue_call($1::jsonb)`, [JSON.stringify({
            request_id: `flip-${client}-${call}`, endpoint: 'explanation', model: 'mock:large', max_output_tokens: 1000,
            messages: [{ role: 'user', content: `flip ${client}/${call}` }] })])).rows[0].request_pk as string);
        out.push(await withMoney(worker, { tenantId: tenant, userId: u }, async (c) => {
          const d = (await c.query(`select decision, attempt_no from llm.reserve_call($1::bigint, 1, 1000, 30000)`, [pk])).rows[0];
          if (d.decision === 'allow') await c.query(`select llm.settle_call($1::bigint, $2, 'ok', 1000, 0, 500, 5)`, [pk, d.attempt_no]);
          return d.decision as string;
        }));
      } catch (e) {
        out.push(`error ${(e as { code?: string }).code ?? ''} ${(e as Error).message}`);
      }
    }
    return out;
  }));
  stop = true;
  const nFlips = await flips;
  const creditErrors = await credits;
  const all = outcomes.flat();
  expect(all.filter((o) => o.startsWith('error'))).toEqual([]);
  expect(creditErrors).toEqual([]);
  expect(nFlips).toBeGreaterThan(10);
  expect(all.filter((o) => o === 'allow').length).toBeGreaterThan(users.length);
  // A cap lowered below what is in use is passed by design (no new hold, none taken back), so the bound is the largest cap.
  const { rows: [used] } = await admin.query(
    `select sum(held + spent) filter (where meter_name = 'tenant_monthly' and tenant_id = $1)::bigint::text as tenant,
            sum(held + spent) filter (where meter_name = 'global_hourly')::bigint::text as global
       from llm.limit_usage where period_start >= '2026-09-10'::date - 9`, [tenant]);
  expect(BigInt(used.tenant)).toBeLessThanOrEqual(caps[0]!);
  expect(BigInt(used.global)).toBeLessThanOrEqual(globalCaps[0]!);
  const { rows: quotas } = await admin.query(
    `select meter_id, period_start, sum(quota)::text as quota, min(cap)::text as cap from llm_private.usage
      where meter_id in (select id from llm_private.meters where name in ('tenant_monthly', 'global_hourly')) and period_start >= '2026-09-01'
      group by 1, 2 having sum(quota) <> min(cap) or min(cap) <> max(cap)`);
  expect(quotas).toEqual([]);
  const { rows: drift } = await auditor.query('select * from llm.reconciliation_drift');
  expect(drift).toEqual([]);
  console.log(`cap flips: ${all.length} calls, ${all.filter((o) => o === 'allow').length} allowed, ${nFlips} flips, 0 deadlocks`);
}, 120_000);

test('reserves of the same budget scopes crossing a month (each noting it on the scope row) race settles, the expiry sweep, retention forgetting scopes and a DBA reading them: 0 deadlocks, no cap passed, no hold on a forgotten row', async () => {
  // (review of c99c829) The first reserve of a scope in a month updates the scope's row (last_reserve_month); two crossing
  // the month at once both see the old month and both update it. Retention (llm_maint.drop_expired_partitions, as the owner)
  // now also locks budget_scopes and deletes the scopes not reserved in any month it keeps, with their usage: a reserve of
  // such a scope must either note the month first (kept) or start a new scope after (never hold on a deleted row).
  // Retention 2 months: crossing into March keeps February on; the scopes of January only are forgotten, and January's
  // requests stay (open ones: holds the sweep expires), so every drop run locks the tables and forgets again.
  const tenant = 'e0000000-0000-0000-0000-00000000000e';
  const users = Array.from({ length: 16 }, () => randomUUID());
  const cap = 10n * WORST + 55n;
  await admin.query(`select tests.freeze_clock('2027-01-20 12:00:00+00')`);
  await maintainPartitions(db.adminUrl, {});
  await admin.query(`select llm.upsert_tenant($1, 'scope month race')`, [tenant]);
  await admin.query(`select llm.set_limit('investigation_budget', $2, $1, null, 'hard', 'block'), llm.set_limit('investigation_calls', 1000, $1)`,
    [tenant, String(cap)]);
  const enqueue = (u: string, id: string, scope: string) => withApp(app, signContext(TEST_CONTEXT_SECRET, tenant, u), async (c) =>
    (await c.query(`select request_pk::text from llm.enqueue_call($1::jsonb)`, [JSON.stringify({
      request_id: id, endpoint: 'investigation', model: 'mock:large', max_output_tokens: 1000, budget_scope: scope,
      messages: [{ role: 'user', content: id }] })])).rows[0].request_pk as string);
  const call = (u: string, pk: string, settle: boolean) => withMoney(worker, { tenantId: tenant, userId: u }, async (c) => {
    const d = (await c.query(`select decision, attempt_no from llm.reserve_call($1::bigint, 1, 1000, $2)`, [pk, settle ? 30000 : 1000])).rows[0];
    if (settle && ['allow', 'cap', 'fallback'].includes(d.decision)) {
      await c.query(`select llm.settle_call($1::bigint, $2, 'ok', 1000, 0, 300, 5)`, [pk, d.attempt_no]);
    }
    return d.decision as string;
  });
  // January: scopes jan-0..15 used once each (forgettable in March), and a hold left open (January's requests stay).
  for (let k = 0; k < 16; k++) expect(await call(users[k]!, await enqueue(users[k]!, `smr-jan-${k}`, `jan-${k}`), true)).toBe('allow');
  expect(await call(users[0]!, await enqueue(users[0]!, 'smr-jan-open', 'jan-open'), false)).toBe('allow');
  // The end of February: scopes feb-0..3 started, so that March's first reserves of each find February on the row.
  await admin.query(`select tests.freeze_clock('2027-02-28 23:59:50+00')`);
  await admin.query(`update llm_private.settings set idempotency_months = 1, ledger_retention_months = 2`);
  await withRole(admin, 'llm_operator', (c) => c.query('select llm.expire_holds()')); // the earlier tests' holds end
  await admin.query(`set role llm_owner; select llm_maint.drop_expired_partitions(); reset role`); // the months before January go now
  for (let k = 0; k < 4; k++) expect(await call(users[k]!, await enqueue(users[k]!, `smr-feb-${k}`, `feb-${k}`), true)).toBe('allow');

  let crossed = false;
  let stop = false;
  const bg: string[] = [];
  const loop = async (fn: () => Promise<unknown>, pause: number) => {
    let n = 0;
    while (!stop) {
      if (crossed) {
        await fn().then(() => n++, (e: { code?: string; message?: string }) => bg.push(`${e.code} ${e.message}`));
      }
      await new Promise((r) => setTimeout(r, pause));
    }
    return n;
  };
  const dropper = new Client({ connectionString: db.adminUrl });
  await dropper.connect();
  let dropped = 0;
  let busy = 0;
  let dropsDone = 0;
  const drops = loop(async () => {
    await dropper.query('begin');
    try {
      await dropper.query(`set local lock_timeout = '5s'`);
      await dropper.query('set local role llm_owner');
      dropped += Number((await dropper.query('select llm_maint.drop_expired_partitions() as n')).rows[0].n);
      await dropper.query('commit');
      dropsDone++;
    } catch (e) {
      await dropper.query('rollback');
      // Its documented give-up under a steady stream of calls (it runs again the next day): counted, not an error.
      if ((e as { code?: string }).code === '55P03') busy++; else throw e;
    }
  }, 15);
  const sweeps = loop(() => withRole(admin, 'llm_operator', (c) => c.query('select llm.expire_holds()')), 10);
  const reads = loop(async () => {
    const c = await auditor.connect();
    try {
      await c.query('begin');
      await c.query('select count(*) from llm.budget_scopes');
      await c.query(`select count(*) from llm.limit_usage where budget_scope is not null`);
      await c.query('commit');
    } finally {
      c.release();
    }
  }, 5);
  let finished = 0;
  const outcomes = await Promise.all(users.map(async (u, client) => {
    const out: string[] = [];
    for (let n = 0; n < 16; n++) {
      // In March, half the calls name the client's January scope: clients 0-7 at once (racing the first retention run),
      // clients 8-15 once a run has forgotten it (so they start it again).
      const jan = crossed && n % 2 === 0;
      while (jan && client >= 8 && dropsDone === 0) await new Promise((r) => setTimeout(r, 10));
      const scope = jan ? `jan-${client}` : `feb-${(client + n) % 4}`;
      try {
        out.push(await call(u, await enqueue(u, `smr-${client}-${n}`, scope), n % 5 !== 4));
      } catch (e) {
        out.push(`error ${(e as { code?: string }).code ?? ''} ${(e as Error).message}`);
      }
      if (++finished === 32) {
        await admin.query(`select tests.freeze_clock('2027-03-01 00:00:05+00')`);
        crossed = true;
      }
    }
    return out;
  }));
  stop = true;
  const [nDrops, nSweeps, nReads] = await Promise.all([drops, sweeps, reads]);
  await dropper.end();
  try {
    const all = outcomes.flat();
    console.log(`scope month race: ${all.length} calls, ${all.filter((o) => o === 'block').length} refused, ${nDrops} retention runs `
      + `(${dropped} partitions dropped, ${busy} gave up busy), ${nSweeps} sweeps, ${nReads} reads, ${bg.length} background errors`);
    expect(all.filter((o) => o.startsWith('error'))).toEqual([]); // no 40P01, no other error
    expect(bg).toEqual([]);
    expect(nDrops).toBeGreaterThan(1);
    expect(dropped).toBeGreaterThan(0);
    expect(nSweeps).toBeGreaterThan(3);
    expect(nReads).toBeGreaterThan(3);
    expect(all.filter((o) => o === 'block').length).toBeGreaterThan(0); // the scopes' caps bound
    const { rows: over } = await admin.query(
      `select * from llm.limit_usage where kind = 'hard' and held + spent > cap and tenant_id = $1`, [tenant]);
    expect(over).toEqual([]);
    // Every hold of a scope is on its scope's current row, started at or before the hold: none on a forgotten scope's rows.
    const { rows: orphans } = await admin.query(
      `select a.request_pk, a.attempt_no, q.budget_scope from llm_private.attempts a
         join llm_private.requests q on q.tenant_id = a.tenant_id and q.id = a.request_pk
         left join llm_private.budget_scopes b on b.tenant_id = q.tenant_id and b.scope_key = q.budget_scope
        where a.tenant_id = $1 and a.state = 'held' and (b.started_at is null or b.started_at > a.reserved_at)`, [tenant]);
    expect(orphans).toEqual([]);
    const { rows: [sums] } = await admin.query(
      `select (select coalesce(sum(u.held), 0) from llm_private.usage u join llm_private.meters m on m.id = u.meter_id
                where m.name = 'investigation_budget' and u.tenant_id = $1)::bigint::text as usage_held,
              (select coalesce(sum(a.held_micros), 0) from llm_private.attempts a join llm_private.requests q
                   on q.tenant_id = a.tenant_id and q.id = a.request_pk
                where a.tenant_id = $1 and a.state = 'held' and q.budget_scope is not null)::bigint::text as attempts_held`, [tenant]);
    expect(sums.usage_held).toBe(sums.attempts_held);
    const { rows: [restarted] } = await admin.query(
      `select count(*)::int as n from llm_private.budget_scopes where tenant_id = $1 and scope_key like 'jan-%' and started_at >= '2027-03-01'`, [tenant]);
    console.log(`scope month race: ${restarted.n} of January's scopes forgotten and started again in March`);
    expect(restarted.n).toBeGreaterThanOrEqual(8);
    const { rows: months } = await admin.query(
      `select scope_key, last_reserve_month::text from llm_private.budget_scopes where tenant_id = $1 order by 1`, [tenant]);
    expect(months.every((r) => r.last_reserve_month === '2027-03-01 00:00:00+00')).toBe(true); // all used in March
    const { rows: drift } = await auditor.query('select * from llm.reconciliation_drift where tenant_id = $1', [tenant]);
    expect(drift).toEqual([]);
  } finally {
    await admin.query(`update llm_private.settings set ledger_retention_months = 13, idempotency_months = 2`);
  }
}, 180_000);

test('reserves and settles of one tenant race across two minute boundaries on hard minute caps of calls, tokens and output tokens and global minute meters of tokens and input tokens with escrow shards: no minute passes its cap, 0 deadlocks, no drift', async () => {
  // (review of e5ed108) A meter per UTC minute: a hold counts on the minute it was reserved in, whenever it is settled, so
  // the settles in flight when the clock crosses a minute move the old minute's rows while the new minute's are created.
  const tenants = ['f1000000-0000-0000-0000-0000000000f1', 'f2000000-0000-0000-0000-0000000000f2'];
  const users = Array.from({ length: 24 }, () => randomUUID());
  const HOLD = 2000n; // mock:small, 1 000 in + 1 000 out, in tokens
  // Output tokens hold the max output (1 000) and charge 100-900; input tokens hold the estimate (1 000) and charge 1 000.
  const caps = { calls: 41n, tokens: 30n * HOLD + 17n, global: 50n * HOLD + 9n, output: 8n * 1000n + 17n, globalInput: 40n * 1000n + 9n };
  await admin.query(`select tests.freeze_clock('2027-03-02 10:00:58+00')`);
  await maintainPartitions(db.adminUrl, {});
  for (const t of tenants) await admin.query(`select llm.upsert_tenant($1, 'minute race')`, [t]);
  await admin.query(`select llm.define_meter('race_rpm', 'tenant', 'minute', 'calls', p_provider => 'mock', p_model => 'small'),
                            llm.define_meter('race_tpm', 'tenant', 'minute', 'tokens', p_provider => 'mock', p_model => 'small'),
                            llm.define_meter('race_global_tpm', 'global', 'minute', 'tokens', p_provider => 'mock', p_model => 'small', p_shards => 8),
                            llm.define_meter('race_otpm', 'tenant', 'minute', 'output_tokens', p_provider => 'mock', p_model => 'small'),
                            llm.define_meter('race_global_itpm', 'global', 'minute', 'input_tokens', p_provider => 'mock', p_model => 'small', p_shards => 8)`);
  await admin.query(`select llm.set_limit('race_rpm', $2, $1), llm.set_limit('race_tpm', $3, $1), llm.set_limit('race_global_tpm', $4),
                            llm.set_limit('race_otpm', $5, $1), llm.set_limit('race_global_itpm', $6)`,
    [tenants[0], String(caps.calls), String(caps.tokens), String(caps.global), String(caps.output), String(caps.globalInput)]);
  let finished = 0;
  const ticks: Promise<unknown>[] = [];
  // Half the clients keep a hold reserved before each tick and settle it after (a hold of 10:00:59 settled at 10:01:00.5).
  const ticked: (() => void)[] = [];
  const afterTick = [new Promise<void>((r) => ticked.push(r)), new Promise<void>((r) => ticked.push(r))];
  const outcomes = await Promise.all(users.map(async (u, client) => {
    const tenant = tenants[client % 4 === 3 ? 1 : 0]!; // a quarter of the calls from another tenant: only the global meter
    const out: string[] = [];
    for (let call = 0; call < 12; call++) {
      try {
        const pk = await withApp(app, signContext(TEST_CONTEXT_SECRET, tenant, u), async (c) =>
          (await c.query(`select request_pk::text from llm.enqueue_call($1::jsonb)`, [JSON.stringify({
            request_id: `rpm-${client}-${call}`, endpoint: 'explanation', model: 'mock:small', max_output_tokens: 1000,
            messages: [{ role: 'user', content: `rpm ${client}/${call}` }] })])).rows[0].request_pk as string);
        // Reserve and settle in two transactions, as the worker does (the provider's call between them).
        const d = await withMoney(worker, { tenantId: tenant, userId: u }, async (c) =>
          (await c.query(`select decision, attempt_no from llm.reserve_call($1::bigint, 1, 1000, 30000)`, [pk])).rows[0]);
        if (d.decision === 'allow') {
          if (client % 2 === 1 && (call === 2 || call === 7)) await afterTick[call === 2 ? 0 : 1];
          await withMoney(worker, { tenantId: tenant, userId: u }, async (c) =>
            c.query(`select llm.settle_call($1::bigint, $2, 'ok', 1000, 0, $3, 5)`, [pk, d.attempt_no, 100 + ((client * call) % 9) * 100]));
        }
        out.push(d.decision as string);
      } catch (e) {
        out.push(`error ${(e as { code?: string }).code ?? ''} ${(e as Error).message}`);
      }
      // 10:00:58 -> 10:01:00.5 a third of the way, -> 10:02:00.5 two thirds of the way, while the others are in flight.
      const n = ++finished;
      if (n === 96) ticks.push(admin.query(`select tests.freeze_clock('2027-03-02 10:01:00.5+00')`).then(() => ticked[0]!()));
      if (n === 192) ticks.push(admin.query(`select tests.freeze_clock('2027-03-02 10:02:00.5+00')`).then(() => ticked[1]!()));
    }
    return out;
  }));
  await Promise.all(ticks);
  const all = outcomes.flat();
  expect(all.filter((o) => o.startsWith('error'))).toEqual([]); // no 40P01, no other error
  expect(all.filter((o) => o === 'block').length).toBeGreaterThan(0); // the minute caps bound
  // Every minute's rows, and every minute's attempts by their reserve's minute: at most the cap.
  const { rows: over } = await admin.query(
    `select meter_name, tenant_id, period_start, held + spent as used, cap from llm.limit_usage
      where meter_name like 'race\\_%pm' and kind = 'hard' and held + spent > cap`);
  expect(over).toEqual([]);
  const { rows: perMinute } = await admin.query(
    `select date_trunc('minute', a.reserved_at, 'UTC') as minute, count(*) filter (where a.tenant_id = $1)::int as calls,
            sum(a.input_tokens + a.output_tokens) filter (where a.tenant_id = $1)::bigint::text as tokens,
            sum(a.input_tokens + a.output_tokens)::bigint::text as global_tokens,
            sum(a.output_tokens) filter (where a.tenant_id = $1)::bigint::text as output_tokens,
            sum(a.input_tokens)::bigint::text as global_input_tokens,
            count(*) filter (where date_trunc('minute', a.ended_at, 'UTC') > date_trunc('minute', a.reserved_at, 'UTC'))::int as settled_later
       from llm_private.attempts a join llm_private.requests q on q.tenant_id = a.tenant_id and q.id = a.request_pk
      where q.request_id like 'rpm-%' and a.state = 'settled' group by 1 order by 1`, [tenants[0]]);
  expect(perMinute.length).toBe(3);
  for (const m of perMinute) {
    expect(m.calls).toBeLessThanOrEqual(Number(caps.calls));
    expect(BigInt(m.tokens ?? 0)).toBeLessThanOrEqual(caps.tokens);
    expect(BigInt(m.global_tokens)).toBeLessThanOrEqual(caps.global);
    expect(BigInt(m.output_tokens ?? 0)).toBeLessThanOrEqual(caps.output);
    expect(BigInt(m.global_input_tokens)).toBeLessThanOrEqual(caps.globalInput);
  }
  // Each hard cap refused some call: the one of the meter it was held on first that did not fit.
  const { rows: refusedBy } = await admin.query(
    `select m.name, count(*)::int as n from llm_private.attempts a join llm_private.requests q on q.tenant_id = a.tenant_id and q.id = a.request_pk
       join llm_private.limits l on l.id = a.limit_id join llm_private.meters m on m.id = l.meter_id
      where q.request_id like 'rpm-%' and a.decision = 'block' group by 1 order by 1`);
  expect(refusedBy.map((r) => r.name)).toEqual(expect.arrayContaining(['race_global_itpm', 'race_otpm']));
  const settledLater = perMinute.reduce((s, m) => s + m.settled_later, 0);
  expect(settledLater).toBeGreaterThan(0);
  console.log(`minute race: ${all.length} calls, ${all.filter((o) => o === 'allow').length} allowed, per minute `
    + perMinute.map((m) => `${m.calls} calls/${m.tokens} tokens/${m.output_tokens} output/${m.global_tokens} global/${m.global_input_tokens} global input`).join(', ')
    + `; ${settledLater} settled in a later minute than reserved; refused by ${refusedBy.map((r) => `${r.name} ${r.n}`).join(', ')}`);
  // Quotas still sum to the cap on every minute of the sharded meter; nothing held; usage equals the ledger minute by minute.
  const { rows: quotas } = await admin.query(
    `select period_start, sum(quota)::text as quota, min(cap)::text as cap, sum(held)::text as held from llm_private.usage
      where meter_id in (select id from llm_private.meters where name in ('race_global_tpm', 'race_global_itpm')) group by meter_id, 1
     having sum(quota) <> min(cap) or min(cap) <> max(cap) or sum(held) <> 0`);
  expect(quotas).toEqual([]);
  const { rows: drift } = await auditor.query('select * from llm.reconciliation_drift');
  expect(drift).toEqual([]);
}, 120_000);

test('8 clients race calls estimated at 0 input tokens on a hard cap of 40 input tokens over 4 shards, each keeping a hold open while it reserves its next and settling with 1 input token: no more than 40 admitted or charged, and the cap admits exactly 40', async () => {
  // (review of the zero holds) A hard limit keeps room for the least charge, 1 input token, for a call estimated at 0; the
  // hold took 0, so every open call left the unit free for the next: 8 psql sessions were admitted 43 times on a cap of 40,
  // each call charged 1. The hold takes the unit now (llm_private.held_amount), so calls that report no more than they held
  // never pass the cap. Each client keeps one hold open while it reserves the next (a worker with a call in flight).
  const tenant = 'f3000000-0000-0000-0000-0000000000f3';
  const users = Array.from({ length: 8 }, () => randomUUID());
  const CAP = 40;
  await admin.query(`select tests.freeze_clock('2027-03-02 14:00:00+00')`);
  await maintainPartitions(db.adminUrl, {});
  await admin.query(`select llm.upsert_tenant($1, 'zero hold race')`, [tenant]);
  await admin.query(`select llm.define_meter('race_zero_input', 'tenant', 'day', 'input_tokens', $1, p_shards => 4)`, [tenant]);
  await admin.query(`select llm.set_limit('race_zero_input', $2, $1)`, [tenant, String(CAP)]);
  // A prompt of a floor of 0 input tokens (fewer than 12 characters), a distinct one per call (no cache hit, no wait).
  const enqueue = (u: string, id: string) => withApp(app, signContext(TEST_CONTEXT_SECRET, tenant, u), async (c) =>
    (await c.query(`select request_pk::text from llm.enqueue_call($1::jsonb)`, [JSON.stringify({
      request_id: id, endpoint: 'explanation', model: 'mock:small', max_output_tokens: 100,
      messages: [{ role: 'user', content: id }] })])).rows[0].request_pk as string);
  const reserve = (u: string, pk: string) => withMoney(worker, { tenantId: tenant, userId: u }, async (c) =>
    (await c.query(`select decision, attempt_no, reason from llm.reserve_call($1::bigint, 1, 0, 30000)`, [pk])).rows[0] as
      { decision: string; attempt_no: number; reason: string });
  const settle = (u: string, pk: string, attemptNo: number) => withMoney(worker, { tenantId: tenant, userId: u }, async (c) =>
    c.query(`select llm.settle_call($1::bigint, $2, 'ok', 1, 0, 10, 5)`, [pk, attemptNo]));
  let overCap = false;
  let racing = true;
  const sampler = (async () => {
    while (racing) {
      const { rows } = await auditor.query(
        `select coalesce(sum(held + spent), 0)::int as used from llm.limit_usage where meter_name = 'race_zero_input' and tenant_id = $1`, [tenant]);
      if (rows[0].used > CAP) overCap = true;
      await new Promise((r) => setTimeout(r, 3));
    }
  })();
  const outcomes = await Promise.all(users.map(async (u, client) => {
    const out: string[] = [];
    let open: { pk: string; attemptNo: number } | null = null;
    for (let call = 0; call < 10; call++) {
      try {
        const pk = await enqueue(u, `z${client}-${call}`);
        const d = await reserve(u, pk);
        out.push(d.decision === 'block' ? `block ${d.reason}` : d.decision);
        if (open) await settle(u, open.pk, open.attemptNo);
        open = d.decision === 'allow' ? { pk, attemptNo: d.attempt_no } : null;
      } catch (e) {
        out.push(`error ${(e as { code?: string }).code ?? ''} ${(e as Error).message}`);
      }
    }
    if (open) await settle(u, open.pk, open.attemptNo);
    return out;
  }));
  racing = false;
  await sampler;
  const all = outcomes.flat();
  const admitted = all.filter((o) => o === 'allow').length;
  expect(all.filter((o) => o.startsWith('error'))).toEqual([]);
  expect(all.filter((o) => o !== 'allow' && o !== 'block race_zero_input')).toEqual([]);
  const used = async () => (await admin.query(
    `select sum(held)::int as held, sum(spent)::int as spent from llm.limit_usage where meter_name = 'race_zero_input' and tenant_id = $1`,
    [tenant])).rows[0] as { held: number; spent: number };
  const raced = await used();
  console.log(`zero hold race: ${all.length} calls estimated at 0 input tokens, ${admitted} admitted, ${raced.spent} input tokens charged of ${CAP}`);
  expect(admitted).toBeLessThanOrEqual(CAP);
  expect(raced).toEqual({ held: 0, spent: admitted }); // each charged its 1 input token, nothing left held
  expect(overCap).toBe(false);
  // Whatever a donor shard busy at the time refused (escrow borrows with SKIP LOCKED), the cap admits exactly 40 in all:
  // serial calls fill what the race left, and the next is refused.
  let more = 0;
  for (let i = 0; ; i++) {
    const u = users[i % users.length]!;
    const pk = await enqueue(u, `zs-${i}`);
    const d = await reserve(u, pk);
    if (d.decision !== 'allow') { expect(d.reason).toBe('race_zero_input'); break; }
    await settle(u, pk, d.attempt_no);
    more++;
    expect(more).toBeLessThanOrEqual(CAP);
  }
  expect(admitted + more).toBe(CAP);
  expect(await used()).toEqual({ held: 0, spent: CAP });
  const { rows: quotas } = await admin.query(
    `select sum(quota)::int as quota from llm_private.usage where meter_id = (select id from llm_private.meters where name = 'race_zero_input')`);
  expect(quotas).toEqual([{ quota: CAP }]);
  const { rows: drift } = await auditor.query('select * from llm.reconciliation_drift');
  expect(drift).toEqual([]);
}, 120_000);
