/**
 * End-to-end harness: a throwaway database with two tenants and the local models priced (as
 * `npm run sync-config` writes them), our local OpenAI-compatible provider on loopback, and
 * helpers to enqueue as the application (llm_app, signed context), read results and attempts, and
 * wait for graphile-worker to drain.
 */
import { Writable } from 'node:stream';
import { Pool } from 'pg';
import { syncConfig } from '../../src/cli/sync-config';
import { ConfigInput, parseConfig, type Config } from '../../src/config';
import { signContext, withApp } from '../../src/db/context';
import { enqueueCall, type EnqueuePayload, type EnqueueResult } from '../../src/db/enqueue';
import { createLogger, type Logger } from '../../src/logger';
import { LOCAL_KEY_ENV, localProviderConfig } from '../../src/provider/local-config';
import { startMockProvider, type MockProvider } from '../../src/provider/mock-server';
import { waitForLlmJobs } from '../../src/worker/queue';
import { startWorker, type StartedWorker } from '../../src/worker/run';
import { createTestDb, type TestDb } from './db';

export const TENANT_A = 'a0000000-0000-0000-0000-00000000000a';
export const TENANT_B = 'b0000000-0000-0000-0000-00000000000b';
export const USER_A1 = 'a1000000-0000-0000-0000-000000000001';
export const USER_A2 = 'a2000000-0000-0000-0000-000000000002';
export const USER_B1 = 'b1000000-0000-0000-0000-000000000001';
export const FAKE_KEY = 'sk-test-DO-NOT-LEAK-4b1d9c';
/** Sent as the worker's database password (trust auth ignores it): it must never reach a log line. */
export const FAKE_DB_PASSWORD = 'pw-DO-NOT-LEAK-77e1';
/** The context secret the test template was migrated with (test/support/global-setup.ts). */
export const CONTEXT_SECRET = process.env.LLM_CONTEXT_SECRET ?? '';

export type TestPayload = EnqueuePayload & { tenant_id: string; user_id: string };

export interface Harness {
  db: TestDb;
  mock: MockProvider;
  admin: Pool;
  app: Pool;
  logLines: string[];
  config(overrides?: Partial<ConfigInput>): Config;
  env: NodeJS.ProcessEnv;
  startWorker(overrides?: Partial<ConfigInput>): Promise<StartedWorker>;
  enqueue(payload: TestPayload): Promise<EnqueueResult>;
  /** llm.request_results of one request, read as its user (llm_app). */
  result(requestId: string, tenantId?: string, userId?: string): Promise<Record<string, any> | undefined>;
  /** llm.calls of one request (every attempt), read as the administrator. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  calls(requestId: string): Promise<any[]>;
  waitForJobs(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export function payload(requestId: string, over: Partial<TestPayload> | Record<string, unknown> = {}): TestPayload {
  return {
    tenant_id: TENANT_A, user_id: USER_A1, request_id: requestId, endpoint: 'explanation', model: 'local:mock-chat',
    messages: [{ role: 'user', content: `Explain request ${requestId}.` }], max_output_tokens: 64, ...over,
  } as TestPayload;
}

export async function createHarness(): Promise<Harness> {
  const db = await createTestDb();
  const mock = await startMockProvider({ port: 0 });
  try {
    return await harness(db, mock);
  } catch (e) {
    await mock.stop();
    await db.drop();
    throw e;
  }
}

async function harness(db: TestDb, mock: MockProvider): Promise<Harness> {
  const admin = db.pool('admin', 4);
  const app = db.pool('llm_app', 4);
  await admin.query(`select llm.upsert_tenant($1, 'tenant A'), llm.upsert_tenant($2, 'tenant B')`, [TENANT_A, TENANT_B]);
  const logLines: string[] = [];
  const sink = new Writable({ write(chunk, _enc, cb) { logLines.push(String(chunk)); cb(); } });
  const logger: Logger = createLogger({ level: 'debug', destination: sink });
  const env = { ...process.env, [LOCAL_KEY_ENV]: FAKE_KEY, LLM_WORKER_PASSWORD: FAKE_DB_PASSWORD };
  const workers: StartedWorker[] = [];
  let closing = false;
  const config = (overrides: Partial<ConfigInput> = {}) => parseConfig({
    databaseUrl: db.adminUrl, providers: [localProviderConfig(mock.baseUrl)], callTimeoutMs: 2000,
    worker: { concurrency: 4, pollIntervalMs: 100 }, ...overrides,
  });
  await syncConfig(db.pool('llm_operator', 1), config().providers);
  // As the supervisor does in production (README "Supervision"): a worker whose graphile-worker pool
  // failed is replaced by a fresh one.
  const supervised = async (overrides: Partial<ConfigInput> = {}): Promise<StartedWorker> => {
    const w = await startWorker(config(overrides), logger, env);
    workers.push(w);
    w.done.catch(() => {
      if (!closing) void supervised(overrides).catch(() => {});
    });
    return w;
  };
  return {
    db, mock, admin, app, logLines, env, config,
    startWorker: supervised,
    enqueue: (p) => enqueueCall(app, { secret: CONTEXT_SECRET, tenantId: p.tenant_id, userId: p.user_id }, p),
    async result(requestId, tenantId = TENANT_A, userId = USER_A1) {
      return withApp(app, signContext(CONTEXT_SECRET, tenantId, userId), async (c) =>
        (await c.query('select * from llm.request_results where request_id = $1', [requestId])).rows[0]);
    },
    async calls(requestId) {
      return (await admin.query('select * from llm.calls where request_id = $1 order by attempt_no', [requestId])).rows;
    },
    waitForJobs: (timeoutMs = 20000) => waitForLlmJobs(admin, timeoutMs),
    async close() {
      closing = true;
      for (const w of workers) await w.stop();
      await mock.stop();
      await db.drop();
    },
  };
}
