/**
 * Provider configuration: which OpenAI-compatible endpoints exist, which models they serve, and
 * what each model costs. Prices are integer micro-USD per million tokens, parsed into bigint.
 */
import { z } from 'zod';
import { micros } from '../int8';

const PROVIDER_NAME = /^[a-z0-9_-]{1,40}$/;
// Model names are opaque to us (they may contain ':' '/' '.'), but never whitespace or control chars.
const MODEL_NAME = /^[^\s\x00-\x1f]{1,200}$/;

export interface ModelRef {
  provider: string;
  model: string;
}

/** `provider:model` (aisuite style). Splits on the first ':' because model names may contain ':' (e.g. ollama tags). */
export function parseModelRef(ref: string): ModelRef {
  const i = typeof ref === 'string' ? ref.indexOf(':') : -1;
  const provider = i > 0 ? ref.slice(0, i) : '';
  const model = i > 0 ? ref.slice(i + 1) : '';
  if (!PROVIDER_NAME.test(provider) || !MODEL_NAME.test(model)) {
    throw new Error(
      `invalid model ref ${JSON.stringify(String(ref).slice(0, 250))}: expected "provider:model" ` +
        `with provider matching ${PROVIDER_NAME} and a non-empty model name without whitespace`,
    );
  }
  return { provider, model };
}

function isModelRef(ref: string): boolean {
  try {
    parseModelRef(ref);
    return true;
  } catch {
    return false;
  }
}

export const TokenizerSchema = z.enum(['o200k', 'cl100k', 'bytes']);
export type Tokenizer = z.infer<typeof TokenizerSchema>;

export const ModelConfigSchema = z.object({
  name: z.string().regex(MODEL_NAME, 'model name must be 1-200 chars without whitespace'),
  inputPerMtokMicros: micros,
  cachedInputPerMtokMicros: micros,
  outputPerMtokMicros: micros,
  maxOutputTokens: z.int().positive(),
  trainingAllowed: z.boolean().default(false),
  tokenizer: TokenizerSchema.optional(),
  fallbacks: z.array(z.string().refine(isModelRef, 'fallback must be a "provider:model" ref')).optional(),
});
export type ModelConfig = z.output<typeof ModelConfigSchema>;

export const ProviderConfigSchema = z
  .object({
    name: z.string().regex(PROVIDER_NAME, 'provider name must match /^[a-z0-9_-]{1,40}$/'),
    baseUrl: z.url({ protocol: /^https?$/ }),
    // The NAME of the env var holding the key: keys never live in config files or the database.
    apiKeyEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'apiKeyEnv must be an environment variable name'),
    timeoutMs: z.int().positive().max(3_600_000).optional(),
    models: z.array(ModelConfigSchema).min(1),
  })
  .superRefine((cfg, ctx) => {
    const seen = new Set<string>();
    for (const [i, m] of cfg.models.entries()) {
      if (seen.has(m.name)) ctx.addIssue({ code: 'custom', path: ['models', i, 'name'], message: `duplicate model ${m.name}` });
      seen.add(m.name);
    }
  });
export type ProviderConfig = z.output<typeof ProviderConfigSchema>;
export type ProviderConfigInput = z.input<typeof ProviderConfigSchema>;

/** The configured model, or undefined: callers decide whether an unpriced model is an error. */
export function findModel(cfg: ProviderConfig, model: string): ModelConfig | undefined {
  return cfg.models.find((m) => m.name === model);
}
