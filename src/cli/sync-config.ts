/**
 * `npm run sync-config [-- --dry-run]`: writes the prices, fallback chains and training consent of
 * the configured models (LLM_CONFIG_FILE / LLM_PROVIDERS), and the endpoints' cache settings
 * (`endpoints` in LLM_CONFIG_FILE: sharing, semantic threshold, embedding model) into the database,
 * through the operator SQL functions (llm.define_model, llm.set_model_price, llm.set_fallbacks,
 * llm.set_endpoint_cache with tenant NULL: the default row of every tenant), as llm_operator.
 * The database is the one source of truth for them; this command is how an operator changes them
 * from a file, on purpose. A worker never does this at start. It changes only what differs and
 * prints one line per change; models and endpoints the database has and the file does not are left
 * alone, and so is an endpoint setting the file leaves out.
 */
import { Pool, type PoolClient } from 'pg';
import { type EndpointCacheConfig, loadConfig } from '../config';
import { withRole } from '../db/context';
import { isLoginError, loginMessage } from '../db/login-errors';
import { pinnedUrl, redactUrl, urlForRole } from '../db/urls';
import type { Endpoint } from '../payload';
import type { ModelConfig, ProviderConfig } from '../provider';
import { type CatalogRow, readCatalog } from '../worker/catalog';

export interface ModelChange {
  model_ref: string;
  action: 'define' | 'redefine' | 'set_price' | 'set_fallbacks' | 'skip';
  detail: string;
}

/** An endpoint's default cache row as it is (read) or will be (planned). */
export interface EndpointCacheRow {
  endpoint: Endpoint;
  cache_shared: boolean;
  semantic_threshold: number | null;
  embedding_model: string | null;
}

export interface EndpointChange {
  endpoint: Endpoint;
  action: 'set_endpoint_cache' | 'skip';
  detail: string;
  /** What llm.set_endpoint_cache is called with (absent on a skip). */
  settings?: EndpointCacheRow;
}

export type Change = ModelChange | EndpointChange;

export type EndpointsConfig = Partial<Record<Endpoint, EndpointCacheConfig>>;

/** `local:a: set_price: ...` or `endpoint explanation: set_endpoint_cache: ...`: one printed line's subject. */
export const changeSubject = (ch: Change): string => ('model_ref' in ch ? ch.model_ref : `endpoint ${ch.endpoint}`);

const priceOf = (m: ModelConfig) => [m.inputPerMtokMicros, m.cachedInputPerMtokMicros, m.outputPerMtokMicros] as const;

/** What would change, model by model (pure: the catalog as read, the configuration). */
export function planSync(catalog: CatalogRow[], providers: ProviderConfig[]): ModelChange[] {
  const byRef = new Map(catalog.map((r) => [r.model_ref, r]));
  const out: ModelChange[] = [];
  for (const p of providers) {
    for (const m of p.models) {
      const ref = `${p.name}:${m.name}`;
      const row = byRef.get(ref);
      const [input, cached, output] = priceOf(m);
      const hasPrice = input !== undefined && cached !== undefined && output !== undefined;
      if (!row) {
        if (hasPrice) out.push({ model_ref: ref, action: 'define', detail: `price ${input}/${cached}/${output} micro-USD per Mtok, training ${m.trainingAllowed ?? false}` });
        else out.push({ model_ref: ref, action: 'skip', detail: 'not in the database and no price in the configuration' });
      } else {
        const attrs: string[] = [];
        if (row.max_output_tokens !== m.maxOutputTokens) attrs.push(`max_output_tokens ${row.max_output_tokens} -> ${m.maxOutputTokens}`);
        if (m.trainingAllowed !== undefined && row.training_allowed !== m.trainingAllowed) attrs.push(`training_allowed ${row.training_allowed} -> ${m.trainingAllowed}`);
        if (row.token_parameter !== m.tokenParameter) attrs.push(`token_parameter ${row.token_parameter} -> ${m.tokenParameter}`);
        if (row.kind !== m.kind) attrs.push(`kind ${row.kind} -> ${m.kind}`);
        if (attrs.length && hasPrice) out.push({ model_ref: ref, action: 'redefine', detail: attrs.join(', ') });
        if (hasPrice && (row.input_per_mtok_micros !== input || row.cached_input_per_mtok_micros !== cached || row.output_per_mtok_micros !== output)) {
          out.push({ model_ref: ref, action: 'set_price', detail: `${row.input_per_mtok_micros}/${row.cached_input_per_mtok_micros}/${row.output_per_mtok_micros} -> ${input}/${cached}/${output}` });
        }
      }
      if (m.fallbacks !== undefined && (row ? JSON.stringify(row.fallbacks ?? []) !== JSON.stringify(m.fallbacks) : hasPrice)) {
        out.push({ model_ref: ref, action: 'set_fallbacks', detail: `[${(row?.fallbacks ?? []).join(', ')}] -> [${m.fallbacks.join(', ')}]` });
      }
    }
  }
  return out;
}

