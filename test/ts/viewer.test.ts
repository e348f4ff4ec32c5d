/**
 * llm_viewer, the login of the dashboard, the metrics, `npm run audit`, the demo's summary and Grafana,
 * reads the audit views and nothing else: no prompt, output, reasoning trace or cache entry of any
 * tenant. llm_auditor, which those surfaces used before, reads them all (review of 2026-11-26).
 *
 * Checked the way an attacker holding that login would look: from the catalog, every relation of
 * every schema, every column, every verb; and by searching every value it can read for the texts a
 * seeded ledger holds (the same search as llm_auditor finds them, so the search can fail).
 */
import type { Client, Pool } from 'pg';
import { Client as PgClient } from 'pg';
import { signContext } from '../../src/db/context';
import { AUDIT_VIEWS, FORBIDDEN_VIEWS, loadSections, SECTION_NAMES } from '../../src/dashboard/queries';
import { TEST_CONTEXT_SECRET } from '../support/admin';
import { createTestDb, type TestDb } from '../support/db';
import { SECRET_OUTPUT, SECRET_PROMPT, seedDashboardData, TENANT_A, USER_A1 } from './dashboard-seed';

const SECRET_TRACE = 'SECRET-TRACE-do-not-show-41d0';
const MARKERS = [SECRET_PROMPT, SECRET_OUTPUT, SECRET_TRACE];
const SCHEMAS = ['llm', 'llm_private', 'llm_queue', 'graphile_worker', 'public'];

let db: TestDb;
let admin: Pool;
beforeAll(async () => {
  db = await createTestDb();
  admin = db.pool('admin', 2);
  await seedDashboardData(admin);
  await callWithTrace(admin);
}, 60_000);
afterAll(async () => {
  await db.drop();
});

/** One more call of tenant A, settled with a reasoning trace (the seed's calls have none). */
async function callWithTrace(pool: Pool): Promise<void> {
  const c = await pool.connect();
  try {
    await c.query('begin; set local role llm_app');
    await c.query('select llm.use_context($1)', [signContext(TEST_CONTEXT_SECRET, TENANT_A, USER_A1)]);
    const { rows: [q] } = await c.query(`select request_pk::text as pk from llm.enqueue_call($1::jsonb)`, [JSON.stringify({
      request_id: 'viewer-trace', endpoint: 'explanation', model: 'mock:large', max_output_tokens: 100,
      messages: [{ role: 'user', content: SECRET_PROMPT }] })]);
    await c.query('commit');
    await c.query('begin; set local role llm_money');
    await c.query(`select set_config('app.current_tenant_id', $1, true), set_config('app.current_user_id', $2, true),
      set_config('app.context_tx', llm_private.tx_stamp()::text, true)`, [TENANT_A, USER_A1]);
    const { rows: [r] } = await c.query(`select decision, attempt_no from llm.reserve_call($1::bigint, 1, 10, 60000)`, [q.pk]);
    expect(r.decision).toBe('allow');
    await c.query(`select * from llm.settle_call($1::bigint, $2, 'ok', 10, 0, 20, 100, $3, $4)`, [q.pk, r.attempt_no, SECRET_OUTPUT, SECRET_TRACE]);
    await c.query('commit');
  } catch (e) {
    await c.query('rollback');
    throw e;
  } finally {
    c.release();
  }
}

