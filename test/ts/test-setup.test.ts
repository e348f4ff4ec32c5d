/** `npm test` drops what it created, whatever fails: a global setup failing half-way, or an earlier run killed mid-way. */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Client } from 'pg';
import { HOST_TAG, PREFIX, TEMPLATE_ENV, TEST_ADMIN_URL, runStem } from '../support/admin';
import { dropOrphanedTestDatabases } from '../support/cleanup';

const ROOT = join(__dirname, '..', '..');

async function databases(like: string): Promise<string[]> {
  const c = new Client({ connectionString: TEST_ADMIN_URL });
  await c.connect();
  try {
    return (await c.query<{ datname: string }>('select datname from pg_database where starts_with(datname, $1) order by 1', [like])).rows.map((r) => r.datname);
  } finally {
    await c.end();
  }
}

/** Other test files of this run create and drop their databases meanwhile: leave this run's out of the comparison. */
const THIS_RUN = (process.env[TEMPLATE_ENV] ?? '').replace(/_tpl$/, '');
const others = async () => (await databases(PREFIX)).filter((n) => !THIS_RUN || !n.startsWith(THIS_RUN));

test('a global setup that fails after migrating its template leaves no llmgov_test_* database behind', async () => {
  const before = await others();
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js'), 'test/ts/payload-contract.test.ts'], {
    cwd: ROOT, encoding: 'utf8', timeout: 120_000, env: { ...process.env, LLMGOV_TEST_FAIL_SETUP: 'after-migrate' },
  });
  expect(r.status).not.toBe(0);
  expect(r.stdout + r.stderr).toMatch(/test setup failed, nothing left behind: LLMGOV_TEST_FAIL_SETUP/);
  expect(await databases(`${PREFIX}${r.pid}_`)).toEqual([]);
  // Nobody else's databases were dropped: this run's template is still there, and so is every other run's template
  // whose process still runs (other jest runs on a shared server create and drop their own meanwhile).
  const after = await databases(PREFIX);
  expect(THIS_RUN ? after.includes(`${THIS_RUN}_tpl`) : true).toBe(true);
  const alive = (name: string) => {
    try {
      process.kill(Number(name.slice(PREFIX.length).split('_')[0]), 0);
      return true;
    } catch {
      return false;
    }
  };
  expect(before.filter((n) => n.endsWith('_tpl') && !after.includes(n) && alive(n))).toEqual([]);
}, 150_000);

test("databases of an earlier run of this machine whose process is gone are dropped at the next start; a live run's and another machine's are kept", async () => {
  // Names of this test only (a run of the suite in another clone on this machine makes its own at the same time).
  const rnd = randomBytes(3).toString('hex');
  const dead = runStem(4194303, rnd);
  // The same dead pid on another machine sharing the server (its tag differs), and a name from before the machine tag.
  const otherTag = HOST_TAG === 'ffffff' ? 'eeeeee' : 'ffffff';
  const elsewhere = `${PREFIX}4194303_${otherTag}_${rnd}`;
  const untagged = `${PREFIX}4194303_${rnd}`;
  const c = new Client({ connectionString: TEST_ADMIN_URL });
  await c.connect();
  try {
    for (const n of [`${dead}_tpl`, `${dead}_1234abcd`, `${elsewhere}_tpl`, `${untagged}_tpl`]) await c.query(`create database ${c.escapeIdentifier(n)}`);
    const ours = await databases(`${PREFIX}${process.pid}_`);
    // Dropped by this call, or by the cleanup of a run in another clone meanwhile (they look orphaned to it too): gone.
    const dropped = await dropOrphanedTestDatabases(TEST_ADMIN_URL);
    expect(dropped).not.toContain(`${elsewhere}_tpl`);
    expect(dropped).not.toContain(`${untagged}_tpl`);
    expect(await databases(dead)).toEqual([]);
    expect(await databases(elsewhere)).toEqual([`${elsewhere}_tpl`]);
    expect(await databases(`${untagged}_tpl`)).toEqual([`${untagged}_tpl`]);
    expect(await databases(`${PREFIX}${process.pid}_`)).toEqual(ours);
  } finally {
    for (const n of [`${elsewhere}_tpl`, `${untagged}_tpl`]) await c.query(`drop database if exists ${c.escapeIdentifier(n)}`);
    await c.end();
  }
});
