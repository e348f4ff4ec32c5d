/**
 * The audit views at the size of a ledger that has run for months, read as a DBA reads them (llm_auditor, the planner's own
 * choices, no timing): a filter on one month or on the last hours reads that month's or those hours' rows, not the whole
 * retention. What each partition's scans read is taken from EXPLAIN (ANALYZE, FORMAT JSON): rows returned plus rows
 * removed by a filter or an index recheck.
 */
import { Client, Pool } from 'pg';
import { maintainPartitions } from '../../src/db/migrate';
import { createTestDb, TestDb } from '../support/db';

let db: TestDb;
let auditor: Pool;
const PER_MONTH = 30000;
let months: number[] = [];
let summarized: (number | null)[] = [];

beforeAll(async () => {
  db = await createTestDb();
  const admin = db.pool('admin', 1);
  await admin.query('select tests.seed()');
  // Four past months of settled calls over 200 tenants, each month in its own partition, in reserved_at order, written as
  // they end up (the ledger's triggers skipped for the load only), then vacuumed and analyzed as autovacuum would.
  const { rows } = await admin.query<{ m: number }>(
    `select llm_private.month_index(llm_private.now()) - k as m from generate_series(4, 1, -1) k`);
  months = rows.map((r) => r.m);
  // The months' partitions as the owner makes them (llm_maint.ensure_partitions, as the owner).
  await db.pool('llm_owner', 1).query(
    `select llm_private.create_month_partition(t, m) from unnest($1::int[]) m, unnest(llm_private.partitioned_tables()) t`, [months]);
  const client = await admin.connect();
  try {
    await client.query('begin');
    await client.query('set local session_replication_role = replica');
    await client.query(
      `create temporary table h on commit drop as
       select ((m::bigint) << 40) + 900000000000 + i as pk,
              llm_private.month_start(m) + (llm_private.month_start(m + 1) - llm_private.month_start(m)) * (i / $2::numeric) as at,
              ('00000000-0000-4000-8000-' || lpad((i % 200)::text, 12, '0'))::uuid as tenant_id,
              ('00000000-0000-4000-9000-' || lpad((i % 1000)::text, 12, '0'))::uuid as user_id,
              i % 10 = 0 as refused
         from unnest($1::int[]) m, generate_series(0, $2 - 1) i`, [months, PER_MONTH]);
    await client.query(
      `insert into llm_private.requests (tenant_id, id, user_id, request_id, endpoint, state, reason, fingerprint, created_at, finished_at)
       select tenant_id, pk, user_id, 'hist-' || pk, 'explanation', case when refused then 'refused' else 'done' end::llm_private.request_state,
              case when refused then 'shutoff' else 'ok' end::llm_private.reason,
              sha256(pk::text::bytea), at, at + interval '2 seconds' from h`);
    await client.query(
      `insert into llm_private.attempts (tenant_id, request_pk, attempt_no, user_id, job_attempt, state, decision, reason,
         input_tokens_estimate, max_output_tokens, held_micros, reserved_at, expires_at, ended_at, input_tokens, cached_input_tokens,
         output_tokens, cost_micros, charged_micros, latency_ms, provider_status, meter_ids, distillation_eligible, distillation_reason)
       select tenant_id, pk, 1, user_id, 1, case when refused then 'refused' else 'settled' end::llm_private.attempt_state,
              case when refused then 'block' else 'allow' end::llm_private.decision, case when refused then 'shutoff' else 'ok' end::llm_private.reason, 1000, 500, case when refused then 0 else 2000 end,
              at, at + interval '60 seconds', case when refused then at else at + interval '2 seconds' end,
              case when refused then null else 1000 end, case when refused then null else 0 end, case when refused then null else 500 end,
              case when refused then null else 2000 end, case when refused then 0 else 2000 end, case when refused then null else 1500 end,
              case when refused then null else 'ok' end::llm_private.provider_status, '{}',
              case when refused then null else false end, case when refused then null else 'tenant_not_opted_in' end::llm_private.distill_reason
         from h`);
    await client.query('commit');
  } finally {
    client.release();
  }
  await admin.query('vacuum analyze llm_private.requests');
  await admin.query('vacuum analyze llm_private.attempts');
  // The owner's daily maintenance: it summarises the ended months' last block ranges, which VACUUM leaves.
  summarized.push((await maintainPartitions(db.adminUrl)).summarized, (await maintainPartitions(db.adminUrl)).summarized);
  auditor = db.pool('llm_auditor', 1);
  const { rows: named } = await admin.query<{ m: number; relname: string }>(
    `select m, 'attempts_m' || to_char(llm_private.month_start(m) at time zone 'UTC', 'YYYYMM') as relname from unnest($1::int[]) m`, [months]);
  for (const r of named) names.set(r.m, r.relname);
}, 120_000);
afterAll(async () => db.drop());

