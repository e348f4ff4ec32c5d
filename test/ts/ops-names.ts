/** What the ops files may name: the series src/metrics.ts exports (histograms with their suffixes). */
import { Pool } from 'pg';
import { Metrics } from '../../src/metrics';

export async function exportedSeriesNames(): Promise<Set<string>> {
  const pool = new Pool(); // never connects: only the registry's metric names are read, nothing is collected
  try {
    const names = new Set<string>();
    for (const m of new Metrics(pool).registry.getMetricsAsArray()) {
      names.add(m.name);
      if (String(m.type) === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(m.name + s);
      if (String(m.type) === 'summary') for (const s of ['_sum', '_count']) names.add(m.name + s);
    }
    return names;
  } finally {
    await pool.end();
  }
}

/** Metric names in a PromQL expression: identifiers not followed by '(' and not a keyword, label or duration. */
export function metricNamesIn(expr: string): string[] {
  const withoutStrings = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""').replace(/\{[^}]*\}/g, '{}').replace(/\[[^\]]*\]/g, '[]')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '');
  const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'inf', 'nan']);
  return [...withoutStrings.matchAll(/\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()/g)].map((m) => m[1]!)
    .filter((n) => !KEYWORDS.has(n.toLowerCase()) && !/^\d/.test(n));
}
