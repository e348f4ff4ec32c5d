/**
 * The local provider's embeddings, through the provider boundary (the openai SDK's
 * embeddings.create against the mock server): deterministic, priced by their reported prompt
 * tokens, and meaningful: rewordings land near the original, changed facts and unrelated questions
 * do not. The similarities are printed so that a change to the embedding shows in the log.
 */
import { createProviderClient, ProviderConfigSchema, type ProviderClient } from '../../src/provider';
import { localProviderConfig, LOCAL_KEY_ENV } from '../../src/provider/local-config';
import { cosine, MOCK_EMBEDDING_DIMS, mockEmbedding, stem, words } from '../../src/provider/mock-embedding';
import { startMockProvider, type MockProvider } from '../../src/provider/mock-server';
import { semanticText } from '../../src/semantic';
import { currentBlock, generatedBlock } from '../support/semantic-sentences';

const REWORDINGS: Array<[string, string]> = [
  ['Why did our AWS bill go up in March?', 'Why did the AWS bill go up in March?'],
  ['What is the total cost of the staging cluster this week?', 'What is the staging cluster total cost this week?'],
  ['Explain the spike in S3 storage costs for tenant acme', 'Explain the S3 storage cost spike for tenant acme'],
  ['Which team spent the most on GPUs in June?', 'Which team spent most on GPUs in June?'],
  ['How do I reset my password?', 'How can I reset my password?'],
  ['Summarize the open support tickets about billing', 'Summarise open support tickets about billing'],
  ['Route this ticket: customer cannot log in after password reset', "Route this ticket: the customer can't log in after a password reset"],
  ['Can you explain why database costs increased in April?', 'Explain why the database costs increased in April'],
  ['List unused EBS volumes older than 30 days', 'List the unused EBS volumes that are older than 30 days'],
  ['Which services are costing us the most money this quarter?', 'Which services cost us the most money this quarter?'],
  ["Break down last month's Kubernetes spend by namespace", 'Break down Kubernetes spend by namespace for last month'],
  ['What caused the increase in data transfer charges yesterday?', "What caused yesterday's increase in data transfer charges?"],
];
/** One fact changed: a cache must not answer these with the other's answer. */
const CHANGED_FACT: Array<[string, string]> = [
  ['How much did we spend on EC2 last month?', 'How much did we spend on RDS last month?'],
  ['What are the largest cost drivers in the production account?', 'What are the largest cost drivers in the staging account?'],
  ['Why did our AWS bill go up in March?', 'Why did our AWS bill go down in March?'],
  ['How much did we spend on EC2 last month?', 'How much will we spend on EC2 next month?'],
  ['Explain the spike in S3 storage costs for tenant acme', 'Explain the spike in S3 storage costs for tenant globex'],
  ['Which team spent the most on GPUs in June?', 'Which team spent the least on GPUs in June?'],
  ['List unused EBS volumes older than 30 days', 'List unused EBS volumes older than 90 days'],
];
const UNRELATED: Array<[string, string]> = [
  ['How much did we spend on EC2 last month?', 'How do I reset my password?'],
  ['Why did our AWS bill go up in March?', 'List unused EBS volumes older than 30 days'],
  ['What is the total cost of the staging cluster this week?', 'Which team spent the most on GPUs in June?'],
  ['Explain the spike in S3 storage costs for tenant acme', 'Summarize the open support tickets about billing'],
  ['Show me the top five services by cost', 'Route this ticket: customer cannot log in after password reset'],
  ['What is the weather like in Paris today?', 'Summarize the open support tickets about billing'],
];
/** Synonyms and irregular verbs: the local embeddings cannot see these (a real model can). */
const BEYOND_THE_LOCAL_MODEL: Array<[string, string]> = [
  ['What are the largest cost drivers in the production account?', 'What are the biggest cost drivers in the production account?'],
  ['How much did we spend on EC2 last month?', 'How much was spent on EC2 last month?'],
];

let mock: MockProvider;
let client: ProviderClient;

beforeAll(async () => {
  mock = await startMockProvider();
  client = createProviderClient(ProviderConfigSchema.parse(localProviderConfig(mock.baseUrl)), { [LOCAL_KEY_ENV]: 'sk-local' });
});
afterAll(() => mock.stop());