interface PlanNode { 'Node Type': string; 'Relation Name'?: string; 'Actual Rows'?: number; 'Actual Loops'?: number;
  'Rows Removed by Filter'?: number; 'Rows Removed by Index Recheck'?: number; Plans?: PlanNode[] }

/** Rows each partition of the attempts was read for (returned + filtered away + rechecked away), by partition name. */
async function attemptRowsRead(sql: string, params: unknown[]): Promise<Map<string, number>> {
  const { rows } = await auditor.query(`explain (analyze, format json) ${sql}`, params);
  const read = new Map<string, number>();
  const walk = (n: PlanNode) => {
    const rel = n['Relation Name'];
    if (rel?.startsWith('attempts_') && /Scan/.test(n['Node Type'])) {
      const loops = n['Actual Loops'] ?? 1;
      const r = ((n['Actual Rows'] ?? 0) + (n['Rows Removed by Filter'] ?? 0) + (n['Rows Removed by Index Recheck'] ?? 0)) * loops;
      read.set(rel, (read.get(rel) ?? 0) + r);
    }
    for (const c of n.Plans ?? []) walk(c);
  };
  walk(rows[0]['QUERY PLAN'][0].Plan);
  return read;
}

const names = new Map<number, string>();
/** The attempts' partition of month index m (as llm_private.create_month_partition names it). */
const partition = (m: number) => names.get(m) ?? `no partition for ${m}`;
const monthStart = async (m: number) => (await auditor.query('select llm_private.month_start($1) as s', [m])).rows[0].s as Date;

test('the ledger holds four months of calls, one partition each', async () => {
  const { rows } = await db.pool('admin', 1).query(
    `select c.relname, c.reltuples::bigint as n from pg_inherits i join pg_class c on c.oid = i.inhrelid
      where i.inhparent = 'llm_private.attempts'::regclass and c.relname = any ($1)`, [months.map(partition)]);
  expect(rows.map((r) => [r.relname, Number(r.n)]).sort()).toEqual(months.map((m) => [partition(m), PER_MONTH]));
});

test('the logins that read the audit views run without JIT (compiling one month of llm.monthly_spend took 3.6 of its 3.9 s at 1.2 M attempts)', async () => {
  for (const role of ['llm_auditor', 'llm_viewer', 'llm_operator'] as const) {
    expect([role, (await db.pool(role, 1).query('show jit')).rows[0].jit]).toEqual([role, 'off']);
  }
});

test('the daily maintenance summarises the last block range of every ended month\'s BRINs, once', async () => {
  // Four months, each with the attempts' BRIN (reserved_at, its month and hour), the attempts' expires_at BRIN and the
  // requests' created_at BRIN: at least one partial range each. A second run finds nothing left.
  expect(summarized[0]).toBeGreaterThanOrEqual(4 * 3);
  expect(summarized[1]).toBe(0);
});

test.each([
  ['llm.monthly_spend', `select * from llm.monthly_spend where month_start = $1`],
  ['llm.monthly_spend of one tenant', `select * from llm.monthly_spend where month_start = $1 and tenant_id = '00000000-0000-4000-8000-000000000007'`],
  ['llm.refusals_by_reason', `select * from llm.refusals_by_reason where month_start = $1`],
  ['llm.cache_stats', `select * from llm.cache_stats where month_start = $1`],
])('%s of one month reads no other month\'s calls', async (_name, sql) => {
  const m = months[1]!;
  const read = await attemptRowsRead(sql, [await monthStart(m)]);
  expect(read.get(partition(m)) ?? 0).toBeGreaterThan(0);
  for (const other of months.filter((x) => x !== m)) expect([partition(other), read.get(partition(other)) ?? 0]).toEqual([partition(other), 0]);
});

