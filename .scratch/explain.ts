import { Client } from 'pg';
import { embeddingLiteral, question, reword, scope } from '../test/support/semantic-dataset';
(async () => {
  const c = new Client({ connectionString: 'postgres://postgres@127.0.0.1:5435/sc_dev' });
  await c.connect();
  c.on('notice', (n) => console.log(n.message));
  const s = scope();
  await c.query(`load 'auto_explain'; set auto_explain.log_min_duration = 0; set auto_explain.log_nested_statements = on; set auto_explain.log_analyze = on; set client_min_messages = log`);
  for (let i = 0; i < 2; i++) {
  await c.query('begin');
  await c.query(`select set_config('role', 'llm_money', true), set_config('app.current_tenant_id', $1, true)`, [s.tenantId]);
  const t0 = Date.now();
  await c.query(`select * from llm_private.semantic_lookup_portable($1, $2, 'route', 'mock', 'small', 'w1', llm_private.system_hash('[{"role":"system","content":"You are a FinOps assistant."}]'), 'text', $3::real[], 0.9, 100, 'local:mock-embed')`, [s.tenantId, s.ownerUserId, embeddingLiteral(reword(question(9990)))]);
  console.log('ms', Date.now() - t0);
  await c.query('rollback');
  }
  await c.end();
})();
