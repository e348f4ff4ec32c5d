/**
 * The database's input token floor (llm_private.input_tokens_floor) against what providers bill: a reserve holds the
 * greater of the worker's estimate and the floor, so the floor must stay below the real prompt tokens of ordinary text
 * in every script (or an honest worker is refused near a cap), and well above 0 (or a worker under-stating its
 * estimate passes the cap). The bill comes from the mock provider, which counts with js-tiktoken for OpenAI
 * vocabularies and a scheme of its own for *llama* names, never with the estimator's code or the floor's rule.
 */
import { Client, type Pool } from 'pg';
import { createProviderClient, ProviderConfigSchema, type ChatMessage, type ProviderClient } from '../../src/provider';
import { MOCK_MODELS, startMockProvider, type MockProvider } from '../../src/provider/mock-server';
import { semanticText } from '../../src/semantic';
import { createTestDb, type TestDb } from '../support/db';

const KEY_ENV = 'MOCK_LLM_KEY';
const user = (content: string): ChatMessage[] => [{ role: 'user', content }];

/** Ordinary text of many kinds; the review of cb75077 found bytes over 8 above o200k's count in six of these scripts. */
const corpus: Record<string, ChatMessage[]> = {
  english: user('Why did our cloud spend rise in March? Explain the main cost drivers of the production account. '.repeat(40)),
  // Dense formal English took 8.6-9.4 characters a token in o200k (review of b059cd4): above the first divisor, 8.
  executive: user(('Notwithstanding considerable macroeconomic uncertainty, consolidated infrastructure expenditure increased ' +
    'substantially, predominantly attributable to unanticipated computational requirements, extraordinary datacenter ' +
    'utilization, and contractual commitments negotiated internationally. ').repeat(20)),
  legal: user(('The Licensee shall indemnify, defend and hold harmless the Licensor, its affiliates, subsidiaries, successors ' +
    'and assigns from and against any and all liabilities, obligations, damages, penalties, judgments, settlements, ' +
    'costs and expenses, including reasonable attorneys\' fees, arising out of or relating to any breach hereof. ').repeat(15)),
  hindi: user('हमारे उत्पादन खाते में मार्च में क्लाउड खर्च क्यों बढ़ा? मुख्य लागत कारकों को समझाइए। '.repeat(40)),
  bengali: user('মার্চ মাসে আমাদের উৎপাদন অ্যাকাউন্টে ক্লাউড খরচ কেন বেড়েছে? প্রধান খরচের কারণগুলি ব্যাখ্যা করুন। '.repeat(40)),
  tamil: user('மார்ச் மாதத்தில் எங்கள் உற்பத்தி கணக்கில் கிளவுட் செலவு ஏன் அதிகரித்தது? முக்கிய காரணங்களை விளக்குங்கள். '.repeat(40)),
  georgian: user('რატომ გაიზარდა ღრუბლოვანი ხარჯი მარტში ჩვენს საწარმოო ანგარიშზე? ახსენით ძირითადი ფაქტორები. '.repeat(40)),
  russian: user('Почему в марте выросли расходы на облачную инфраструктуру производственного аккаунта? Объясните основные факторы затрат. '.repeat(40)),
  thai: user('ทำไมค่าใช้จ่ายคลาวด์ของบัญชีการผลิตจึงเพิ่มขึ้นในเดือนมีนาคม อธิบายปัจจัยต้นทุนหลัก '.repeat(40)),
  chinese: user('为什么三月份生产账户的云支出增加了？请解释主要的成本驱动因素。'.repeat(60)),
  japanese: user('なぜ3月に本番アカウントのクラウド費用が増えたのですか？主なコスト要因を説明してください。'.repeat(60)),
  emoji: user('📈💸🔥 spend up 🚀 '.repeat(200)),
  punctuation: user('!?;:,.()[]{}<>@&%$^`|\\\'"'.repeat(300)),
  code: user('    if (row.cost_micros > limit.cap_micros) {\n        return refuse(row, "over cap");\n    }\n'.repeat(60)),
  json: user(JSON.stringify(Array.from({ length: 120 }, (_, i) => ({ id: i, tenant: `t-${i % 7}`, cost_micros: i * 1234, ok: i % 3 === 0 })))),
  csv: user(Array.from({ length: 200 }, (_, i) => `2026-03-${String((i % 28) + 1).padStart(2, '0')},ec2,${i * 17.25},eu-west-1`).join('\n')),
  markdown: user(('| service | March | February |\n|---------|------:|---------:|\n| EC2 | 12,345.67 | 9,876.54 |\n' +
    '| S3 | 1,234.00 | 1,100.00 |\n\n---\n\n').repeat(40)),
  base64: user(Buffer.from(Array.from({ length: 6000 }, (_, i) => (i * 7919) % 251)).toString('base64')),
  urls: user(Array.from({ length: 100 }, (_, i) => `https://console.example.com/billing/accounts/${1000 + i}/reports?month=2026-03&view=cost`).join(' ')),
  numbers: user(Array.from({ length: 800 }, (_, i) => String((i * 104729) % 1000003)).join(', ')),
};

