/**
 * Two operators change one subject's permanent limits at once (helper 92): each llm.set_limit ended only the limits its
 * snapshot saw, so both new limits stayed open-ended, and the first came back into effect when the second was ended. They
 * now take the meter's row first (llm.end_limit too): the second waits and ends the first.
 */
import type { Pool } from 'pg';
import { createTestDb, TestDb } from '../support/db';
import { blocked } from '../support/locks';

let db: TestDb;
let admin: Pool;
let operator: Pool;

beforeAll(async () => {
  db = await createTestDb();
  admin = db.pool('admin', 2);
  operator = db.pool('llm_operator', 3);
});
afterAll(async () => db.drop());

test('set_limit from two sessions at once: one timeline, and ending the later one leaves none in effect', async () => {
  await admin.query(`select tests.seed()`);
  await operator.query(`select llm.define_meter('race', 'tenant', 'day', 'micros')`);
  const tenant = (await admin.query(`select tests.tenant_a() as t`)).rows[0].t as string;
  await operator.query(`select llm.set_limit('race', 100000, $1)`, [tenant]);
  const a = await operator.connect();
  const b = await operator.connect();
  try {
    await a.query('begin');
    const la = (await a.query(`select llm.set_limit('race', 20000, $1) as id`, [tenant])).rows[0].id as number;
    await b.query('begin');
    const pending = b.query(`select llm.set_limit('race', 30000, $1) as id`, [tenant]);
    await blocked(admin, 1);
    await a.query('commit');
    const lb = (await pending).rows[0].id as number;
    await b.query('commit');
    const open = await admin.query(`select id from llm_private.limits where meter_id = (select id from llm_private.meters where name = 'race')
      and valid_until = 'infinity' order by id`);
    expect(open.rows.map((r) => r.id)).toEqual([lb]);
    expect((await operator.query(`select llm.end_limit($1) as ok`, [lb])).rows[0].ok).toBe(true);
    const inEffect = await operator.query(`select limit_id from llm.limits where meter_name = 'race' and in_effect`);
    expect(inEffect.rows).toEqual([]); // not A's 20 000, which B's set_limit had replaced
    expect(la).toBeLessThan(lb);
  } finally {
    a.release();
    b.release();
  }
}, 30000);
