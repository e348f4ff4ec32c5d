/** Escaping and number formats for the dashboard's HTML and JSON. Money never passes through a float. */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for an HTML element or a quoted attribute (every string the page shows goes through here). */
export function esc(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (ch) => ESCAPES[ch]!);
}

function groupThousands(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Micro-USD as exact dollars: 12500000n -> "$12.50", 123n -> "$0.000123", -1500000n -> "-$1.50". */
export function usd(micros: bigint): string {
  const sign = micros < 0n ? '-' : '';
  const abs = micros < 0n ? -micros : micros;
  const whole = groupThousands((abs / 1_000_000n).toString());
  let frac = (abs % 1_000_000n).toString().padStart(6, '0').replace(/0+$/, '');
  if (frac.length < 2) frac = frac.padEnd(2, '0');
  return `${sign}$${whole}.${frac}`;
}

/** A timestamp as ISO 8601 UTC to the second, or an em dash. */
export function when(d: Date | null): string {
  return d ? d.toISOString().replace(/\.\d{3}Z$/, 'Z') : '—';
}

/**
 * A percentage of a cap with one decimal, or an empty string without a cap. A cap of 0 is passed by any use (∞ %, as the
 * views' used_pct reads it: Infinity) and not by none (0.0 %).
 */
export function pct(used: bigint, cap: bigint | null): string {
  if (cap === null || cap < 0n) return '';
  if (cap === 0n) return usedPct(used > 0n ? Infinity : 0);
  return usedPct(Number((used * 100_000n) / cap) / 1000); // rounded to 0.1, as the views' used_pct
}

/** A used percentage (llm.limit_usage.used_pct) with one decimal; Infinity (a cap of 0 with use) as ∞ %. */
export function usedPct(p: number): string {
  return p === Infinity ? '∞ %' : `${p.toFixed(1)} %`;
}

/** JSON with bigint as decimal strings and dates as ISO strings (what node-postgres would give for the view). */
export function toJson(value: unknown): string {
  // +Infinity (a used_pct at a cap of 0 with use) as "Infinity", as node-postgres gives it: JSON has no infinity, and its null
  // would read as "no cap".
  return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v === Infinity ? 'Infinity' : v), 2);
}