// Thresholds are `real` in the database: compare at float4 precision (0.95 reads back as 0.95 either way).
const sameThreshold = (a: number | null, b: number | null) => (a === null || b === null ? a === b : Math.fround(a) === Math.fround(b));

/**
 * Which embedding models the semantic cache may name: priced models of kind embedding, in the
 * database or defined by this same sync (reserve refuses any other when the first call comes).
 */
function embeddingModels(catalog: CatalogRow[], providers: ProviderConfig[]): Set<string> {
  const out = new Set(catalog.filter((r) => r.kind === 'embedding' && r.input_per_mtok_micros !== null).map((r) => r.model_ref));
  for (const p of providers) {
    for (const m of p.models) if (m.kind === 'embedding' && m.inputPerMtokMicros !== undefined) out.add(`${p.name}:${m.name}`);
  }
  return out;
}

/**
 * What would change, endpoint by endpoint (pure): the default rows as read (an endpoint without one
 * is taken as shared false, no threshold, no embedding model), the configuration, and the models
 * an embedding model must be one of. A setting the file leaves out keeps the row's value.
 */
export function planEndpoints(current: EndpointCacheRow[], endpoints: EndpointsConfig, catalog: CatalogRow[],
  providers: ProviderConfig[]): EndpointChange[] {
  const byEndpoint = new Map(current.map((r) => [r.endpoint, r]));
  const embedding = embeddingModels(catalog, providers);
  const out: EndpointChange[] = [];
  for (const [endpoint, want] of Object.entries(endpoints) as [Endpoint, EndpointCacheConfig][]) {
    const row = byEndpoint.get(endpoint) ?? { endpoint, cache_shared: false, semantic_threshold: null, embedding_model: null };
    const next: EndpointCacheRow = {
      endpoint,
      cache_shared: want.shared ?? row.cache_shared,
      semantic_threshold: want.semanticThreshold !== undefined ? want.semanticThreshold : row.semantic_threshold,
      embedding_model: want.embeddingModel !== undefined ? want.embeddingModel : row.embedding_model,
    };
    const diffs: string[] = [];
    if (next.cache_shared !== row.cache_shared) diffs.push(`shared ${row.cache_shared} -> ${next.cache_shared}`);
    if (!sameThreshold(next.semantic_threshold, row.semantic_threshold)) diffs.push(`semantic_threshold ${row.semantic_threshold} -> ${next.semantic_threshold}`);
    if (next.embedding_model !== row.embedding_model) diffs.push(`embedding_model ${row.embedding_model} -> ${next.embedding_model}`);
    if (!byEndpoint.has(endpoint) && !diffs.length) diffs.push('default row created');
    if (!diffs.length) continue;
    if (next.embedding_model !== null && next.embedding_model !== row.embedding_model && !embedding.has(next.embedding_model)) {
      out.push({ endpoint, action: 'skip', detail: `embedding_model ${next.embedding_model} is not a priced model of kind embedding ` +
        'in the database or in the configuration (add it with "kind": "embedding" and its prices)' });
      continue;
    }
    out.push({ endpoint, action: 'set_endpoint_cache', detail: diffs.join(', '), settings: next });
  }
  return out;
}

/** The default (tenant NULL) cache rows, as llm_operator, through the view llm.endpoint_cache_settings. */
export async function readEndpointCache(c: Pick<PoolClient, 'query'>): Promise<EndpointCacheRow[]> {
  const { rows } = await c.query<EndpointCacheRow>(
    `select endpoint, cache_shared, semantic_threshold, embedding_model
       from llm.endpoint_cache_settings where tenant_id is null order by endpoint`);
  return rows;
}

