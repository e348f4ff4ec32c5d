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
