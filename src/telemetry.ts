/**
 * OpenTelemetry tracing: spans around enqueue, reserve, the provider call and settle, with the
 * GenAI semantic-convention attributes. Exported by OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT (or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set, a no-op otherwise: the API's no-op tracer still
 * yields valid-looking but empty span contexts, and `traceIdOf` returns null for them so that
 * nothing fake reaches the ledger or the logs.
 *
 * Attribute names are copied here, as OpenTelemetry advises for incubating conventions (the
 * `incubating` entry point may change in a minor release).
 */
import { context, trace, SpanKind, SpanStatusCode, type Attributes, type Context, type Span, type Tracer } from '@opentelemetry/api';

export const GEN_AI = {
  system: 'gen_ai.system',
  providerName: 'gen_ai.provider.name',
  operationName: 'gen_ai.operation.name',
  requestModel: 'gen_ai.request.model',
  requestMaxTokens: 'gen_ai.request.max_tokens',
  responseModel: 'gen_ai.response.model',
  responseFinishReasons: 'gen_ai.response.finish_reasons',
  usageInputTokens: 'gen_ai.usage.input_tokens',
  usageOutputTokens: 'gen_ai.usage.output_tokens',
  usageCacheReadInputTokens: 'gen_ai.usage.cache_read.input_tokens',
} as const;

export const TRACER_NAME = 'pg-llm-governor';

export function tracer(): Tracer {
  return trace.getTracer(TRACER_NAME);
}

/** The trace id of a recording span, or null (no-op tracer, or not sampled). */
export function traceIdOf(span: Span): string | null {
  const sc = span.spanContext();
  return span.isRecording() && trace.isSpanContextValid(sc) ? sc.traceId : null;
}

/** Log fields for a span: trace_id and span_id when it records. */
export function logFieldsOf(span: Span): { trace_id?: string; span_id?: string } {
  const id = traceIdOf(span);
  return id ? { trace_id: id, span_id: span.spanContext().spanId } : {};
}

/**
 * Runs `fn` in a child span of `parent` (explicit parenting: no reliance on a global context
 * manager). The span ends when fn settles; a thrown error is recorded and rethrown.
 */
export async function inSpan<T>(t: Tracer, name: string, parent: Context | null, attributes: Attributes,
  fn: (span: Span) => Promise<T>, kind: SpanKind = SpanKind.INTERNAL): Promise<T> {
  const span = t.startSpan(name, { attributes, kind }, parent ?? context.active());
  try {
    return await fn(span);
  } catch (e) {
    span.recordException(e as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (e as Error)?.message?.slice(0, 200) });
    throw e;
  } finally {
    span.end();
  }
}

export function contextWith(span: Span, parent: Context | null = null): Context {
  return trace.setSpan(parent ?? context.active(), span);
}

export interface Telemetry {
  enabled: boolean;
  shutdown(): Promise<void>;
}

let installed: Telemetry | null = null;

/**
 * Installs the OTLP exporter when configured (once per process); otherwise leaves the API's no-op
 * tracer in place. Standard variables apply: OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_SERVICE_NAME,
 * OTEL_SDK_DISABLED, OTEL_EXPORTER_OTLP_HEADERS.
 */
export async function initTelemetry(env: NodeJS.ProcessEnv = process.env): Promise<Telemetry> {
  if (installed) return installed;
  const url = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ||
    (env.OTEL_EXPORTER_OTLP_ENDPOINT ? `${env.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces` : '');
  if (!url || env.OTEL_SDK_DISABLED === 'true') {
    installed = { enabled: false, shutdown: async () => {} };
    return installed;
  }
  const [{ BasicTracerProvider, BatchSpanProcessor }, { OTLPTraceExporter }, { resourceFromAttributes }, { AsyncLocalStorageContextManager }] =
    await Promise.all([
      import('@opentelemetry/sdk-trace-base'),
      import('@opentelemetry/exporter-trace-otlp-http'),
      import('@opentelemetry/resources'),
      import('@opentelemetry/context-async-hooks'),
    ]);
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': env.OTEL_SERVICE_NAME || 'pg-llm-governor' }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url }))],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(provider);
  installed = {
    enabled: true,
    shutdown: async () => {
      await provider.shutdown().catch(() => {});
    },
  };
  return installed;
}
