/**
 * `npm run sync-config [-- --dry-run]`: writes the prices, fallback chains and training consent of
 * the configured models (LLM_CONFIG_FILE / LLM_PROVIDERS) into the database, through the operator
 * SQL functions (llm.define_model, llm.set_model_price, llm.set_fallbacks), as llm_operator.
 * The database is the one source of truth for them; this command is how an operator changes them
 * from a file, on purpose. A worker never does this at start. It changes only what differs and
 * prints one line per change; models the database has and the file does not are left alone.
 */
import { Pool, type PoolClient } from 'pg';
import { loadConfig } from '../config';
import { withRole } from '../db/context';
import { isLoginError, loginMessage } from '../db/login-errors';
import { redactUrl, urlForRole } from '../db/urls';
import type { ModelConfig, ProviderConfig } from '../provider';
import { type CatalogRow, readCatalog } from '../worker/catalog';

export interface Change {
  model_ref: string;
  action: 'define' | 'redefine' | 'set_price' | 'set_fallbacks' | 'skip';
  detail: string;
}

const priceOf = (m: ModelConfig) => [m.inputPerMtokMicros, m.cachedInputPerMtokMicros, m.outputPerMtokMicros] as const;

/** What would change, model by model (pure: the catalog as read, the configuration). */
export function planSync(catalog: CatalogRow[], providers: ProviderConfig[]): Change[] {
  const byRef = new Map(catalog.map((r) => [r.model_ref, r]));
  const out: Change[] = [];
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

async function apply(c: PoolClient, providers: ProviderConfig[], changes: Change[]): Promise<void> {
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

/** Plans and (unless dryRun) applies, in one transaction as llm_operator. */
export async function syncConfig(operatorPool: Pool, providers: ProviderConfig[], opts: { dryRun?: boolean } = {}): Promise<Change[]> {
  return withRole(operatorPool, 'llm_operator', async (c) => {
    const catalog = await readCatalog(c);
    if (catalog === null) throw new Error('llm.model_catalog does not exist in this database: run `npm run migrate` first');
    const changes = planSync(catalog, providers);
    if (!opts.dryRun) await apply(c, providers, changes);
    return changes;
  });
}

async function main(argv: string[]): Promise<number> {
  const dryRun = argv.includes('--dry-run');
  const cfg = loadConfig();
  if (cfg.providers.length === 0) {
    console.error('sync-config: no provider configured (LLM_CONFIG_FILE or LLM_PROVIDERS): nothing to sync');
    return 1;
  }
  const url = urlForRole(cfg.databaseUrl, 'llm_operator');
  const pool = new Pool({ connectionString: url, max: 1 });
  try {
    const changes = await syncConfig(pool, cfg.providers, { dryRun });
    for (const ch of changes) console.log(`sync-config: ${ch.model_ref}: ${ch.action}: ${ch.detail}`);
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
