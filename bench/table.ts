/**
 * The report's tables. GoalRow is the one table of `npm run bench` (goal | measurement | ours |
 * baseline | ratio | target | met?). Row and markdownTable are the older, goal-less shape that
 * other modules still return (bench/semantic.ts); run.ts converts them.
 */

export interface GoalRow {
  goal: string;
  measurement: string;
  ours: string;
  baseline: string;
  ratio: string;
  target: string;
  /** 'yes', 'NO', or '–' when the row has no target of its own (reported only, or not measured). */
  met: string;
}

export interface Row {
  measurement: string;
  clients: string;
  ours: string;
  baseline: string;
  ratio: string;
  notes: string;
}

const esc = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function goalTable(rows: GoalRow[]): string {
  const head = '| goal | measurement | ours | baseline (same run) | ratio | target | met? |';
  const sep = '|---|---|---:|---:|---:|---|:---:|';
  const body = rows.map((r) =>
    `| ${esc(r.goal)} | ${esc(r.measurement)} | ${esc(r.ours)} | ${esc(r.baseline)} | ${esc(r.ratio)} | ${esc(r.target)} | ${esc(r.met)} |`);
  return [head, sep, ...body].join('\n');
}

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

/** 'yes' / 'NO' for a figure against a bound; '–' when the figure is missing. */
export function met(value: number, bound: number, kind: '>=' | '<='): string {
  if (!Number.isFinite(value)) return '–';
  return (kind === '>=' ? value >= bound : value <= bound) ? 'yes' : 'NO';
}

export const ms = (n: number, digits = 2): string => (Number.isFinite(n) ? `${n.toFixed(digits)} ms` : 'n/a');