let mock: MockProvider;
let client: ProviderClient;
let db: TestDb;
let admin: Pool;

beforeAll(async () => {
  mock = await startMockProvider({ port: 0 });
  client = createProviderClient(ProviderConfigSchema.parse({
    name: 'mock', baseUrl: mock.baseUrl, apiKeyEnv: KEY_ENV,
    models: [...new Set([...MOCK_MODELS, 'gpt-4o-mini', 'gpt-4-turbo'])].map((name) => ({ name, maxOutputTokens: 64 })),
  }), { [KEY_ENV]: 'k' });
  db = await createTestDb();
  admin = db.pool('admin', 1); // one connection for every floor below (db.pool makes a new pool each call)
}, 60_000);
afterAll(async () => {
  await mock?.stop();
  await db?.drop();
});

async function floorOf(messages: ChatMessage[]): Promise<number> {
  const { rows } = await admin.query<{ n: number }>('select llm_private.input_tokens_floor($1::jsonb) as n', [JSON.stringify(messages)]);
  return rows[0]!.n;
}

async function billed(model: string, messages: ChatMessage[]): Promise<number> {
  const u = (await client.chat({ model, messages, maxOutputTokens: 8 })).usage!;
  return u.inputTokens + u.cachedInputTokens;
}

test.each([['gpt-4o-mini (o200k)', 'gpt-4o-mini'], ['gpt-4-turbo (cl100k)', 'gpt-4-turbo'], ['mock-llama (its own scheme)', 'mock-llama']])(
  '%s: the floor is below the billed prompt tokens of every kind of text, and above 3 % of them',
  async (_name, model) => {
    const rows: { kind: string; floor: number; billed: number; ratio: number }[] = [];
    for (const [kind, messages] of Object.entries(corpus)) {
      const floor = await floorOf(messages);
      const bill = await billed(model, messages);
      rows.push({ kind, floor, billed: bill, ratio: Math.round((floor / bill) * 100) / 100 });
    }
    console.log(`${model}: floor / billed\n${rows.map((r) => `  ${r.kind.padEnd(12)} ${String(r.floor).padStart(6)} / ${String(r.billed).padStart(6)} = ${r.ratio}`).join('\n')}`);
    expect(rows.filter((r) => r.floor > r.billed)).toEqual([]);
    // The weakest: scripts a vocabulary spells byte by byte (cl100k: Georgian 0.04, Tamil 0.06). Never 0, as it was for
    // punctuation and emoji under the first rule.
    expect(rows.filter((r) => r.ratio < 0.03)).toEqual([]);
  });

test('the floor of English prose is more than 0.4 of its tokens: a worker may under-state it by less than 60 %', async () => {
  const messages = corpus.english!;
  const ratio = (await floorOf(messages)) / (await billed('gpt-4o-mini', messages));
  expect(ratio).toBeGreaterThan(0.4);
  expect(ratio).toBeLessThan(1);
});

