/** A minimal aligned-column text table (no dependency): header, rule, rows. */

/**
 * Text safe for a terminal: every control character but tab and newline (C0, DEL, C1) shown as \u00NN. Request ids and
 * budget scopes come from the application; raw, an escape sequence in one retitled or cleared the operator's terminal and
 * painted figures of its own (review of 2026-11-26). \u00NN is also JSON's own escape, so `--json` output stays valid JSON
 * with the same values (JSON.stringify leaves DEL and C1 raw).
 */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export interface Column {
  header: string;
  /** Numbers read best right-aligned. */
  align?: 'left' | 'right';
}

export function renderTable(columns: readonly Column[], rows: readonly (readonly string[])[]): string {
  if (rows.length === 0) return '(no rows)';
  const widths = columns.map((c, i) => Math.max(c.header.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    columns
      .map((c, i) => {
        const cell = cells[i] ?? '';
        const w = widths[i] ?? 0;
        return c.align === 'right' ? cell.padStart(w) : cell.padEnd(w);
      })
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
