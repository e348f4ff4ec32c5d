/** The administrator connection tests use to create and drop their throwaway databases. */
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
export const TEST_ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEMPLATE_ENV = 'LLMGOV_TEST_TEMPLATE';
export const PREFIX = 'llmgov_test_';
/**
 * This machine, in the names of the databases it creates (`llmgov_test_<pid>_<host>_<random>`): a run
 * drops an earlier run's databases only when that run was on this machine, where its pid says whether
 * it still runs; on a server shared between machines, another machine's pids mean nothing here.
 */
export const HOST_TAG = createHash('sha256').update(hostname()).digest('hex').slice(0, 6);
/** The stem of a new run's databases: its template is `<stem>_tpl`, each test file's clone `<stem>_<random>`. */
export const runStem = (pid: number, random: string) => `${PREFIX}${pid}_${HOST_TAG}_${random}`;
/** The context secret the test template is migrated with (test/support/fixtures.sql tests.secret() says the same). */
export const TEST_CONTEXT_SECRET = 'test-context-secret-0123456789abcdef';