test("a session's standard_conforming_strings = off changes neither the floor nor the payload's validation", async () => {
  // (review of dabaf83) Function bodies are parsed in the calling session: with the setting off, '\*' in the floor's
  // regex became '*' (invalid regular expression, so no enqueue), and the model check's '[^\s\x01-\x1f]' became
  // '[^s...]' (a model with an s refused, one with a space let through). Their literals are E'' strings now.
  const app = new Client({ connectionString: db.url('llm_app'), options: '-c standard_conforming_strings=off' });
  await app.connect();
  try {
    expect((await app.query('show standard_conforming_strings')).rows[0].standard_conforming_strings).toBe('off');
    const messages = JSON.stringify([{ role: 'user', content: `${'-'.repeat(64)}${'*'.repeat(16)}${'x'.repeat(80)}` }]);
    expect((await app.query('select llm_private.input_tokens_floor($1::jsonb) as n', [messages])).rows[0].n).toBe(6);
    const payload = (model: string) => JSON.stringify({ request_id: 'scs', endpoint: 'route', model, max_output_tokens: 10,
      messages: [{ role: 'user', content: 'hi' }] });
    expect((await app.query('select llm.validate_payload($1::jsonb) as e', [payload('mock:small')])).rows[0].e).toEqual([]);
    expect((await app.query('select llm.validate_payload($1::jsonb) as e', [payload('mock:sm all')])).rows[0].e)
      .toEqual(['model: must be "provider:model"']);
  } finally {
    await app.end();
  }
});

test("the embedding call's floor is the floor of the one text the worker embeds (src/semantic.ts), none when it embeds none, and below what the embedding bills", async () => {
  // The semantic cache embeds the single user message of a single-turn request; the reserve's floor for that call
  // (llm_private.embedding_tokens_floor) reads the same text out of the stored messages, in SQL. Two implementations of
  // one rule: every shape below must give the SQL floor of exactly the text semanticText returns, or NULL when it returns
  // null (the reserve then refuses the call). Texts over 16 000 UTF-16 units, which the worker skips, are left out here.
  const question = 'Why did our cloud spend rise in March? Explain the main cost drivers of the production account. ';
  const shapes: Record<string, ChatMessage[]> = {
    'user only': user(question.repeat(30)),
    'system, then user': [{ role: 'system', content: 'You are a FinOps assistant. '.repeat(50) }, ...user(question.repeat(30))],
    'developer, then user': [{ role: 'developer', content: 'Answer briefly.' }, ...user(question.repeat(30))],
    'CRLF and padding around the question': user(`\r\n \t${'a short line\r\n'.repeat(400)}   \n\n`),
    'two user messages': [...user(question.repeat(30)), ...user(question.repeat(30))],
    'a conversation (user, assistant, user)': [...user(question.repeat(30)), { role: 'assistant', content: 'It rose.' }, ...user('Why?')],
    'the user message is not last': [...user(question.repeat(30)), { role: 'system', content: 'Be brief.' }],
    'an assistant message after it': [...user(question.repeat(30)), { role: 'assistant', content: 'It rose.' }],
    'no user message': [{ role: 'system', content: question.repeat(30) }],
    'only whitespace': user(' \n\t '.repeat(100)),
    ...Object.fromEntries(Object.entries(corpus).filter(([, m]) => m[0]!.content.length <= 16_000)),
  };
  const rows: { shape: string; sql: number | null; expected: number | null; billed: number | null }[] = [];
  for (const [shape, messages] of Object.entries(shapes)) {
    const { rows: r } = await admin.query<{ n: number | null }>('select llm_private.embedding_tokens_floor($1::jsonb) as n', [JSON.stringify(messages)]);
    const text = semanticText(messages);
    const expected = text === null ? null : await floorOf(user(text));
    // The mock embeds in the test's own process: on a loaded 2-core machine a 16 000-character text took over 10 s.
    const billed = text === null ? null : (await client.embed({ model: 'mock-embed', input: text, timeoutMs: 60_000 })).inputTokens;
    rows.push({ shape, sql: r[0]!.n, expected, billed });
  }
  console.log(`embedding floor / billed (mock-embed)\n${rows.map((x) => `  ${x.shape.padEnd(40)} ${String(x.sql).padStart(5)} / ${x.billed ?? '-'}`).join('\n')}`);
  expect(rows.filter((x) => x.sql !== x.expected)).toEqual([]);
  // Shapes the worker embeds have a floor above 0 and at most the bill; the others (whitespace alone included) have none.
  expect(rows.filter((x) => x.billed !== null && (x.sql === null || x.sql <= 0 || x.sql > x.billed))).toEqual([]);
  expect(rows.filter((x) => x.billed === null && x.sql !== null)).toEqual([]);
  expect(rows.filter((x) => x.billed !== null).length).toBeGreaterThanOrEqual(20);
  // CRLF is counted as the LF the worker sends, and the padding it trims is not counted: 400 lines of 13 characters, less the last LF.
  expect(rows.find((x) => x.shape === 'CRLF and padding around the question')!.sql).toBe(Math.floor((400 * 13 - 1) / 12));
}, 240_000);
