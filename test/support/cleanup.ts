/** Dropping test databases: this run's (by name stem), and earlier runs' whose jest process is gone. */
import { Client } from 'pg';
import { PREFIX } from './admin';

async function withAdmin<T>(adminUrl: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: adminUrl });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** Drops every database whose name starts with `stem` (the template and the per-file clones). */
export async function dropDatabases(adminUrl: string, stem: string): Promise<string[]> {
  return withAdmin(adminUrl, async (c) => {
    const { rows } = await c.query<{ datname: string }>(
      `select datname from pg_database where starts_with(datname, $1) order by datname like '%\\_tpl' , datname`, [stem]);
    for (const r of rows) {
      // A template cannot be dropped while flagged as one; ours are ordinary databases used as templates.
      await c.query(`drop database if exists ${c.escapeIdentifier(r.datname)} with (force)`);
    }
    return rows.map((r) => r.datname);
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * `llmgov_test_<pid>_*` databases of runs whose process no longer exists on this machine and to
 * which nobody is connected (a run from another machine against the same server keeps its own).
 */
export async function dropOrphanedTestDatabases(adminUrl: string): Promise<string[]> {
  const names = await withAdmin(adminUrl, async (c) =>
    (await c.query<{ datname: string }>(
      `select d.datname from pg_database d where starts_with(d.datname, $1)
          and not exists (select 1 from pg_stat_activity a where a.datname = d.datname)`, [PREFIX])).rows.map((r) => r.datname));
  const dead = new Set<string>();
  for (const n of names) {
    const m = new RegExp(`^${PREFIX}(\\d+)_([0-9a-f]{6})`).exec(n);
    if (m && Number(m[1]) !== process.pid && !alive(Number(m[1]))) dead.add(`${PREFIX}${m[1]}_${m[2]}`);
  }
  const dropped: string[] = [];
  for (const stem of dead) dropped.push(...(await dropDatabases(adminUrl, stem)));
  return dropped;
}
