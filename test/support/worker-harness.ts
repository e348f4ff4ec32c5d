/**
 * End-to-end harness: a throwaway database, our local OpenAI-compatible provider on loopback, and
 * helpers to enqueue by SQL and wait for graphile-worker to drain.
 */
import { Writable } from 'node:stream';
import type { Pool } from 'pg';
import { ConfigInput, parseConfig, type Config } from '../../src/config';
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

export interface Harness {
  db: TestDb;
  mock: MockProvider;
  admin: Pool;
  app: Pool;
  logLines: string[];
  config(overrides?: Partial<ConfigInput>): Config;
  env: NodeJS.ProcessEnv;
  startWorker(overrides?: Partial<ConfigInput>): Promise<StartedWorker>;
  enqueue(payload: Record<string, unknown>): Promise<string>;
  waitForJobs(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export function payload(requestId: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    tenant_id: TENANT_A, user_id: USER_A1, request_id: requestId, endpoint: 'explanation', model: 'local:mock-chat',
    messages: [{ role: 'user', content: `Explain request ${requestId}.` }], max_output_tokens: 64, ...over,
  };
}

export async function createHarness(): Promise<Harness> {
  const db = await createTestDb();
  const mock = await startMockProvider({ port: 0 });
  const admin = db.pool('admin', 4);
  const app = db.pool('llm_app', 4);
  await admin.query(`select llm.upsert_tenant($1, 'tenant A'), llm.upsert_tenant($2, 'tenant B')`, [TENANT_A, TENANT_B]);
  const logLines: string[] = [];
  const sink = new Writable({ write(chunk, _enc, cb) { logLines.push(String(chunk)); cb(); } });
  const logger: Logger = createLogger({ level: 'debug', destination: sink });
  const env = { ...process.env, [LOCAL_KEY_ENV]: FAKE_KEY, LLM_WORKER_PASSWORD: FAKE_DB_PASSWORD };
  const workers: StartedWorker[] = [];
  const config = (overrides: Partial<ConfigInput> = {}) => parseConfig({
    databaseUrl: db.adminUrl, providers: [localProviderConfig(mock.baseUrl)], callTimeoutMs: 2000,
    worker: { concurrency: 4, pollIntervalMs: 100 }, ...overrides,
  });
  return {
    db, mock, admin, app, logLines, env, config,
    async startWorker(overrides = {}) {
      const w = await startWorker(config(overrides), logger, env);
      workers.push(w);
      return w;
    },
    async enqueue(p) {
      const c = await app.connect();
      try {
        await c.query('begin');
        await c.query(`select set_config('app.current_tenant_id', $1, true), set_config('app.current_user_id', $2, true)`,
          [p.tenant_id, p.user_id]);
        const { rows } = await c.query('select llm.enqueue_call($1::jsonb) as id', [JSON.stringify(p)]);
        await c.query('commit');
        return rows[0].id as string;
      } catch (e) {
        await c.query('rollback');
        throw e;
      } finally {
        c.release();
      }
    },
    waitForJobs: (timeoutMs = 20000) => waitForLlmJobs(admin, timeoutMs),
    async close() {
      for (const w of workers) await w.stop();
      await mock.stop();
      await db.drop();
    },
  };
}