test('llm.monthly_spend of one month says what that month\'s calls were charged', async () => {
  const m = months[1]!;
  const { rows } = await auditor.query(
    `select sum(spent_micros)::bigint as spent, count(*)::int as tenants from llm.monthly_spend where month_start = $1 and user_id is null`,
    [await monthStart(m)]);
  // 9 calls in 10 settled at 2 000 each, over 200 tenants.
  expect(rows[0]).toEqual({ spent: String((PER_MONTH * 9) / 10 * 2000), tenants: 200 });
});

test('llm.hourly_spend of the last 48 hours of a month reads only those hours\' blocks', async () => {
  const m = months[2]!;
  const end = await monthStart(m + 1);
  const from = new Date(end.getTime() - 48 * 3600_000);
  const read = await attemptRowsRead(`select * from llm.hourly_spend where hour_start >= $1 and hour_start < $2`, [from, end]);
  for (const other of months.filter((x) => x !== m)) expect([partition(other), read.get(partition(other)) ?? 0]).toEqual([partition(other), 0]);
  // Of the month's own 30 000 calls, about 48 hours' worth (~2 000 of a 30-day month) and the block ranges around them: far
  // from all.
  expect(read.get(partition(m)) ?? 0).toBeGreaterThan(0);
  expect(read.get(partition(m)) ?? 0).toBeLessThan(PER_MONTH / 3);
});

test('a partition that retention drops while the maintenance waits for it is skipped, not an error of the run', async () => {
  // (review of migration 000037) The maintenance listed the BRINs first and then summarised each: a partition dropped in
  // between (drop_expired_partitions, committed while it waited) failed the run with XX000 "could not open relation".
  const { rows } = await db.pool('admin', 1).query<{ m: number; rel: string }>(
    `select llm_private.month_index(llm_private.now()) - 7 as m,
            'attempts_m' || to_char(llm_private.month_start(llm_private.month_index(llm_private.now()) - 7) at time zone 'UTC', 'YYYYMM') as rel`);
  const { m, rel } = rows[0]!;
  await db.pool('llm_owner', 1).query(`select llm_private.create_month_partition('attempts', $1)`, [m]);
  const dropper = await db.pool('admin', 2).connect();
  try {
    await dropper.query('begin');
    await dropper.query(`lock table llm_private.attempts, llm_private.${rel} in access exclusive mode`);
    const run = db.pool('llm_owner', 1).query('select llm_maint.summarize_ended_months() as n')
      .then((r) => ({ n: Number(r.rows[0].n) }), (e: { code?: string; message?: string }) => ({ error: `${e.code} ${e.message}` }));
    await new Promise((r) => setTimeout(r, 60)); // the run waits for the partition (up to 200 ms)
    await dropper.query(`alter table llm_private.attempts detach partition llm_private.${rel}; drop table llm_private.${rel}; commit`);
    expect(await run).toEqual({ n: expect.any(Number) });
  } finally {
    await dropper.query('rollback').catch(() => {});
    dropper.release();
  }
  expect((await db.pool('admin', 1).query(`select to_regclass('llm_private.${rel}') as r`)).rows[0].r).toBeNull();
});

