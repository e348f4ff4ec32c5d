/**
 * Parameters written into a statement as SQL literals, so that a whole transaction (BEGIN, the
 * context, one call, COMMIT) goes to the server as ONE simple-protocol query: one round trip
 * instead of three (src/db/context.ts, `inOneTrip`). Only the value types our SQL API takes are
 * accepted; anything else throws before a byte is sent:
 *   null / undefined -> NULL;   string -> escapeLiteral (quotes and backslashes, E'' when needed; no NUL);
 *   finite integer or bigint -> digits;   boolean -> true / false;
 *   array of finite numbers -> an array literal ('{1,2.5,...}', typed by the statement's own cast).
 * Placeholders are $1..$N exactly as node-postgres takes them; the statement text itself must not
 * contain a `$` elsewhere (ours are fixed strings in src/db/ledger.ts).
 */

export type LiteralValue = string | number | bigint | boolean | null | undefined | readonly number[];

function literal(v: LiteralValue, escapeLiteral: (s: string) => string, n: number): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'string') {
    // A NUL would end the protocol's query string early (text cannot hold one anyway): refuse it here, by name.
    if (v.includes('\0')) throw new TypeError(`$${n}: a string with a NUL character cannot be sent as text`);
    return escapeLiteral(v);
  }
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new TypeError(`$${n}: ${v} is not a safe integer (pass fractions as an array or a string)`);
    return String(v);
  }
  if (Array.isArray(v)) {
    const items = v.map((x) => {
      if (typeof x !== 'number' || !Number.isFinite(x)) throw new TypeError(`$${n}: array items must be finite numbers`);
      return String(x);
    });
    return `'{${items.join(',')}}'`;
  }
  throw new TypeError(`$${n}: unsupported parameter type ${typeof v}`);
}

/** `text` with every $n replaced by the literal of params[n-1]; every placeholder must have a value and every value a placeholder. */
export function inlineParams(text: string, params: readonly LiteralValue[], escapeLiteral: (s: string) => string): string {
  const used = new Set<number>();
  const out = text.replace(/\$(\d+)/g, (_m, d: string) => {
    const n = Number(d);
    if (n < 1 || n > params.length) throw new RangeError(`placeholder $${n} has no parameter (${params.length} given)`);
    used.add(n);
    return literal(params[n - 1], escapeLiteral, n);
  });
  if (used.size !== params.length) throw new RangeError(`${params.length - used.size} parameter(s) without a placeholder`);
  return out;
}
