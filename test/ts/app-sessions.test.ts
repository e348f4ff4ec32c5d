/**
 * One application session cannot read another's query text (and so its signed context token): all of
 * them log in as llm_app, and PostgreSQL shows a role's sessions each other's pg_stat_activity.query.
 * A review reproduced the theft (another tenant's token captured within 8 s and replayed); llm_app
 * runs with track_activities = off (sql/bootstrap/roles.sql), which it cannot turn back on.
 */
import { Client } from 'pg';
import { createTestDb, type TestDb } from '../support/db';

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(async () => {
  await db.drop();
});

test('an llm_app session sees no query text of another llm_app session, and cannot re-enable it', async () => {
  const victim = new Client({ connectionString: db.url('llm_app') });
  const attacker = new Client({ connectionString: db.url('llm_app') });
  await victim.connect();
  await attacker.connect();
  try {
    const victimPid = (await victim.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
    const running = victim.query(`select pg_sleep(1.5), 'token-0123456789abcdef' as t`);
    await new Promise((r) => setTimeout(r, 300));
    const { rows } = await attacker.query<{ query: string | null; state: string | null }>(
      'select query, state from pg_stat_activity where pid = $1', [victimPid]);
    expect(rows).toHaveLength(1); // the session is listed (same role)...
    expect(rows[0]!.query ?? '').not.toContain('token-0123456789abcdef'); // ... without its query text
    await expect(attacker.query('set track_activities = on')).rejects.toMatchObject({ code: '42501' });
    await running;
  } finally {
    await victim.end();
    await attacker.end();
  }
});

test("a failing or slow statement of the application or the worker is not written to the server log: prompts, answers and traces stay out of it", async () => {
  // (tenth review) A settle stopped by statement_timeout wrote its literals (a tenant's answer and reasoning trace) into the
  // server log, which keeps them with no retention; an SQL injection in the application can make a settle wait that long.
  for (const role of ['llm_app', 'llm_worker'] as const) {
    const c = new Client({ connectionString: db.url(role) });
    await c.connect();
    try {
      // track_activities too: a deadlock report writes the current statement of every participant that tracks it (eleventh review).
      const { rows } = await c.query<{ e: string; d: string; t: string }>(
        `select current_setting('log_min_error_statement') as e, current_setting('log_min_duration_statement') as d,
                current_setting('track_activities') as t`);
      expect([role, rows[0]]).toEqual([role, { e: 'panic', d: '-1', t: 'off' }]);
      await expect(c.query('set log_min_error_statement = error')).rejects.toMatchObject({ code: '42501' });
      await expect(c.query('set log_min_duration_statement = 0')).rejects.toMatchObject({ code: '42501' });
    } finally {
      await c.end();
    }
  }
});
