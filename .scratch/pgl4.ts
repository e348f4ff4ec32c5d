import { startPgliteSemantic } from '../test/support/pglite-semantic';
import { compareData, loadEntries, scope } from '../test/support/semantic-dataset';
(async () => {
  const db = await startPgliteSemantic();
  await loadEntries(db, compareData());
  await db.exec('analyze llm_private.cache_entries');
  const s = scope();
  await db.query('begin');
  await db.query(`select set_config('role', 'llm_money', true), set_config('app.current_tenant_id', $1, true), set_config('enable_seqscan', 'off', true)`, [s.tenantId]);
  const r = await db.query(`explain select c.cache_key from llm_private.cache_entries c
     where c.tenant_id = '${s.tenantId}' and c.owner_user_id = '${s.ownerUserId}' and c.endpoint = 'route' and c.provider = 'mock' and c.model = 'small' and c.source_watermark = 'w1'
       and c.system_hash = llm_private.system_hash('[{"role":"system","content":"You are a FinOps assistant."}]') and c.response_format = 'text' and c.embedding is not null and c.embedding_model = 'local:mock-embed'
       and c.expires_at > now() order by c.created_at desc, c.cache_key limit 1001`);
  console.log(r.rows.map((x: any) => x['QUERY PLAN']).join('\n'));
  await db.query('rollback');
  await db.close();
})();
