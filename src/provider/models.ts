/**
 * Provider configuration: which OpenAI-compatible endpoints exist, which models they serve, and how
 * to talk to each model (output-cap parameter, token-estimate rule). Prices, fallback chains and
 * the training consent are written here only as the input of `npm run sync-config`: the database
 * is their one source of truth, and the worker never writes them (README "Configuration").
 */
import { z } from 'zod';

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

export const TokenParameterSchema = z.enum(['max_tokens', 'max_completion_tokens']);
export type TokenParameter = z.infer<typeof TokenParameterSchema>;

/** The last path segment, lower-cased: aggregators prefix vendors ("openai/gpt-5"). */
function family(model: string): string {
  return model.slice(model.lastIndexOf('/') + 1).toLowerCase();
}

/**
 * OpenAI's o-series and gpt-5 models refuse `max_tokens` (HTTP 400) and take
 * `max_completion_tokens`; everything else (and every other OpenAI-compatible server we know)
 * takes `max_tokens`. A model's `tokenParameter` overrides this rule.
 */
export function defaultTokenParameter(model: string): TokenParameter {
  return /^(o\d+|gpt-5)([-.:_]|$)/.test(family(model)) ? 'max_completion_tokens' : 'max_tokens';
}

// A price setting: an integer number (exact, so at most 2^53) or an integer string, in micro-USD per million tokens.
const priceSetting = z
  .union([z.int().min(0), z.string().regex(/^(0|[1-9][0-9]{0,17})$/, 'must be a non-negative integer string')])
  .transform((v) => BigInt(v))
  .meta({ description: 'micro-USD per million tokens (integer, or a string of digits for values above 2^53)' });

export const ModelConfigSchema = z
  .strictObject({
    name: z.string().regex(MODEL_NAME, 'model name must be 1-200 chars without whitespace'),
    kind: z.enum(['chat', 'embedding']).default('chat'),
    maxOutputTokens: z.int().positive().max(1_000_000),
    tokenParameter: TokenParameterSchema.optional().meta({
      description: "request field for the output cap; default: max_completion_tokens for OpenAI o-series and gpt-5 names, max_tokens otherwise",
    }),
    tokenizer: TokenizerSchema.optional().meta({
      description: 'exact local tokenizer (OpenAI families), or bytes; default chosen from the model name',
    }),
    bytesPerToken: z.number().min(1).max(8).optional().meta({
      description: 'when no exact tokenizer applies: estimate ceil(UTF-8 bytes / bytesPerToken). A lower bound of the bytes any one token of the model covers (default 1, true of every byte-level tokenizer), never an average: only then is the estimate an upper bound',
    }),
    tokenCountUrl: z.url({ protocol: /^https?$/ }).optional().meta({
      description: "the provider's own counting endpoint (vLLM-style POST {model, messages} -> {count}), e.g. http://host:8000/tokenize; on failure (logged) the local rule applies",
    }),
    // Inputs of `npm run sync-config` only (the database is the source of truth).
    inputPerMtokMicros: priceSetting.optional(),
    cachedInputPerMtokMicros: priceSetting.optional(),
    outputPerMtokMicros: priceSetting.optional(),
    trainingAllowed: z.boolean().optional().meta({ description: "whether the model's terms allow training on its outputs (sync-config only)" }),
    fallbacks: z.array(z.string().refine(isModelRef, 'fallback must be a "provider:model" ref')).max(10).optional(),
    answeredAs: z.array(z.string().regex(MODEL_NAME, 'a model name: 1-200 chars without whitespace')).max(20).optional().meta({
      description: "other names the provider answers for this model (an Azure deployment's model, a gateway's alias). Each name, " +
        'the model\'s own included, is also accepted as a dated snapshot (name-2024-07-18, name-0613; name-latest as name-20241022), ' +
        'with an organisation prefix (org/name), and untagged as name:latest; an answer from any other model is charged the full ' +
        'hold (usage unknown)',
    }),
  })
  .superRefine((m, ctx) => {
    const prices = [m.inputPerMtokMicros, m.cachedInputPerMtokMicros, m.outputPerMtokMicros].filter((p) => p !== undefined).length;
    if (prices !== 0 && prices !== 3) {
      ctx.addIssue({ code: 'custom', path: ['inputPerMtokMicros'],
        message: 'give all three prices (inputPerMtokMicros, cachedInputPerMtokMicros, outputPerMtokMicros) or none' });
    }
    const tokenizer = m.tokenizer ?? tokenizerFor(m.name);
    if (m.bytesPerToken !== undefined && tokenizer !== 'bytes') {
      ctx.addIssue({ code: 'custom', path: ['bytesPerToken'], message: `bytesPerToken applies only without an exact tokenizer (this model uses ${tokenizer})` });
    }
  })
  .transform((m) => ({
    ...m,
    tokenParameter: m.tokenParameter ?? defaultTokenParameter(m.name),
    tokenizer: m.tokenizer ?? tokenizerFor(m.name),
  }));