async function as<T>(role: 'llm_viewer' | 'llm_auditor', fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new PgClient({ connectionString: db.url(role) });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

async function relations(): Promise<{ rel: string; kind: string; columns: string[]; plain: string[] }[]> {
  const { rows } = await admin.query<{ rel: string; kind: string; columns: string[]; plain: string[] }>(
    `select format('%I.%I', n.nspname, c.relname) as rel, c.relkind::text as kind,
            array_agg(quote_ident(a.attname) order by a.attnum) as columns,
            array_agg(quote_ident(a.attname) order by a.attnum) filter (where a.attidentity = '' and a.attgenerated = '') as plain
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
       join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
      where n.nspname = any ($1) and c.relkind in ('r', 'p', 'v', 'm', 'f')
      group by 1, 2 order by 1`, [SCHEMAS]);
  return rows;
}

/**
 * Every value the role can read, relation by relation (each column alone where the whole row is refused),
 * and which markers it holds. Each read runs in a savepoint, so one refusal does not end the search.
 */
async function search(role: 'llm_viewer' | 'llm_auditor'): Promise<{ readable: string[]; found: Record<string, string[]> }> {
  const rels = await relations();
  return as(role, async (c) => {
    const readable: string[] = [];
    const found: Record<string, string[]> = {};
    await c.query('begin');
    const read = async (rel: string, what: string): Promise<string | null> => {
      await c.query('savepoint s');
      try {
        const { rows } = await c.query<{ t: string | null }>(`select string_agg(x::text, ' ') as t from (select ${what} from ${rel}) x`);
        await c.query('release savepoint s');
        return rows[0]!.t ?? '';
      } catch (e) {
        await c.query('rollback to savepoint s');
        if ((e as { code?: string }).code !== '42501') throw new Error(`${role} reading ${what} of ${rel}: ${(e as Error).message}`);
        return null;
      }
    };
    for (const { rel, columns } of rels) {
      let text = await read(rel, '*');
      if (text === null) {
        const parts: string[] = [];
        for (const col of columns) {
          const t = await read(rel, col);
          if (t !== null) {
            parts.push(t);
            readable.push(`${rel}.${col}`);
          }
        }
        text = parts.length ? parts.join(' ') : null;
      } else {
        readable.push(rel);
      }
      const hits = MARKERS.filter((m) => text?.includes(m));
      if (hits.length) found[rel] = hits;
    }
    await c.query('rollback');
    return { readable, found };
  });
}

test('the seeded ledger holds the texts, and llm_auditor finds every one of them (the search works)', async () => {
  const { found } = await search('llm_auditor');
  const all = new Set(Object.values(found).flat());
  expect([...all].sort()).toEqual([...MARKERS].sort());
  expect(Object.keys(found)).toEqual(expect.arrayContaining(['llm.final_outputs', 'llm.request_results', 'llm_private.request_inputs',
    'llm_private.call_outputs', 'llm_private.reasoning_traces']));
});

test('llm_viewer reads no prompt, output or reasoning trace of any tenant, in any relation or column', async () => {
  const { readable, found } = await search('llm_viewer');
  expect(found).toEqual({});
  // What it reads, pinned: the audit views, the catalog views, and the tables behind them (they are security_invoker).
  const views = readable.filter((r) => r.startsWith('llm.'));
  // llm.usage_repairs: the moves of counters back to their ledger (keys, amounts, the operator's reason), no tenant content;
  // llm.month_closes: the closed months (when, who, why) and a count of late settles; llm.workers: worker processes' lock ids,
  // hosts and pids (no tenant content); llm.erasures: each erasure of stored content (tenant, user, the operator's reason,
  // counts, when, who), none of the content.
  expect(views.sort()).toEqual([...AUDIT_VIEWS.map((v) => `llm.${v}`), 'llm.adjustments', 'llm.decision_log', 'llm.endpoint_cache_settings', 'llm.limits',
    'llm.month_closes', 'llm.usage_repairs', 'llm.workers', 'llm.erasures']
    .sort());
  for (const t of ['request_inputs', 'call_outputs', 'reasoning_traces', 'cache_entries', 'tenants', 'users', 'context_keys']) {
    expect(readable.filter((r) => r === `llm_private.${t}` || r.startsWith(`llm_private.${t}.`))).toEqual([]);
  }
  // Of attempts, every column but cache_key; of requests, every column but the fingerprint: each is a bare hash of a
  // payload, with which a guessed prompt could be confirmed.
  expect(readable.filter((r) => r.startsWith('llm_private.attempts'))).not.toContain('llm_private.attempts.cache_key');
  expect(readable).not.toContain('llm_private.attempts');
  expect(readable).toContain('llm_private.attempts.held_micros');
  expect(readable.filter((r) => r.startsWith('llm_private.requests'))).toEqual(expect.not.arrayContaining(['llm_private.requests.fingerprint']));
  expect(readable).toContain('llm_private.requests.request_id');
  expect(readable.some((r) => r.startsWith('graphile_worker.') || r.startsWith('llm_queue.'))).toBe(false);
  for (const v of FORBIDDEN_VIEWS) expect(readable).not.toContain(`llm.${v}`);
});

test('llm_viewer changes nothing: every table, every verb', async () => {
  const rels = (await relations()).filter((r) => r.kind === 'r' || r.kind === 'p');
  expect(rels.length).toBeGreaterThan(20);
  const outcomes = await as('llm_viewer', async (c) => {
    const out: string[] = [];
    for (const { rel, plain } of rels) {
      for (const sql of [`insert into ${rel} default values`, `update ${rel} set ${plain[0]} = ${plain[0]}`, `delete from ${rel}`,
        `truncate ${rel}`]) {
        try {
          await c.query(sql);
          out.push(`${sql}: ok`);
        } catch (e) {
          const code = (e as { code?: string }).code;
          // 42501 permission denied; 25006 read-only transaction (its default).
          if (!['42501', '25006'].includes(code ?? '')) out.push(`${sql}: ${code} ${(e as Error).message}`);
        }
      }
    }
    return out;
  });
  expect(outcomes).toEqual([]);
  // Read-only is a default only; without it, privileges alone still refuse.
  const again = await as('llm_viewer', async (c) => {
    await c.query('set default_transaction_read_only = off');
    try {
      await c.query(`update llm_private.usage set spent = 0`);
      return 'ok';
    } catch (e) {
      return (e as { code?: string }).code;
    }
  });
  expect(again).toBe('42501');
});

test('the functions llm_viewer may run are the audit views\' own helpers (pinned list)', async () => {
  const { rows } = await admin.query<{ f: string }>(
    `select p.oid::regprocedure::text as f from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where n.nspname = any ($1) and has_schema_privilege('llm_viewer', n.oid, 'usage')
        and has_function_privilege('llm_viewer', p.oid, 'execute') order by 1`,
    [SCHEMAS.filter((s) => s !== 'public')]); // public holds pgTAP's functions in a test database

  const { rows: schemas } = await admin.query<{ s: string }>(
    `select nspname as s from pg_namespace where nspname = any ($1) and has_schema_privilege('llm_viewer', oid, 'usage') order by 1`, [SCHEMAS]);
  expect(schemas.map((r) => r.s)).toEqual(['llm', 'llm_private', 'public']); // public: usage only, CREATE revoked (database.sql)
  expect(rows.map((r) => r.f)).toEqual([
    // a page of llm.budget_scopes, and the highest use per limit scope: the dashboard's (src/dashboard/queries.ts AUDIT_FUNCTIONS)
    'llm.budget_scopes_page(uuid,integer,text,timestamp with time zone,timestamp with time zone,uuid,text)', 'llm.limit_use_maxima(integer)',
    'llm.open_hold_counts()', 'llm.product_time()', 'llm.watched_open_holds(uuid,integer)',
    'llm_private.applicable_limits(uuid,uuid,llm_private.endpoint,text,text,boolean,timestamp with time zone)',
    'llm_private.budget_scope_deadline(uuid,uuid,llm_private.endpoint,timestamp with time zone)',
    'llm_private.budget_scope_span(uuid,uuid,llm_private.endpoint)',
    'llm_private.call_cost_micros(llm_private.model_prices,integer,integer,integer)',
    'llm_private.charged_amount(llm_private.limit_unit,llm_private.attempt_state,bigint,boolean,integer,integer,integer,integer,integer,llm_private.purpose)',
    'llm_private.declared_role_settings()',
    'llm_private.held_amount(llm_private.limit_unit,bigint,integer,integer,llm_private.purpose,boolean)',
    'llm_private.limits_in_effect(smallint,uuid,uuid,timestamp with time zone)',
    'llm_private.month_index(timestamp with time zone)',
    'llm_private.month_start(integer)',
    'llm_private.nil_uuid()',
    'llm_private.now()', 'llm_private.oldest_reservable_request_pk(timestamp with time zone)', 'llm_private.partitioned_tables()',
    'llm_private.period_end(llm_private.limit_window,timestamp with time zone)',
    'llm_private.period_start(llm_private.limit_window,timestamp with time zone)', 'llm_private.reserved_in_scope(timestamp with time zone,timestamp with time zone)',
    'llm_private.role_settings_live()',
    'llm_private.scopes_all_have_deadline(llm_private.endpoint,uuid,timestamp with time zone)', // llm.budget_scopes_page
    'llm_private.usage_key(llm_private.limit_scope,llm_private.limit_window,smallint,uuid,uuid,text,timestamp with time zone,timestamp with time zone)',
    // where a usage period ends (a budget scope's at its deadline at the latest): llm.limit_usage, llm.limit_use_maxima
    'llm_private.usage_period_end(llm_private.limit_window,timestamp with time zone,timestamp with time zone)',
    'llm_private.usage_shard(llm_private.limit_scope,smallint,uuid,uuid)',
    'llm_private.used_pct(bigint,bigint)', // the share of a cap used (Infinity at a cap of 0 once used): llm.limit_usage
    'llm_private.watched_holds_from()',
    'llm_private.worst_case_micros(llm_private.model_prices,integer,integer)',
  ]);
});

test('every dashboard section reads as llm_viewer, over its own login', async () => {
  const pool = db.pool('llm_viewer', 1);
  const { rows } = await loadSections(pool, SECTION_NAMES, null);
  expect(rows.spend.length).toBeGreaterThan(0);
  expect(rows.holds.length).toBeGreaterThan(0);
  expect(JSON.stringify(rows, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))).not.toMatch(/SECRET-/);
});

test('llm_viewer cannot test a guessed cache key (a bare sha256 of a payload) against the ledger, in any clause', async () => {
  // (review of 2026-11-26) On a cache hit attempts.cache_key is the entry's key: sha256 of the normalized payload, which
  // anyone can compute for a guessed prompt. A WHERE clause needs SELECT on the column as much as the select list does.
  const guess = "encode(sha256(convert_to('guess', 'UTF8')), 'hex')";
  for (const sql of [`select count(*) from llm_private.attempts where cache_key = ${guess}`,
    `select request_pk from llm_private.attempts order by cache_key limit 1`,
    `select count(*) from llm_private.attempts a where a is not null`,
    `select count(*) from llm_private.requests where fingerprint = sha256('guess')`]) {
    const code = await as('llm_viewer', async (c) => c.query(sql).then(() => 'ok', (e: { code?: string }) => e.code));
    expect(`${sql}: ${code}`).toBe(`${sql}: 42501`);
  }
});
