/**
 * Structured JSON logs (pino). Secrets and message contents never reach a log line: pino's
 * redact paths censor them wherever they appear in a logged object, and URLs are passed through
 * redactUrl before logging. Tests run the end-to-end suite with a known key and password and
 * assert neither appears in the captured output.
 */
import pino, { Logger, DestinationStream } from 'pino';

export const REDACT_PATHS = [
  'apiKey', '*.apiKey', 'authorization', '*.authorization', 'headers.authorization', '*.headers.authorization',
  'password', '*.password', 'databaseUrl', '*.databaseUrl', 'connectionString', '*.connectionString',
  'messages', '*.messages', 'content', '*.content', 'reasoning', '*.reasoning', 'prompt', '*.prompt',
];

export function createLogger(opts: { level?: string; destination?: DestinationStream } = {}): Logger {
  return pino(
    {
      level: opts.level ?? process.env.LOG_LEVEL ?? 'info',
      base: { service: 'pg-llm-governor' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    opts.destination,
  );
}

export type { Logger };