async function applyEndpoints(c: PoolClient, changes: EndpointChange[]): Promise<void> {
  for (const ch of changes) {
    if (ch.action !== 'set_endpoint_cache' || !ch.settings) continue;
    const s = ch.settings;
    await c.query('select llm.set_endpoint_cache(null, $1, $2, $3::real, $4)', [s.endpoint, s.cache_shared, s.semantic_threshold, s.embedding_model]);
  }
}

async function apply(c: PoolClient, providers: ProviderConfig[], changes: ModelChange[]): Promise<void> {
  const models = new Map<string, { p: ProviderConfig; m: ModelConfig }>(providers.flatMap((p) => p.models.map((m) => [`${p.name}:${m.name}`, { p, m }])));
  // Fallback chains name other models: every model is defined before any chain is written.
  const ordered = [...changes.filter((ch) => ch.action !== 'set_fallbacks'), ...changes.filter((ch) => ch.action === 'set_fallbacks')];
  for (const ch of ordered) {
    const { p, m } = models.get(ch.model_ref)!;
    const [input, cached, output] = priceOf(m).map((v) => v?.toString() ?? null);
    if (ch.action === 'define' || ch.action === 'redefine') {
      await c.query(`select llm.define_model(p_provider => $1, p_model => $2, p_max_output_tokens => $3, p_training_allowed => $4,
        p_input_per_mtok_micros => $5::bigint, p_cached_input_per_mtok_micros => $6::bigint, p_output_per_mtok_micros => $7::bigint,
        p_token_parameter => $8, p_kind => $9)`, [p.name, m.name, m.maxOutputTokens, m.trainingAllowed ?? false, input, cached, output,
        m.tokenParameter, m.kind]);
    } else if (ch.action === 'set_price') {
      await c.query('select llm.set_model_price($1, $2, $3::bigint, $4::bigint, $5::bigint)', [p.name, m.name, input, cached, output]);
    } else if (ch.action === 'set_fallbacks') {
      await c.query('select llm.set_fallbacks($1, $2, $3::text[])', [p.name, m.name, m.fallbacks ?? []]);
    }
  }
}

/**
 * Plans and (unless dryRun) applies, in one transaction as llm_operator: models first, then the
 * endpoints (whose embedding model this same sync may define).
 */
export async function syncConfig(operatorPool: Pool, providers: ProviderConfig[],
  opts: { dryRun?: boolean; endpoints?: EndpointsConfig } = {}): Promise<Change[]> {
  return withRole(operatorPool, 'llm_operator', async (c) => {
    const catalog = await readCatalog(c);
    if (catalog === null) throw new Error('llm.model_catalog does not exist in this database: run `npm run migrate` first');
    const changes = planSync(catalog, providers);
    const endpointChanges = planEndpoints(await readEndpointCache(c), opts.endpoints ?? {}, catalog, providers);
    if (!opts.dryRun) {
      await apply(c, providers, changes);
      await applyEndpoints(c, endpointChanges);
    }
    return [...changes, ...endpointChanges];
  });
}

async function main(argv: string[]): Promise<number> {
  const dryRun = argv.includes('--dry-run');
  const cfg = loadConfig();
  if (cfg.providers.length === 0 && Object.keys(cfg.endpoints).length === 0) {
    console.error('sync-config: no provider nor endpoint configured (LLM_CONFIG_FILE or LLM_PROVIDERS): nothing to sync');
    return 1;
  }
  const url = urlForRole(cfg.databaseUrl, 'llm_operator');
  const pool = new Pool({ connectionString: pinnedUrl(url), max: 1 });
  try {
    const changes = await syncConfig(pool, cfg.providers, { dryRun, endpoints: cfg.endpoints });
    for (const ch of changes) console.log(`sync-config: ${changeSubject(ch)}: ${ch.action}: ${ch.detail}`);
    const n = changes.filter((c) => c.action !== 'skip').length;
    console.log(`sync-config: ${n} change${n === 1 ? '' : 's'}${dryRun ? ' (dry run: nothing written)' : ' written'}`);
    return 0;
  } catch (e) {
    console.error(`sync-config: ${redactUrl(url)}: ${isLoginError(e) ? loginMessage('llm_operator') : (e as Error).message}`);
    return 1;
  } finally {
    await pool.end();
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`sync-config: ${(e as Error)?.message ?? String(e)}\n`);
      process.exit(1);
    },
  );
}
