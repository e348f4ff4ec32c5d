/** The administrator connection tests use to create and drop their throwaway databases. */
export const TEST_ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEMPLATE_ENV = 'LLMGOV_TEST_TEMPLATE';
export const PREFIX = 'llmgov_test_';