export type ModelConfig = z.output<typeof ModelConfigSchema>;
export type ModelConfigInput = z.input<typeof ModelConfigSchema>;

export const ProviderConfigSchema = z
  .strictObject({
    name: z.string().regex(PROVIDER_NAME, 'provider name must match /^[a-z0-9_-]{1,40}$/'),
    baseUrl: z.url({ protocol: /^https?$/ }),
    // The NAME of the env var holding the key: keys never live in config files or the database.
    apiKeyEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'apiKeyEnv must be an environment variable name'),
    timeoutMs: z.int().positive().max(3_600_000).optional(),
    /**
     * The endpoint is a gateway in front of other providers (LiteLLM, OpenRouter, a company proxy): any 5xx or 408 it answers
     * leaves the upstream call's outcome unknown, charged the full hold (without it only 502, 504, 408, 520, 524, 598 and
     * 599 are; LiteLLM answers an upstream connection error with a 500).
     */
    gateway: z.boolean().optional(),
    models: z.array(ModelConfigSchema).min(1).max(500),
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

/**
 * Whether an answer's `model` is the model asked for: its name or a name the configuration lists (answeredAs), each also
 * as a dated snapshot (OpenAI answers gpt-4o-mini with gpt-4o-mini-2024-07-18; an alias name-latest with name-20241022),
 * with an organisation prefix (vLLM serving meta-llama/Llama-3.1-8B-Instruct), or an untagged name with Ollama's :latest.
 * Another tag (llama3:70b for llama3) is another model. A gateway that routed the call to another model is billed that
 * model's price, which ours is not: the worker then settles the call as an unknown usage (the full hold) instead of
 * pricing its tokens as the model asked for.
 */
export function answersAs(model: Pick<ModelConfig, 'name' | 'answeredAs'>, answered: string): boolean {
  return [model.name, ...(model.answeredAs ?? [])].some((name) => sameModel(name, answered));
}

const SNAPSHOT = /^-(\d{4}-\d{2}-\d{2}|\d{4}|\d{8})$/;

function sameModel(configured: string, reported: string): boolean {
  // Without regard to case, as the database's price lookup (llm_private.is_asked_model): a gateway answering GPT-4o for
  // gpt-4o was settled as another model, its call charged the full hold (drill 90).
  const name = configured.toLowerCase();
  let answered = reported.toLowerCase();
  const slash = answered.lastIndexOf('/');
  if (slash > 0 && !name.includes('/') && /^[A-Za-z0-9._-]{1,100}$/.test(answered.slice(0, slash))) answered = answered.slice(slash + 1);
  if (answered === name || (!name.includes(':') && answered === `${name}:latest`)) return true;
  return [name, ...(name.endsWith('-latest') ? [name.slice(0, -'-latest'.length)] : [])]
    .some((base) => answered.startsWith(base) && SNAPSHOT.test(answered.slice(base.length)));
}

/** The configured model, or undefined: callers decide whether an unknown model is an error. */
export function findModel(cfg: ProviderConfig, model: string): ModelConfig | undefined {
  return cfg.models.find((m) => m.name === model);
}

const families: Array<[RegExp, Tokenizer]> = [
  [/^(chatgpt-4o|gpt-4o|gpt-4\.1|gpt-5|o[134])([-.:_]|$)/, 'o200k'],
  // Not "gpt-4.5" etc.: an unlisted family falls through to 'bytes' rather than a guess.
  [/^gpt-(4|3\.5)(-|$)/, 'cl100k'],
];

/** Tokenizer family for a model name; 'bytes' (a safe upper bound) when the family is unknown. */
export function tokenizerFor(model: string): Tokenizer {
  const name = family(model);
  return families.find(([re]) => re.test(name))?.[1] ?? 'bytes';
}
