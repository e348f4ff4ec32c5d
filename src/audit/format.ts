/**
 * Formatting for the audit CLI. Money stays bigint micro-USD end to end: no float ever touches it.
 */

const MICROS_PER_USD = 1_000_000n;
const NIL_UUID = '00000000-0000-0000-0000-000000000000';

/** 25000000n -> '25.000000'; -1n -> '-0.000001'. Bigint arithmetic only. */
export function formatUsd(micros: bigint): string {
  const sign = micros < 0n ? '-' : '';
  const abs = micros < 0n ? -micros : micros;
  return `${sign}${abs / MICROS_PER_USD}.${(abs % MICROS_PER_USD).toString().padStart(6, '0')}`;
}

/** part / whole as a percentage with two decimals, rounded half up; '-' when whole is 0 or unknown. */
export function formatPercent(part: bigint, whole: bigint | null): string {
  if (whole === null || whole <= 0n) return '-';
  const neg = part < 0n;
  const hundredths = ((neg ? -part : part) * 20000n / whole + 1n) / 2n;
  return `${neg ? '-' : ''}${hundredths / 100n}.${(hundredths % 100n).toString().padStart(2, '0')}%`;
}

/** '2026-03-15 10:30:00Z' (UTC, to the second). */
export function formatTimestamp(d: Date | null): string {
  return d === null ? '-' : d.toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
}

/** '2026-03' for the UTC month containing d. */
export function formatMonth(d: Date): string {
  return d.toISOString().slice(0, 7);
}

/** A uuid, or '-' for none (NULL, or the nil uuid the ledger uses for "all"). */
export function formatId(id: string | null): string {
  return id === null || id === NIL_UUID ? '-' : id;
}

export function formatBool(b: boolean | null): string {
  return b === null ? '-' : b ? 'yes' : 'no';
}

/** JSON.stringify replacer: bigints as decimal strings (Dates already become ISO strings). */
export function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

export function toJson(value: unknown): string {
  return JSON.stringify(value, jsonReplacer, 2);
}
