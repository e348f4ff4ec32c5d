/** The zod enqueue payload schema and the SQL validation (llm.validate_payload) agree on the same fixtures. */
import type { Pool } from 'pg';
import { EnqueuePayloadSchema } from '../../src/payload';
import fixtures from '../fixtures/payloads.json';
import { createTestDb, TestDb } from '../support/db';

let db: TestDb;
let pool: Pool;
beforeAll(async () => {
  db = await createTestDb();
  pool = db.pool('llm_operator', 2);
});
afterAll(async () => db.drop());

async function sqlErrors(payload: unknown): Promise<string[]> {
  const { rows } = await pool.query('select llm.validate_payload($1::jsonb) as errs', [JSON.stringify(payload)]);
  return rows[0].errs;
}

describe.each(fixtures.valid)('valid payload: $name', ({ payload }) => {
  test('zod accepts it', () => expect(EnqueuePayloadSchema.safeParse(payload).success).toBe(true));
  test('SQL accepts it', async () => expect(await sqlErrors(payload)).toEqual([]));
});

describe.each(fixtures.invalid)('invalid payload: $name', ({ payload }) => {
  test('zod rejects it', () => expect(EnqueuePayloadSchema.safeParse(payload).success).toBe(false));
  test('SQL rejects it', async () => expect((await sqlErrors(payload)).length).toBeGreaterThan(0));
});
