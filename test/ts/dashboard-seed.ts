/**
 * Seeds a test database (as its superuser) with what the dashboard shows: two tenants, caps, spend
 * spread over the last 48 hours, refusals, open holds (one overdue, one whose request id is HTML),
 * an active and a scheduled shutoff window, an open breaker, breaker state changes (one older than the
 * dashboard's 7 days), prompts and outputs that must never reach the page; and can inject reconciliation drift.
 *
 * Everything goes through SPEC.md's functions: the operator sets tenants, models and limits, the
 * application enqueues with a signed context, the worker reserves and settles as llm_money.
 */
import type { Pool, PoolClient } from 'pg';
import { signContext } from '../../src/db/context';
import { TEST_CONTEXT_SECRET } from '../support/admin';

export const TENANT_A = 'a0000000-0000-0000-0000-00000000000a';
export const TENANT_B = 'b0000000-0000-0000-0000-00000000000b';
export const USER_A1 = 'a1000000-0000-0000-0000-000000000001';
export const USER_A2 = 'a2000000-0000-0000-0000-000000000002';
export const USER_B1 = 'b1000000-0000-0000-0000-000000000001';
/** Text that is stored as prompts and outputs: the dashboard must never show it. */
export const SECRET_PROMPT = 'SECRET-PROMPT-do-not-show-7f3a';
export const SECRET_OUTPUT = 'SECRET-OUTPUT-do-not-show-9c1e';
/** A request id that is HTML: the page must show it escaped. */
export const HTML_REQUEST_ID = '<script>alert("x")</script><b>hold</b>';

export async function seedDashboardData(admin: Pool): Promise<void> {
  const c = await admin.connect();
  try {
    await seed(c);
  } finally {
    c.release();
  }
}

/** Makes llm.reconciliation_drift non-empty by changing a usage counter behind the ledger's back. */
export async function injectDrift(admin: Pool): Promise<void> {
  const c = await admin.connect();
  try {
    // Triggers (which forbid exactly this) are skipped by a superuser in replica mode.
    await c.query('begin; set local session_replication_role = replica');
    await c.query(`update llm_private.usage set spent = spent + 1234 where tenant_id = $1`, [TENANT_A]);
    await c.query('commit');
  } catch (e) {
    await c.query('rollback');
    throw e;
  } finally {
    c.release();
  }
}

async function atHoursAgo(c: PoolClient, hours: number): Promise<void> {
  await c.query(`select tests.freeze_clock(now() - make_interval(secs => $1::float8 * 3600))`, [hours]);
}

/** Runs fn in a transaction acting as a role, with the worker's money context when ctx is given. */
async function tx(c: PoolClient, role: string, ctx: [string, string] | null, fn: () => Promise<void>): Promise<void> {
  await c.query('begin');
  try {
    await c.query(`select set_config('role', $1, true)`, [role]);
    if (ctx) {
      await c.query(`select set_config('app.current_tenant_id', $1, true), set_config('app.current_user_id', $2, true),
        set_config('app.context_tx', llm_private.tx_stamp()::text, true)`, ctx);
    }
    await fn();
    await c.query('commit');
  } catch (e) {
    await c.query('rollback');
    throw e;
  }
}

/**
 * One call through SPEC.md's API, as the application and the worker make it: enqueue as llm_app
 * with a signed context, reserve (and settle) as llm_money with the request's context.
 */
async function call(c: PoolClient, tenant: string, user: string, requestId: string, settle: boolean,
  expect = 'allow', callTimeoutMs = 60000, budgetScope: string | null = null): Promise<void> {
  let pk = '';
  await tx(c, 'llm_app', null, async () => {
    await c.query('select llm.use_context($1)', [signContext(TEST_CONTEXT_SECRET, tenant, user)]);
    const { rows } = await c.query(`select request_pk::text from llm.enqueue_call($1::jsonb)`, [JSON.stringify({
      request_id: requestId, endpoint: 'investigation', model: 'mock:large', max_output_tokens: 1000, ...(budgetScope ? { budget_scope: budgetScope } : {}),
      messages: [{ role: 'user', content: SECRET_PROMPT }] })]);
    pk = rows[0].request_pk;
  });
  await tx(c, 'llm_money', [tenant, user], async () => {
    const { rows } = await c.query(`select decision, reason, attempt_no from llm.reserve_call($1::bigint, 1, 1000, $2)`, [pk, callTimeoutMs]);
    const r = rows[0];
    if (r.decision !== expect) throw new Error(`seed: ${requestId} was ${r.decision} (${r.reason}), expected ${expect}`);
    if (settle && ['allow', 'cap', 'fallback'].includes(r.decision)) {
      await c.query(`select * from llm.settle_call($1::bigint, $2, 'ok', 1000, 0, 500, 1200, $3)`, [pk, r.attempt_no, SECRET_OUTPUT]);
    }
  });
}

