/**
 * The provider configuration that points at our local mock server (tests and the demo). It is
 * ordinary configuration: the product code treats it like any other OpenAI-compatible provider.
 * Plain JSON values (no bigint), so it can be written to LLM_PROVIDERS or a config file as is.
 */
import type { ProviderConfigInput } from './models';

export const LOCAL_KEY_ENV = 'LOCAL_PROVIDER_API_KEY';

export function localProviderConfig(baseUrl: string, timeoutMs?: number): ProviderConfigInput {
  return {
    name: 'local',
    baseUrl,
    apiKeyEnv: LOCAL_KEY_ENV,
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    models: [
      // Prices in micro-USD per million tokens (illustrative, in the range of small hosted models).
      { name: 'mock-chat', inputPerMtokMicros: 2_500_000, cachedInputPerMtokMicros: 1_250_000, outputPerMtokMicros: 10_000_000,
        maxOutputTokens: 4096, trainingAllowed: true, fallbacks: ['local:gpt-4o-mini'] },
      { name: 'gpt-4o-mini', inputPerMtokMicros: 150_000, cachedInputPerMtokMicros: 75_000, outputPerMtokMicros: 600_000,
        maxOutputTokens: 4096, trainingAllowed: false },
      { name: 'mock-reasoner', inputPerMtokMicros: 5_000_000, cachedInputPerMtokMicros: 2_500_000, outputPerMtokMicros: 20_000_000,
        maxOutputTokens: 8192, trainingAllowed: false },
      // An o-series name: the client sends max_completion_tokens (the mock refuses max_tokens, as OpenAI does).
      { name: 'o4-mini', inputPerMtokMicros: 1_100_000, cachedInputPerMtokMicros: 275_000, outputPerMtokMicros: 4_400_000,
        maxOutputTokens: 8192, trainingAllowed: false },
      // A non-OpenAI tokenizer: estimated by the mock's own counting endpoint, else 1 byte per token.
      { name: 'mock-llama', inputPerMtokMicros: 200_000, cachedInputPerMtokMicros: 200_000, outputPerMtokMicros: 200_000,
        maxOutputTokens: 4096, trainingAllowed: true, tokenCountUrl: baseUrl.replace(/\/v1\/?$/, '') + '/tokenize' },
      { name: 'mock-embed', kind: 'embedding', inputPerMtokMicros: 20_000, cachedInputPerMtokMicros: 20_000, outputPerMtokMicros: 0,
        maxOutputTokens: 1, trainingAllowed: false },
    ],
  };
}
