/** The markdown table. */

export interface Row {
  measurement: string;
  clients: string;
  ours: string;
  baseline: string;
  ratio: string;
  notes: string;
}

const esc = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function markdownTable(rows: Row[]): string {
  const head = '| Measurement | Clients | Ours | Baseline (same run) | Ratio | Notes |';
  const sep = '|---|---:|---:|---:|---:|---|';
  const body = rows.map(
    (r) => `| ${esc(r.measurement)} | ${esc(r.clients)} | ${esc(r.ours)} | ${esc(r.baseline)} | ${esc(r.ratio)} | ${esc(r.notes)} |`,
  );
  return [head, sep, ...body].join('\n');
}

export const fmt = (n: number, digits = 0): string =>
  Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : 'n/a';

export const ratio = (a: number, b: number): string => (b > 0 && Number.isFinite(a) ? (a / b).toFixed(2) : 'n/a');
