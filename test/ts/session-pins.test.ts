/**
 * Our connections pin the session settings whose output our parsers read (src/db/session.ts): a DBA's database-wide
 * `DateStyle = 'SQL, DMY'` (an older application's need) or `IntervalStyle = sql_standard` must not break the worker,
 * whose timestamps node-postgres parses only in ISO (finance review 86: the audit CLI pinned it, the pools did not).
 */
import { pinnedUrl, SESSION_PINS } from '../../src/db/urls';
import { createHarness, type Harness, payload } from '../support/worker-harness';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
  const db = h.db.name.replace(/"/g, '""');
  await h.admin.query(`alter database "${db}" set datestyle = 'SQL, DMY'`);
  await h.admin.query(`alter database "${db}" set intervalstyle = 'sql_standard'`);
});
afterAll(async () => {
  await h?.close();
});

test('a database whose defaults are DateStyle SQL, DMY and IntervalStyle sql_standard: the worker starts (its catalog guard reads the checks as migrate recorded them), reads dates, and the call ends done', async () => {
  // The defaults apply to new sessions: a fresh one shows them.
  const probe = h.db.pool('llm_operator', 1);
  try {
    expect((await probe.query(`select current_setting('datestyle') as d, now()::text as t`)).rows[0].d).toBe('SQL, DMY');
  } finally {
    await probe.end();
  }
  const w = await h.startWorker();
  // The worker's pool reads timestamps as dates (under SQL, DMY node-postgres parsed them as null: llm.open_holds'
  // expires_at, the dashboard's times, a decision's expires_at, all silently null).
  const { rows: [now] } = await w.deps.pool.query(`select now() as t, '92 days'::interval::text as i`);
  expect(now.t).toBeInstanceOf(Date);
  expect(now.i).toBe('92 days');
  await h.enqueue(payload('pin-1'));
  await h.waitForJobs(30000);
  const r = await h.result('pin-1');
  expect(r).toMatchObject({ state: 'done' });
  expect(BigInt(r!.spent_micros)).toBeGreaterThan(0n);
  const calls = await h.calls('pin-1');
  expect(calls.map((c) => c.state)).toEqual(['settled']);
  expect(h.logLines.filter((l) => /"level":"(error|fatal)"/.test(l))).toEqual([]);
}, 60000);

test('graphile-worker\'s own CLI pins its pool too (its cron reads known_crontabs\' timestamps): the preset\'s URL carries the pins after the URL\'s own options', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { cliPreset } = require('../../src/worker/cli') as typeof import('../../src/worker/cli');
  const preset = cliPreset({ DATABASE_URL: 'postgres://admin@127.0.0.1:5432/x?options=-c%20statement_timeout%3D5s' });
  const url = new URL(preset.worker!.connectionString!);
  expect(url.username).toBe('llm_worker');
  expect(url.searchParams.get('options')).toBe('-c statement_timeout=5s -c DateStyle=ISO,MDY -c IntervalStyle=postgres');
});

test('the pins come after the options the URL carries, or else after PGOPTIONS (which node-postgres ignores once a URL has options)', () => {
  const opts = (url: string, env: NodeJS.ProcessEnv = {}) => new URL(pinnedUrl(url, '', env)).searchParams.get('options');
  expect(opts('postgres://x@h/db')).toBe(SESSION_PINS);
  expect(opts('postgres://x@h/db', { PGOPTIONS: '-c statement_timeout=5s' })).toBe(`-c statement_timeout=5s ${SESSION_PINS}`);
  expect(opts('postgres://x@h/db?options=-c%20search_path%3Dapp', { PGOPTIONS: '-c statement_timeout=5s' })).toBe(`-c search_path=app ${SESSION_PINS}`);
  expect(new URL(pinnedUrl('postgres://x@h/db', '-c role=llm_worker', {})).searchParams.get('options')).toBe(`${SESSION_PINS} -c role=llm_worker`);
});