test('the metrics\' count of open holds reads the hours the expiry sweep watches, not every month of the ledger', async () => {
  // (review at scale, 2026-11-27) Every scrape counted llm.open_holds, which reads every attempt of the retention for
  // state = 'held' (0.25 s per 10^6 attempts). llm.open_hold_counts reads those expiring after the sweep's watermark less
  // an hour, through the expires_at BRIN.
  const admin = db.pool('admin', 1);
  const m = months[1]!;
  const client = await admin.connect();
  try {
    await client.query('begin');
    await client.query(`update llm_private.settings set swept_until = llm_private.now() - interval '10 minutes'`);
    await client.query('set local session_replication_role = replica');
    // Three holds of this month (two live, one overdue since a minute), and one of an old month, still held long past
    // its expiry: a reserve committed after the sweep had passed it (a money transaction kept open).
    await client.query(
      `create temporary table held on commit drop as select * from (values ((llm_private.month_index(llm_private.now())::bigint << 40) + 990000000001, llm_private.now() - interval '10 seconds'),
                      ((llm_private.month_index(llm_private.now())::bigint << 40) + 990000000002, llm_private.now() - interval '20 seconds'),
                      ((llm_private.month_index(llm_private.now())::bigint << 40) + 990000000003, llm_private.now() - interval '2 minutes'),
                      ((($1::int::bigint) << 40) + 990000000004, llm_private.month_start($1::int) + interval '3 days')) x(pk, at)`, [m]);
    await client.query(
      `insert into llm_private.requests (tenant_id, id, user_id, request_id, endpoint, state, fingerprint, created_at)
       select '00000000-0000-4000-8000-000000000001', pk, '00000000-0000-4000-9000-000000000001', 'held-' || pk, 'explanation', 'running',
              sha256(pk::text::bytea), at from held`);
    await client.query(
      `insert into llm_private.attempts (tenant_id, request_pk, attempt_no, user_id, job_attempt, state, decision, reason,
         input_tokens_estimate, max_output_tokens, held_micros, reserved_at, expires_at, meter_ids)
       select '00000000-0000-4000-8000-000000000001', pk, 1, '00000000-0000-4000-9000-000000000001', 1, 'held', 'allow', 'ok',
              1000, 500, 2000, at, at + interval '60 seconds', '{}' from held`);
    await client.query('commit');
  } finally {
    await client.query('rollback').catch(() => {});
    client.release();
  }
  // A session of its own: PostgreSQL 15 flushes a session's table counters at most once a second, and the unflushed ones
  // of its earlier transactions show in pg_stat_xact_all_tables too.
  const c = new Client({ connectionString: db.url('llm_auditor') });
  await c.connect();
  try {
    await c.query('begin');
    const { rows: [counts] } = await c.query('select open_holds::int, holds_overdue::int from llm.open_hold_counts()');
    // The dashboard's and Grafana's list of them, the same way (it listed llm.open_holds, every month of the ledger).
    const { rows: listed } = await c.query(`select request_id, overdue from llm.watched_open_holds(null, 200)`);
    const { rows: read } = await c.query(`select relname, seq_tup_read::int + coalesce(idx_tup_fetch, 0)::int as n
      from pg_stat_xact_all_tables where relname = any ($1)`, [months.map(partition)]);
    await c.query('commit');
    expect(counts).toEqual({ open_holds: 3, holds_overdue: 1 });
    expect(listed.map((r) => r.overdue)).toEqual([true, false, false]); // soonest expiry first: the overdue one
    expect((await c.query(`select count(*)::int as n from llm.watched_open_holds('00000000-0000-4000-8000-000000000002', 200)`)).rows[0].n).toBe(0);
    // (review of llm.open_hold_counts) Its bounds went through text in the session's DateStyle: read back as another zone
    // (IST as Israel's: 0 and 0 here) or refused (WIB: 22007). Any reader's settings give the same counts.
    for (const [style, zone] of [['SQL, DMY', 'Asia/Kolkata'], ['Postgres', 'Asia/Jakarta'], ['German', 'America/St_Johns']]) {
      await c.query(`set datestyle = '${style}'`);
      await c.query(`set timezone = '${zone}'`);
      const { rows: [again] } = await c.query('select open_holds::int, holds_overdue::int from llm.open_hold_counts()');
      expect([style, zone, again]).toEqual([style, zone, counts]);
    }
    for (const other of months) {
      expect([partition(other), read.find((r) => r.relname === partition(other))?.n ?? 0]).toEqual([partition(other), 0]);
    }
    // llm.open_holds lists every one, the old hold too, reading every month.
    const { rows: [all] } = await c.query('select count(*)::int as n, count(*) filter (where overdue)::int as overdue from llm.open_holds');
    expect(all).toEqual({ n: 4, overdue: 2 });
  } finally {
    await c.end();
  }
});
