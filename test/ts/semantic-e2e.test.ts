/**
 * The semantic cache end to end (issue 12): a real worker, the local provider's embeddings, the
 * database's lookup. Two reworded questions: the second is served from the cache, costs only its
 * embedding call, and shows in the ledger views and in the worker's metrics. A different question
 * and a changed watermark still reach the provider.
 */
import { SENTENCES } from '../support/semantic-sentences';
import { createHarness, Harness, payload, TENANT_A } from '../support/worker-harness';

let h: Harness;
let metricsPort: number;
beforeAll(async () => {
  h = await createHarness();
  // The tenant turns the semantic cache on for its explanation endpoint (per user, threshold 0.9).
  await h.admin.query(`select llm.set_endpoint_cache($1, 'explanation', false, 0.9, 'local:mock-embed')`, [TENANT_A]);
  const w = await h.startWorker({ metricsPort: 0 });
  metricsPort = w.metricsPort!;
});
afterAll(async () => h.close());

const ask = (id: string, text: string, watermark = 'billing-2026-03@rev1') =>
  payload(id, { messages: [{ role: 'user', content: text }], source_watermark: watermark });
const chatRequests = () => h.mock.requests.filter((r) => r.path === '/v1/chat/completions').length;
const embedRequests = () => h.mock.requests.filter((r) => r.path === '/v1/embeddings').length;
const ledger = async (id: string) => (await h.admin.query(
  `select purpose, state, reason, model_ref, charged_micros::text as charged, similarity is not null as has_similarity
     from llm.calls where request_id = $1 order by attempt_no`, [id])).rows;

test('two reworded questions: the second is served from the cache and costs only its embedding', async () => {
  await h.enqueue(ask('sem-1', SENTENCES.aws_up));
  await h.waitForJobs();
  expect({ chat: chatRequests(), embed: embedRequests() }).toEqual({ chat: 1, embed: 1 });
  const first = await ledger('sem-1');
  expect(first).toEqual([
    { purpose: 'embedding', state: 'settled', reason: 'ok', model_ref: 'local:mock-embed', charged: first[0].charged, has_similarity: false },
    { purpose: 'chat', state: 'settled', reason: 'ok', model_ref: 'local:mock-chat', charged: first[1].charged, has_similarity: false },
  ]);
  expect(BigInt(first[0].charged)).toBeGreaterThan(0n);
  expect(BigInt(first[1].charged)).toBeGreaterThan(BigInt(first[0].charged));

  await h.enqueue(ask('sem-2', SENTENCES.aws_up_reworded));
  await h.waitForJobs();
  expect({ chat: chatRequests(), embed: embedRequests() }).toEqual({ chat: 1, embed: 2 });
  const second = await ledger('sem-2');
  expect(second).toEqual([
    { purpose: 'embedding', state: 'settled', reason: 'ok', model_ref: 'local:mock-embed', charged: second[0].charged, has_similarity: false },
    { purpose: 'chat', state: 'cached', reason: 'semantic_hit', model_ref: expect.any(String), charged: '0', has_similarity: true },
  ]);

  // What the application reads: the first request's answer, spent = the embedding call only.
  const r1 = await h.result('sem-1');
  const r2 = await h.result('sem-2');
  expect(r2).toMatchObject({ state: 'done', cached: true, cache_reason: 'semantic_hit', reused_request_id: 'sem-1',
    spent_micros: second[0].charged, output: r1!.output });
  expect(r2!.similarity).toBeGreaterThanOrEqual(0.9);
  expect(r2!.similarity).toBeLessThan(1);

  // What a DBA reads.
  const stats = (await h.admin.query(`select hits::int, semantic_hits::int, saved_micros::text from llm.cache_stats where tenant_id = $1`, [TENANT_A])).rows;
  expect(stats).toEqual([{ hits: 1, semantic_hits: 1, saved_micros: first[1].charged }]);
  expect((await h.admin.query('select * from llm.reconciliation_drift')).rows).toEqual([]);

  // What Prometheus scrapes.
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  expect(text).toMatch(/^llm_cache_hits_total\{endpoint="explanation",kind="semantic"\} 1$/m);
  expect(text).not.toMatch(/^llm_cache_hits_total\{endpoint="explanation",kind="exact"\}/m);
});

test('another question, or the same question on a new watermark, still reaches the provider', async () => {
  await h.enqueue(ask('sem-3', SENTENCES.password));
  await h.waitForJobs();
  await h.enqueue(ask('sem-4', SENTENCES.aws_up_reworded, 'billing-2026-03@rev2'));
  await h.waitForJobs();
  expect({ chat: chatRequests(), embed: embedRequests() }).toEqual({ chat: 3, embed: 4 });
  for (const id of ['sem-3', 'sem-4']) {
    expect((await ledger(id)).map((c) => [c.purpose, c.state, c.reason])).toEqual([['embedding', 'settled', 'ok'], ['chat', 'settled', 'ok']]);
  }
});

test('an exact repeat skips the embedding call: the exact cache answers first', async () => {
  await h.enqueue(ask('sem-5', SENTENCES.password));
  await h.waitForJobs();
  expect({ chat: chatRequests(), embed: embedRequests() }).toEqual({ chat: 3, embed: 4 });
  expect((await ledger('sem-5')).map((c) => [c.purpose, c.state, c.reason])).toEqual([['chat', 'cached', 'cache_hit']]);
  expect(await h.result('sem-5')).toMatchObject({ cached: true, cache_reason: 'cache_hit', spent_micros: '0', reused_request_id: 'sem-3' });
});

test('an embedding answer without usage is an unknown usage: charged its full hold, flagged usage_unknown', async () => {
  // (review of the provider boundary, 2026-11-26) It was charged the byte-count upper bound and recorded usage_unknown = false.
  h.mock.addFaults('mock-embed', [{ kind: 'no_usage' }]);
  await h.enqueue(ask('sem-6', SENTENCES.aws_up, 'billing-2026-03@rev3'));
  await h.waitForJobs();
  const { rows } = await h.admin.query(`select purpose, state, provider_status, usage_unknown, input_tokens, held_micros::text as held,
      charged_micros::text as charged from llm.calls where request_id = 'sem-6' order by attempt_no`);
  expect(rows[0]).toEqual({ purpose: 'embedding', state: 'settled', provider_status: 'ok', usage_unknown: true, input_tokens: null,
    held: rows[0].held, charged: rows[0].held });
  expect(BigInt(rows[0].held)).toBeGreaterThan(0n);
  expect(rows[1]).toMatchObject({ purpose: 'chat', state: 'settled', provider_status: 'ok', usage_unknown: false });
  expect((await h.admin.query('select * from llm.reconciliation_drift')).rows).toEqual([]);
});
