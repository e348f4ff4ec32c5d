/** Dropping test databases: this run's (by name stem), and earlier runs' whose jest process is gone. */
import { Client } from 'pg';
import { HOST_TAG, PREFIX } from './admin';

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
 * `llmgov_test_<pid>_<host>_*` databases of runs of this machine (`HOST_TAG`) whose process no longer
 * exists and to which nobody is connected. A run of another machine against the same server keeps its
 * own, live or not: its pid means nothing here (ninth review). Names without a machine tag (before it)
 * are never dropped.
 */
export async function dropOrphanedTestDatabases(adminUrl: string): Promise<string[]> {
  const rows = await withAdmin(adminUrl, async (c) =>
    (await c.query<{ datname: string; connected: boolean }>(
      `select d.datname, exists (select 1 from pg_stat_activity a where a.datname = d.datname) as connected
         from pg_database d where starts_with(d.datname, $1)`, [PREFIX])).rows);
  const stemOf = (n: string) => {
    const m = new RegExp(`^${PREFIX}(\\d+)_([0-9a-f]{6})_([0-9a-f]{6})(_|$)`).exec(n);
    return m && m[2] === HOST_TAG ? { pid: Number(m[1]), stem: `${PREFIX}${m[1]}_${m[2]}_${m[3]}` } : null;
  };
  const busy = new Set(rows.filter((r) => r.connected).map((r) => stemOf(r.datname)?.stem));
  const dead = new Set<string>();
  for (const r of rows) {
    const s = stemOf(r.datname);
    if (s && s.pid !== process.pid && !alive(s.pid) && !busy.has(s.stem)) dead.add(s.stem);
  }
  const dropped: string[] = [];
  for (const stem of dead) dropped.push(...(await dropDatabases(adminUrl, stem)));
  return dropped;
}