async function similarities(pairs: Array<[string, string]>): Promise<number[]> {
  const out: number[] = [];
  for (const [a, b] of pairs) {
    const [x, y] = [await client.embed({ model: 'mock-embed', input: a }), await client.embed({ model: 'mock-embed', input: b })];
    out.push(cosine(x.vector, y.vector));
  }
  return out;
}

function report(title: string, pairs: Array<[string, string]>, sims: number[]): void {
  process.stdout.write(`${title}\n${pairs.map(([a, b], i) => `  ${sims[i]!.toFixed(3)}  ${a} | ${b}`).join('\n')}\n`);
}

test('through the SDK: 256 unit-length dimensions, deterministic, with prompt tokens to price the call', async () => {
  const a = await client.embed({ model: 'mock-embed', input: 'Why did our AWS bill go up in March?' });
  const b = await client.embed({ model: 'mock-embed', input: 'Why did our AWS bill go up in March?' });
  expect(a.vector).toHaveLength(MOCK_EMBEDDING_DIMS);
  expect(b.vector).toEqual(a.vector);
  expect(Math.abs(cosine(a.vector, a.vector) - 1)).toBeLessThan(1e-9);
  expect(a.vector.reduce((s, x) => s + x * x, 0)).toBeCloseTo(1, 9);
  expect(a.usageReported).toBe(true);
  expect(a.inputTokens).toBeGreaterThanOrEqual(8);
  const req = mock.requests.find((r) => r.path === '/v1/embeddings')!;
  expect(req.body).toMatchObject({ model: 'mock-embed', encoding_format: 'float' });
  // Text without words still has a direction (never the zero vector, which has no cosine).
  expect(mockEmbedding('?!').some((x) => x !== 0)).toBe(true);
});

test('rewordings land at 0.9 and above; a changed fact under 0.7; unrelated questions under 0.3', async () => {
  const [rw, cf, un, beyond] = [await similarities(REWORDINGS), await similarities(CHANGED_FACT), await similarities(UNRELATED),
    await similarities(BEYOND_THE_LOCAL_MODEL)];
  report('rewordings (must hit at the default threshold 0.90)', REWORDINGS, rw);
  report('one fact changed (must miss)', CHANGED_FACT, cf);
  report('unrelated (must miss)', UNRELATED, un);
  report('synonyms, irregular verbs (the local model misses them; a real one does not)', BEYOND_THE_LOCAL_MODEL, beyond);
  expect(Math.min(...rw)).toBeGreaterThanOrEqual(0.9);
  expect(Math.max(...cf)).toBeLessThan(0.7);
  expect(Math.max(...un)).toBeLessThan(0.3);
});

test('words and stems: case, accents, contractions, possessives, plurals and -ing/-ed forms fold', () => {
  expect(words("Can't SEE Zoë's café costs! It won't, doesn't")).toEqual(['can', 'not', 'see', 'zoe', 'cafe', 'costs', 'it', 'will', 'not', 'does', 'not']);
  expect(['costs', 'costing', 'costed'].map(stem)).toEqual(['cost', 'cost', 'cost']);
  expect(['running', 'queries', 'classes', 'summarise', 'summarize'].map(stem)).toEqual(['run', 'query', 'class', 'summarize', 'summarize']);
});

test('only single-turn requests are embedded: system/developer messages, then one user message', () => {
  expect(semanticText([{ role: 'system', content: 'Be brief.' }, { role: 'user', content: '  Why?\r\n' }])).toBe('Why?');
  expect(semanticText([{ role: 'user', content: 'a' }, { role: 'assistant', content: 'b' }, { role: 'user', content: 'c' }])).toBeNull();
  expect(semanticText([{ role: 'user', content: 'a' }, { role: 'system', content: 'late system' }])).toBeNull();
  expect(semanticText([{ role: 'user', content: ' \n' }])).toBeNull();
  expect(semanticText([{ role: 'user', content: 'x'.repeat(16_001) }])).toBeNull();
});

test('the embeddings written into test/sql/semantic_cache.sql are the current ones', () => {
  expect(currentBlock()).toBe(generatedBlock());
});
