/**
 * Deterministic cache entries and questions for the semantic cache's cross-path test
 * (test/ts/semantic-pgvector.test.ts) and its benchmark (bench/semantic.ts): generated FinOps
 * questions embedded by the local provider, loaded the same way into PostgreSQL 15 (node-postgres)
 * and PGlite. Test and bench tool, not product code.
 */
import { createHash } from 'node:crypto';
import { mockEmbedding } from '../../src/provider/mock-embedding';

const SERVICES = ['EC2', 'RDS', 'S3', 'Lambda', 'EKS', 'CloudFront', 'DynamoDB', 'Redshift'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const TEMPLATES = [
  'How much did our team spend on {s} in {m} for project {n}?',
  'Why did our {s} bill go up in {m} for project {n}?',
  'Explain the {s} cost spike of project {n} in {m}',
  'List the unused {s} resources of project {n} from {m}',
  'Which of our teams used the most {s} in {m} on project {n}?',
];

/** The i-th generated question (distinct for every i). */
export function question(i: number): string {
  const t = TEMPLATES[i % TEMPLATES.length]!;
  const s = SERVICES[Math.floor(i / TEMPLATES.length) % SERVICES.length]!;
  const m = MONTHS[Math.floor(i / (TEMPLATES.length * SERVICES.length)) % MONTHS.length]!;
  const n = Math.floor(i / (TEMPLATES.length * SERVICES.length * MONTHS.length)) + 1;
  return t.replace('{s}', s).replace('{m}', m).replace('{n}', String(n));
}

/** The same question in other words (function words only: the local embeddings stay above 0.9). */
export function reword(q: string): string {
  const swapped = / our /.test(q) ? q.replace(' our ', ' the ') : q.replace(' the ', ' our ');
  return `Please, ${swapped.charAt(0).toLowerCase()}${swapped.slice(1)}`;
}

export interface Scope {
  tenantId: string;
  ownerUserId: string;
  endpoint: string;
  provider: string;
  model: string;
  sourceWatermark: string;
  systemPrompt: string;
  responseFormat: 'text' | 'json';
  embeddingModel: string;
}

export interface Entry {
  scope: Scope;
  cacheKey: string;
  text: string;
  /** Postgres real[] literal, so that both servers store the very same float4 values. */
  embedding: string;
  sourceRequestPk: number;
  createdAt: string;
}

export const TENANT_A = 'a0000000-0000-0000-0000-00000000000a';
export const TENANT_B = 'b0000000-0000-0000-0000-00000000000b';
export const USER_A1 = 'a1000000-0000-0000-0000-000000000001';
export const USER_A2 = 'a2000000-0000-0000-0000-000000000002';
export const USER_B1 = 'b1000000-0000-0000-0000-000000000001';

export function scope(over: Partial<Scope> = {}): Scope {
  return {
    tenantId: TENANT_A, ownerUserId: USER_A1, endpoint: 'route', provider: 'mock', model: 'small', sourceWatermark: 'w1',
    systemPrompt: 'You are a FinOps assistant.', responseFormat: 'text', embeddingModel: 'mock:embed', ...over,
  };
}

/** Eight scopes that differ in one part each (tenant, user, endpoint, model, watermark, system prompt, format). */
export const SCOPES: Scope[] = [
  scope(),
  scope({ tenantId: TENANT_B, ownerUserId: USER_B1 }),
  scope({ ownerUserId: USER_A2 }),
  scope({ endpoint: 'explanation' }),
  scope({ model: 'large' }),
  scope({ sourceWatermark: 'w2' }),
  scope({ systemPrompt: 'You are a pirate.' }),
  scope({ responseFormat: 'json' }),
];

export function embeddingLiteral(text: string, dims = 256): string {
  return `{${mockEmbedding(text, dims).map((x) => (x === 0 ? '0' : Number(x.toPrecision(7)).toString())).join(',')}}`;
}

/** Entry k: question(k) in scope pick(k), created k minutes after `start`. */
export function entries(n: number, pick: (k: number) => Scope, start = Date.parse('2026-03-01T00:00:00Z')): Entry[] {
  return Array.from({ length: n }, (_, k) => {
    const text = question(k);
    const s = pick(k);
    return {
      scope: s,
      cacheKey: createHash('sha256').update(`${k}:${text}`).digest('hex'),
      text,
      embedding: embeddingLiteral(text),
      sourceRequestPk: 1_000_000 + k,
      createdAt: new Date(start + k * 60_000).toISOString(),
    };
  });
}

/** Anything with node-postgres' or PGlite's query(text, params). */
export interface Queryable {
  query(text: string, params?: unknown[]): Promise<{ rows: any[] }>;
}

const COLUMNS = ['tenant_id', 'owner_user_id', 'endpoint', 'provider', 'model', 'source_watermark', 'system_prompt', 'response_format',
  'embedding_model', 'cache_key', 'embedding', 'source_request_pk', 'created_at'] as const;

/**
 * Inserts entries in batches as the caller (an administrator: the policies are not the point here).
 * These are lookup fixtures: on the real schema the derive trigger would take every column from a
 * settled source attempt, so triggers are off while loading (session_replication_role = replica;
 * the CHECKs still apply). PGlite's minimal schema has no trigger.
 */
export async function loadEntries(db: Queryable, list: Entry[], batch = 2000): Promise<void> {
  await db.query(`select set_config('session_replication_role', 'replica', false)`);
  try {
    await insertEntries(db, list, batch);
  } finally {
    await db.query(`select set_config('session_replication_role', 'origin', false)`);
  }
}

async function insertEntries(db: Queryable, list: Entry[], batch: number): Promise<void> {
  for (let i = 0; i < list.length; i += batch) {
    const part = list.slice(i, i + batch);
    const cols: string[][] = COLUMNS.map(() => []);
    for (const e of part) {
      const v = [e.scope.tenantId, e.scope.ownerUserId, e.scope.endpoint, e.scope.provider, e.scope.model, e.scope.sourceWatermark,
        e.scope.systemPrompt, e.scope.responseFormat, e.scope.embeddingModel, e.cacheKey, e.embedding, String(e.sourceRequestPk), e.createdAt];
      v.forEach((x, j) => cols[j]!.push(x));
    }
    await db.query(
      `insert into llm_private.cache_entries (tenant_id, owner_user_id, endpoint, provider, model, source_watermark, system_hash,
         response_format, embedding_model, cache_key, embedding, source_request_pk, source_attempt_no, created_at, expires_at, output,
         source_cost_micros)
       select t.tenant_id::uuid, t.owner_user_id::uuid, t.endpoint::llm_private.endpoint, t.provider, t.model, t.source_watermark,
              llm_private.system_hash(jsonb_build_array(jsonb_build_object('role', 'system', 'content', t.system_prompt))),
              t.response_format, t.embedding_model, t.cache_key, t.embedding::real[], t.source_request_pk::bigint, 1,
              t.created_at::timestamptz, '2030-01-01'::timestamptz, 'answer ' || t.cache_key, 1000
         from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
                     $10::text[], $11::text[], $12::text[], $13::text[])
              as t(tenant_id, owner_user_id, endpoint, provider, model, source_watermark, system_prompt, response_format,
                   embedding_model, cache_key, embedding, source_request_pk, created_at)`,
      cols,
    );
  }
}

export interface LookupRow {
  cache_key: string | null;
  similarity: number | null;
  source_request_pk: string | number | null;
  output: string | null;
  candidates_scanned: number;
  bound_hit: boolean;
}

/** One lookup through `fn` (semantic_lookup, _portable or _pgvector) with a question's embedding. */
export async function lookup(db: Queryable, fn: string, s: Scope, text: string, threshold: number, maxCandidates: number,
  maxOutputTokens: number | null = null): Promise<LookupRow> {
  const { rows } = await db.query(
    `select cache_key, similarity, source_request_pk, output, candidates_scanned, bound_hit
       from llm_private.${fn}($1::uuid, $2::uuid, $3::text, $4::text, $5::text, $6::text,
            llm_private.system_hash(jsonb_build_array(jsonb_build_object('role', 'system', 'content', $7::text))), $8::text,
            $9::real[], $10::real, $11::integer, $12::text, $13::integer)`,
    [s.tenantId, s.ownerUserId, s.endpoint, s.provider, s.model, s.sourceWatermark, s.systemPrompt, s.responseFormat,
      embeddingLiteral(text), threshold, maxCandidates, s.embeddingModel, maxOutputTokens],
  );
  const r = rows[0] as LookupRow;
  return { ...r, similarity: r.similarity === null ? null : Number(r.similarity), source_request_pk: r.source_request_pk === null ? null : Number(r.source_request_pk) };
}

/* ------------------------------------------------------------------ the cross-path comparison */

export const PER_SCOPE = 60;
/** 480 entries, 60 in each of the 8 scopes. */
export const COMPARE_N = PER_SCOPE * SCOPES.length;
export const COMPARE_THRESHOLD = 0.9;

export interface Probe {
  what: string;
  scope: Scope;
  text: string;
  /** The entry that must be served, or null for a miss. */
  expect: string | null;
}

export function compareData(): Entry[] {
  return entries(COMPARE_N, (k) => SCOPES[k % SCOPES.length]!);
}

/** Rewordings in their own scope (hits), the same in the next scope (misses), near and unrelated questions (misses). */
export function probes(data: Entry[] = compareData()): Probe[] {
  const out: Probe[] = [];
  for (let k = 0; k < COMPARE_N; k += 7) {
    const e = data[k]!;
    out.push({ what: `reworded #${k}`, scope: e.scope, text: reword(e.text), expect: e.cacheKey });
    out.push({ what: `reworded #${k}, next scope`, scope: SCOPES[(k + 1) % SCOPES.length]!, text: reword(e.text), expect: null });
    out.push({ what: `another project than #${k}`, scope: e.scope, text: question(k + COMPARE_N), expect: null });
  }
  for (const s of SCOPES) out.push({ what: 'unrelated', scope: s, text: 'How do I reset my password?', expect: null });
  return out;
}

/**
 * Inside a transaction: become llm_money with a worker's context (tenant, user, this transaction's
 * stamp), as withMoney does. Extra settings (name, value) are set for the transaction too.
 */
export async function actAsMoney(db: Queryable, tenantId: string, userId: string, extra: [string, string][] = []): Promise<void> {
  await db.query(
    `select set_config('role', 'llm_money', true), set_config('app.current_tenant_id', $1, true),
            set_config('app.current_user_id', $2, true), set_config('app.context_tx', llm_private.tx_stamp()::text, true)`,
    [tenantId, userId]);
  for (const [k, v] of extra) await db.query(`select set_config($1, $2, true)`, [k, v]);
}

/** A lookup as llm_money in the scope's tenant and user, in a transaction of its own (the context is transaction-local). */
export async function lookupAsMoney(db: Queryable, fn: string, p: Pick<Probe, 'scope' | 'text'>, threshold = COMPARE_THRESHOLD,
  maxCandidates = 1000, maxOutputTokens: number | null = null): Promise<LookupRow> {
  await db.query('begin');
  try {
    await actAsMoney(db, p.scope.tenantId, p.scope.ownerUserId);
    return await lookup(db, fn, p.scope, p.text, threshold, maxCandidates, maxOutputTokens);
  } finally {
    await db.query('rollback');
  }
}
