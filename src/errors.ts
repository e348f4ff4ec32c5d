/**
 * The SQLSTATEs our SQL raises, mirrored from sql/ and migrations/ (grep for `errcode`).
 * Budget refusals are not errors: llm.reserve_call returns them as decisions.
 */
export const SQLSTATE = {
  /** No or mismatched tenant/user context, or a role that may not do this. */
  insufficientPrivilege: '42501',
  /** A bad argument or payload; DETAIL says which. */
  invalidParameter: '22023',
  /** The row (tenant, reservation) does not exist or is not visible in this context. */
  notFound: 'P0002',
  /** A different price already starts at that instant. */
  uniqueViolation: '23505',
  /** A reservation's hold or a claim's identity is immutable. */
  immutable: 'LG001',
  /** An illegal state transition (settled and released are final; done is final). */
  illegalTransition: 'LG002',
  /** A rollup's spend only grows; a claim's spend and attempts only grow. */
  onlyGrows: 'LG003',
  /** A ledger row inserted in other than its initial state. */
  notInitialState: 'LG004',
} as const;

export type SqlState = (typeof SQLSTATE)[keyof typeof SQLSTATE];

/** The SQLSTATE of a node-postgres error, if it is one. */
export function sqlState(e: unknown): string | null {
  return typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string'
    ? (e as { code: string }).code
    : null;
}
