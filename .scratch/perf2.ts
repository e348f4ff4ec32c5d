import { Client } from 'pg';
import { lookupAsMoney, question, reword, scope } from '../test/support/semantic-dataset';
(async () => {
  const c = new Client({ connectionString: 'postgres://postgres@127.0.0.1:5435/sc_perf' });
  await c.connect();
  const s = scope();
  for (const fn of ['semantic_lookup_portable']) for (const max of [1000]) {
    const ts: number[] = [];
    let r: any;
    for (let i = 0; i < 21; i++) {
      const t0 = process.hrtime.bigint();
      r = await lookupAsMoney(c, fn, { scope: s, text: reword(question(9990)) }, 0.9, max);
      ts.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    ts.sort((a,b)=>a-b); console.log(fn, max, "median", ts[10]!.toFixed(1), "min", ts[0]!.toFixed(1), r.cache_key?.slice(0, 8), r.similarity);
  }
  await c.end();
})();