/** Two tenants' month so far, spread over the last 40 hours of the database's clock. */
async function seed(c: PoolClient): Promise<void> {
  // A breaker of a model no call uses, opened by hand 10 days ago (a transition older than the dashboard's 7 days), closed by an operator below.
  await atHoursAgo(c, 240);
  await c.query(`insert into llm_private.provider_breakers (provider, model, state, consecutive_failures, open_until, opened_count)
    values ('mock', 'tiny', 'open', 3, now() + interval '5 minutes', 1)`);
  await atHoursAgo(c, 40);
  await tx(c, 'llm_operator', null, async () => {
    await c.query(`select llm.upsert_tenant($1, 'tenant A'), llm.upsert_tenant($2, 'tenant B')`, [TENANT_A, TENANT_B]);
    await c.query(`select llm.define_model('mock', 'large', 8192, false, 10000000, 5000000, 30000000),
      llm.define_model('mock', 'small', 4096, true, 1000000, 500000, 2000000)`);
    await c.query(`select llm.set_limit('tenant_monthly', 100000000, $1), llm.set_limit('tenant_monthly', 50000000, $2),
      llm.set_limit('user_monthly', 25000000, $1), llm.set_limit('user_monthly', 25000000, $2),
      llm.set_limit('user_monthly', 50000, $1, $3, p_alert_pcts => '{50,80,95}')`, [TENANT_A, TENANT_B, USER_A1]);
    // a1: $0.05, alerts at 50/80/95 %: its first call ($0.025) fires the 50 % alert, its second is refused.
    await c.query(`select llm.set_limit('investigation_calls', 20, $1), llm.set_limit('investigation_budget', 5000000, $1)`, [TENANT_A]);
  });
  await call(c, TENANT_A, USER_A2, 'a2-40h', true);
  await atHoursAgo(c, 30);
  await call(c, TENANT_A, USER_A1, 'a1-30h', true);
  await call(c, TENANT_A, USER_A1, 'a1-30h-refused', true, 'block');
  await call(c, TENANT_B, USER_B1, 'b1-30h', true);
  await atHoursAgo(c, 5);
  await call(c, TENANT_A, USER_A2, 'a2-5h', true);
  await call(c, TENANT_A, USER_A1, 'a1-5h-refused', true, 'block');
  await atHoursAgo(c, 0);
  await call(c, TENANT_B, USER_B1, 'b1-now', true, 'allow', 60000, 'investigation-b-1');
  await call(c, TENANT_A, USER_A2, HTML_REQUEST_ID, false, 'allow', 60000, 'investigation-a-7');
  await call(c, TENANT_B, USER_B1, 'b1-hold', false);
  await tx(c, 'llm_operator', null, async () => {
    await c.query(`select llm.trip_shutoff('tenant', $1, null, now() + interval '1 hour', 'incident 42: runaway agent')`, [TENANT_B]);
    await c.query(`select llm.schedule_shutoff('user', $1, $2, now() + interval '1 day', now() + interval '2 days', 'planned: <migration> & "cutover"')`,
      [TENANT_A, USER_A2]);
  });
  await call(c, TENANT_B, USER_B1, 'b1-during-shutoff', true, 'block');
  await tx(c, 'llm_operator', null, async () => {
    await c.query('select llm.evaluate_limits()'); // alerts of limits past a threshold (a1 at 50 %)
  });
  // Last reserve of all (a later reserve of this user could expire it): a hold past its expiry.
  await atHoursAgo(c, 2);
  await call(c, TENANT_A, USER_A2, 'a2-overdue-hold', false, 'allow', 1000);
  await atHoursAgo(c, 0);
  await tx(c, 'llm_operator', null, async () => {
    await c.query(`select llm.reset_breaker('mock', 'tiny')`);
  });
  await c.query(`insert into llm_private.provider_breakers (provider, model, state, consecutive_failures, open_until, opened_count, last_failure_at, last_success_at)
    values ('mock', 'small', 'open', 3, now() + interval '5 minutes', 1, now(), now() - interval '1 hour'),
           ('mock', 'large', 'closed', 0, null, 0, null, now())
    on conflict (provider, model) do update set state = excluded.state, consecutive_failures = excluded.consecutive_failures,
      open_until = excluded.open_until, opened_count = excluded.opened_count`);
}
