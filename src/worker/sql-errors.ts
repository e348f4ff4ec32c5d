/**
 * How the worker treats an error raised by our SQL: logged with everything Postgres said (SQLSTATE,
 * DETAIL, HINT, WHERE), and classified. Permanent errors are those a retry cannot fix (bad input,
 * forbidden, not found, our own LG* codes, assertion failures): the task records the failure in our
 * tables and returns. Everything else (connection loss, timeouts, serialization failures,
 * deadlocks, resource exhaustion) is transient: the task throws and graphile-worker retries.
 */
import { sqlState } from '../errors';

export interface SqlErrorInfo {
  code: string;
  message: string;
  detail?: string;
  hint?: string;
  where?: string;
  /** `schema.table.column` / constraint when Postgres names them. */
  constraint?: string;
}

const PERMANENT_CODES = new Set(['42501', '22023', 'P0002', 'P0004']);
const PERMANENT_CLASSES = ['22', '23', '42', 'LG'];

/** A Postgres error (node-postgres DatabaseError: a SQLSTATE and a severity), not a socket error such as ECONNRESET. */
function isDatabaseError(e: unknown): boolean {
  const code = sqlState(e);
  return code !== null && /^[0-9A-Z]{5}$/.test(code) && typeof (e as { severity?: unknown }).severity === 'string';
}

export function sqlErrorInfo(e: unknown): SqlErrorInfo | null {
  if (!isDatabaseError(e)) return null;
  const code = sqlState(e)!;
  const x = e as { message?: string; detail?: string; hint?: string; where?: string; constraint?: string };
  const info: SqlErrorInfo = { code, message: String(x.message ?? '') };
  if (x.detail) info.detail = x.detail;
  if (x.hint) info.hint = x.hint;
  if (x.where) info.where = x.where.slice(0, 500);
  if (x.constraint) info.constraint = x.constraint;
  return info;
}

/** True when a retry cannot help (42501, 22023, P0002, LG*, and the data/integrity/syntax classes). */
export function isPermanentSqlError(e: unknown): boolean {
  if (!isDatabaseError(e)) return false;
  const code = sqlState(e)!;
  return PERMANENT_CODES.has(code) || PERMANENT_CLASSES.includes(code.slice(0, 2));
}

/** Log fields for any error: the SQL facts when it is one, else name and message. */
export function errorFields(e: unknown): Record<string, unknown> {
  const sql = sqlErrorInfo(e);
  if (sql) return { sqlstate: sql.code, error: sql.message, detail: sql.detail, hint: sql.hint, where: sql.where, constraint: sql.constraint };
  const err = e as { name?: string; message?: string };
  return { error: err?.message ?? String(e), error_name: err?.name };
}
