import { Client } from 'pg';
import { entries, loadEntries, lookupAsMoney, question, reword, scope } from '/work/wt-12/test/support/semantic-dataset';
(async () => {
  const c = new Client({ connectionString: 'postgres://postgres@127.0.0.1:5435/sc_perf' });
  await c.connect();
  await c.query(`delete from llm_private.cache_entries`);
  await c.query(`insert into llm_private.tenants (id, name) values ('a0000000-0000-0000-0000-00000000000a', 'A') on conflict do nothing`);
  const s = scope();
  let t = Date.now();
  const list = entries(10000, () => s);
  console.log('gen', Date.now() - t); t = Date.now();
  await loadEntries(c, list, 'llm_private.endpoint');
  console.log('load', Date.now() - t);
  await c.query('analyze llm_private.cache_entries');
  for (const max of [100, 1000, 10000]) {
    for (let i = 0; i < 3; i++) {
      const t0 = process.hrtime.bigint();
      const r = await lookupAsMoney(c, 'semantic_lookup', { scope: s, text: reword(question(9990)) }, 0.9, max);
      console.log(max, Number(process.hrtime.bigint() - t0) / 1e6, 'ms', r.cache_key?.slice(0, 8), r.candidates_scanned, r.bound_hit);
    }
  }
  await c.end();
})();
