/**
 * Plans of the money path's statements at scale, read from inside the functions (auto_explain of
 * nested statements, on a real reserve), not timed: what the plan reads must not grow with data
 * that is not the call's.
 */
import { Client } from 'pg';
import { createTestDb, TestDb } from '../support/db';

let db: TestDb;
let c: Client;
const plans: string[] = [];

beforeAll(async () => {
  db = await createTestDb();
  c = new Client({ connectionString: db.adminUrl });
  await c.connect();
  c.on('notice', (n) => { if (/Query Text:/.test(n.message ?? '')) plans.push(n.message ?? ''); });
  await c.query('select tests.seed()');
});
afterAll(async () => {
  await c.end();
  await db.drop();
});

test("a reserve reads its own limits, not every per-user limit of its tenant's", async () => {
  // (review at scale) applicable_limits asked for (tenant null or ours) and (user null or ours): the index gave the
  // tenant's whole range, every per-user limit of the tenant on the meter, filtered row by row, on every reserve and in
  // every re-cap and audit view (limit_in_effect). 1 200 users with their own monthly cap: 1 200 rows read per meter.
  await c.query(`set session_replication_role = replica`);   // (no guard per row: the rows are plain limits)
  await c.query(`insert into llm_private.limits (meter_id, tenant_id, user_id, cap, kind, action, valid_from, valid_until, temporary)
                 select m.id, tests.tenant_a(), ('10000000-0000-4000-8000-' || lpad(to_hex(g), 12, '0'))::uuid, 1000000,
                        'hard', 'block', '-infinity', 'infinity', false
                   from llm_private.meters m, generate_series(1, 1200) g where m.name = 'user_monthly'`);
  await c.query(`set session_replication_role = origin`);
  await c.query('analyze llm_private.limits');
  await c.query(`load 'auto_explain'`);
  await c.query(`set auto_explain.log_min_duration = 0; set auto_explain.log_analyze = on;
                 set auto_explain.log_nested_statements = on; set auto_explain.log_level = notice; set client_min_messages = notice`);
  // Six reserves, so that the functions' cached plans go generic as in a worker's long-lived session.
  for (let i = 0; i < 6; i++) {
    const { rows } = await c.query(`select decision from tests.call(tests.tenant_a(), tests.user_a1(), $1)`, [`plan-${i}`]);
    expect(rows[0].decision).toBe('allow');
  }
  await c.query(`set client_min_messages = warning; set auto_explain.log_min_duration = -1`);
  const limitReads = plans.filter((p) => /Query Text:[\s\S]*from llm_private\.limits x/.test(p) && /x\.meter_id = m\.id/.test(p));
  expect(limitReads.length).toBeGreaterThanOrEqual(6);
  for (const p of limitReads) {
    // The user's own range is an index condition, and no limit row is read only to be filtered away.
    expect(p).toMatch(/Index Cond: \(.*tenant_id = [^)]*\) AND \(.*user_id = /);
    const removed = [...p.matchAll(/Rows Removed by Filter: (\d+)/g)].map((m) => Number(m[1]));
    expect(Math.max(0, ...removed)).toBeLessThan(10);
  }
});
