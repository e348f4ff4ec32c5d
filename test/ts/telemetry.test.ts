/**
 * OpenTelemetry setup: with OTEL_EXPORTER_OTLP_ENDPOINT the spans reach an OTLP/HTTP collector
 * (here a local HTTP server standing in for one); without it the tracer is a no-op and no trace id
 * is produced. Run in child processes: the global tracer provider is set once per process.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

const SCRIPT = `
const { initTelemetry, tracer, traceIdOf, inSpan, GEN_AI } = require(${JSON.stringify(join(ROOT, 'src', 'telemetry.ts'))});
(async () => {
  const t = await initTelemetry(process.env);
  let id = null;
  await inSpan(tracer(), 'chat mock-chat', null, { [GEN_AI.system]: 'local', [GEN_AI.requestModel]: 'mock-chat' }, async (span) => {
    span.setAttribute(GEN_AI.usageInputTokens, 12);
    id = traceIdOf(span);
  });
  await t.shutdown();
  console.log(JSON.stringify({ enabled: t.enabled, traceId: id }));
})();
`;

function runScript(env: Record<string, string>): Promise<{ status: number | null; stdout: string }> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OTEL_')));
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', SCRIPT], { cwd: ROOT, env: { ...clean, ...env } });
  let stdout = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stdout += d));
  return new Promise((resolve) => child.once('exit', (status) => resolve({ status, stdout })));
}

test('without an OTLP endpoint tracing is a no-op: no trace id', async () => {
  const r = await runScript({});
  expect(r.status).toBe(0);
  expect(JSON.parse(r.stdout.trim())).toEqual({ enabled: false, traceId: null });
});

test('with OTEL_EXPORTER_OTLP_ENDPOINT the spans are exported by OTLP/HTTP with their GenAI attributes', async () => {
  const received: Array<{ path: string; type: string; body: string }> = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', type: String(req.headers['content-type']), body });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  try {
    const r = await runScript({ OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`, OTEL_SERVICE_NAME: 'governor-test' });
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(out.enabled).toBe(true);
    expect(out.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ path: '/v1/traces' });
    const body = received[0]!.body;
    for (const s of ['chat mock-chat', 'gen_ai.system', 'gen_ai.request.model', 'gen_ai.usage.input_tokens', 'governor-test', out.traceId]) {
      expect([s, body.includes(s)]).toEqual([s, true]);
    }
  } finally {
    server.close();
  }
}, 60_000);
