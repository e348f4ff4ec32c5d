/** The administrator connection tests use to create and drop their throwaway databases. */
export const TEST_ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEMPLATE_ENV = 'LLMGOV_TEST_TEMPLATE';
export const PREFIX = 'llmgov_test_';
/** The context secret the test template is migrated with (test/support/fixtures.sql tests.secret() says the same). */
export const TEST_CONTEXT_SECRET = 'test-context-secret-0123456789abcdef';
