/**
 * The SQLSTATEs our SQL raises, mirrored from sql/api/ and migrations/ (grep for `errcode`); the
 * README's "Errors" table says what each means for a caller. Budget refusals are not errors:
 * llm.reserve_call returns them as decisions. LG003 (0.1's "only grows" rollups) is retired.
 */
export const SQLSTATE = {
  /** No valid context (a bad or expired token, no tenant+user), or a role that may not do this. */
  insufficientPrivilege: '42501',
  /** A bad argument or payload; DETAIL says which. */
  invalidParameter: '22023',
  /** The row (request, attempt, tenant, meter) does not exist or is not visible in this context. */
  notFound: 'P0002',
  /** An internal invariant failed (a bug), e.g. an attempt whose usage row is missing. */
  assertFailure: 'P0004',
  /** Not in the required state: a request that already has its job, a pgvector lookup without its index. */
  objectNotInPrerequisiteState: '55000',
  /** A CHECK constraint: a value out of its range (a cap, a window longer than 92 days). */
  checkViolation: '23514',
  /** A duplicate key, e.g. a different price already starts at that instant. */
  uniqueViolation: '23505',
  /** A reference to a row that does not exist, e.g. a price for an unknown model. */
  foreignKeyViolation: '23503',
  /** Text that is not a value of its type, e.g. an unknown scope, window, unit or kind. */
  invalidTextRepresentation: '22P02',
  /** Immutable: an attempt's decision and hold, a usage row's key, a request's identity, job or inputs. */
  immutable: 'LG001',
  /** An illegal state transition (attempts, requests, shutoff windows; final states are final). */
  illegalTransition: 'LG002',
  /** A ledger row inserted in other than its initial state (a usage row is born empty). */
  notInitialState: 'LG004',
  /** Usage, the shared breaker or a tripped window moved without the ledger row that justifies it. */
  ledgerOnly: 'LG005',
  /** Ledger rows are never deleted (nor adjustments changed): retention drops whole partitions. */
  neverDeleted: 'LG006',
  /** A row that must belong to another of the same tenant and user (outputs, traces, inputs, cache entries). */
  belongsTo: 'LG007',
  /** The (tenant, request_id, endpoint) key is claimed with other parameters or by another user. */
  conflict: 'LG409',
  /** A claim in a REPEATABLE READ or SERIALIZABLE transaction: enqueue under READ COMMITTED. */
  featureNotSupported: '0A000',
} as const;

export type SqlState = (typeof SQLSTATE)[keyof typeof SQLSTATE];

/** The SQLSTATE of a node-postgres error, if it is one. */
export function sqlState(e: unknown): string | null {
  return typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string'
    ? (e as { code: string }).code
    : null;
}
