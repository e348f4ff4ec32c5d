/**
 * The model catalog as the database has it (llm.model_catalog: prices, fallback chains, consent;
 * the one source of truth), read by the worker for two things only:
 *   - at start, a warning for everything that would make a call fail later: a priced model whose
 *     provider this worker does not configure, a configured model without a price;
 *   - fallback chains, so that the input-token estimate is an upper bound for every model reserve
 *     may choose (refreshed every minute).
 * The worker never writes the catalog (`npm run sync-config` does, on purpose).
 */
import type { Pool, PoolClient } from 'pg';
import { z } from 'zod';
import { sqlState } from '../errors';
import { int8 } from '../int8';
import type { Logger } from '../logger';
import type { ProviderConfig } from '../provider';

export const CatalogRowSchema = z.object({
  provider: z.string(),
  model: z.string(),
  model_ref: z.string(),
  kind: z.string(),
  max_output_tokens: z.int().nullable(),
  token_parameter: z.string().nullable(),
  training_allowed: z.boolean().nullable(),
  input_per_mtok_micros: int8.nullable(),
  cached_input_per_mtok_micros: int8.nullable(),
  output_per_mtok_micros: int8.nullable(),
  price_effective_from: z.date().nullable(),
  fallbacks: z.array(z.string()).nullable(),
});
export type CatalogRow = z.output<typeof CatalogRowSchema>;

/** The rows, or null when the view does not exist (a database without the v2 API). */
export async function readCatalog(pool: Pick<Pool, 'query'> | PoolClient): Promise<CatalogRow[] | null> {
  try {
    const { rows } = await pool.query('select * from llm.model_catalog order by provider, model');
    return rows.map((r) => CatalogRowSchema.parse(r));
  } catch (e) {
    if (sqlState(e) === '42P01') return null;
    throw e;
  }
}

export interface CatalogWarning {
  kind: 'no_provider' | 'no_model_config' | 'no_price' | 'token_parameter_differs';
  model_ref: string;
  message: string;
}

/** Everything that would make a call fail later, one warning per model. */
export function catalogWarnings(rows: CatalogRow[], providers: ProviderConfig[]): CatalogWarning[] {
  const out: CatalogWarning[] = [];
  const byName = new Map(providers.map((p) => [p.name, p]));
  const priced = new Map(rows.filter((r) => r.input_per_mtok_micros !== null).map((r) => [r.model_ref, r]));
  for (const r of priced.values()) {
    const p = byName.get(r.provider);
    if (!p) {
      out.push({ kind: 'no_provider', model_ref: r.model_ref,
        message: `model ${r.model_ref} has a price in the database but this worker configures no provider "${r.provider}": ` +
          'its calls will fail with provider_not_configured (add the provider to LLM_CONFIG_FILE / LLM_PROVIDERS)' });
    } else if (!p.models.some((m) => m.name === r.model)) {
      out.push({ kind: 'no_model_config', model_ref: r.model_ref,
        message: `model ${r.model_ref} has a price in the database but provider "${r.provider}" does not list model "${r.model}": ` +
          'its calls will fail with provider_not_configured' });
    }
  }
  for (const p of providers) {
    for (const m of p.models) {
      const ref = `${p.name}:${m.name}`;
      const row = priced.get(ref);
      if (!row) {
        out.push({ kind: 'no_price', model_ref: ref,
          message: `model ${ref} is configured but has no price in the database: reserve refuses it (unknown_model); ` +
            'run `npm run sync-config` or llm.define_model as llm_operator' });
      } else if (row.token_parameter && row.token_parameter !== m.tokenParameter) {
        out.push({ kind: 'token_parameter_differs', model_ref: ref,
          message: `model ${ref}: this worker sends ${m.tokenParameter}, the database says ${row.token_parameter}` });
      }
    }
  }
  return out;
}

export class Catalog {
  private byRef = new Map<string, CatalogRow>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly pool: Pool, private readonly logger: Logger) {}

  /** Reads once; `refreshMs` > 0 keeps it current in the background. Returns the rows (null: no view). */
  async load(refreshMs = 60_000): Promise<CatalogRow[] | null> {
    const rows = await readCatalog(this.pool);
    this.set(rows ?? []);
    if (refreshMs > 0 && !this.timer) {
      this.timer = setInterval(() => {
        readCatalog(this.pool).then((r) => this.set(r ?? []), (e: Error) =>
          this.logger.warn({ event: 'catalog_refresh_failed', error: e.message }, 'could not re-read llm.model_catalog'));
      }, refreshMs);
      this.timer.unref();
    }
    return rows;
  }

  set(rows: CatalogRow[]): void {
    this.byRef = new Map(rows.map((r) => [r.model_ref, r]));
  }

  /** The fallback chain of a model ref as last read (may be empty). */
  fallbacks(modelRef: string): string[] {
    return this.byRef.get(modelRef)?.fallbacks ?? [];
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
