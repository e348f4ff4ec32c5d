/**
 * The provider configuration that points at our local mock server (tests and the demo). It is
 * ordinary configuration: the product code treats it like any other OpenAI-compatible provider.
 */
import type { ProviderConfigInput } from './models';

export const LOCAL_KEY_ENV = 'LOCAL_PROVIDER_API_KEY';

export function localProviderConfig(baseUrl: string, timeoutMs?: number): ProviderConfigInput {
  return {
    name: 'local',
    baseUrl,
    apiKeyEnv: LOCAL_KEY_ENV,
    timeoutMs,
    models: [
      // Prices in micro-USD per million tokens (illustrative, in the range of small hosted models).
      { name: 'mock-chat', inputPerMtokMicros: 2_500_000n, cachedInputPerMtokMicros: 1_250_000n, outputPerMtokMicros: 10_000_000n,
        maxOutputTokens: 4096, trainingAllowed: true, fallbacks: ['local:gpt-4o-mini'] },
      { name: 'gpt-4o-mini', inputPerMtokMicros: 150_000n, cachedInputPerMtokMicros: 75_000n, outputPerMtokMicros: 600_000n,
        maxOutputTokens: 4096, trainingAllowed: false },
      { name: 'mock-reasoner', inputPerMtokMicros: 5_000_000n, cachedInputPerMtokMicros: 2_500_000n, outputPerMtokMicros: 20_000_000n,
        maxOutputTokens: 8192, trainingAllowed: false },
      { name: 'mock-embed', inputPerMtokMicros: 20_000n, cachedInputPerMtokMicros: 20_000n, outputPerMtokMicros: 0n,
        maxOutputTokens: 1, trainingAllowed: false },
    ],
  };
}
