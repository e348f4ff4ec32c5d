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
  expect(r.output).toContain('SUCCESS: 14 rules found');
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
    'LlmReconciliationDrift', 'LlmReconciliationUnchecked', 'LlmPartitionsNotMaintained', 'LlmPartitionsRunOut', 'LlmRoleSettingsDrift',
    'LlmHoldsOverdue', 'LlmQueueDepthGrowing', 'LlmJobsLockedByGoneWorker', 'LlmMetricsUnreadable']);
  const tests = readFileSync(join(DIR, 'alerts.test.yml'), 'utf8');
  const firing = [...tests.matchAll(/alertname:\s*(\S+)\s*\n\s*exp_alerts:\s*\n\s*- exp_labels/g)].map((m) => m[1]);
  for (const n of names) expect(firing).toContain(n);
});

test('spend alerts read the used-ratio gauge, so they stay firing while spend stays above the threshold', () => {
  const spend = [...rules.matchAll(/- alert: (LlmSpendAbove(\d+)PctOfCap)\n\s+expr:\s*(.+)$/gm)].map((m) => ({ name: m[1], pct: m[2], expr: m[3]!.trim() }));
  expect(spend.map((r) => r.name)).toEqual(['LlmSpendAbove80PctOfCap', 'LlmSpendAbove95PctOfCap']);
  for (const r of spend) {
    expect(r.expr).toBe(`max by (scope) (llm_limit_used_ratio_max{scope=~"global|tenant|user"}) >= ${Number(r.pct) / 100}`);
    expect(r.expr).not.toMatch(/increase\(|_total/); // a counter's increase() resolves once the crossing is older than its window
  }
  // The unit test checks the 80 % alert still firing more than an hour after the crossing.
  const tests = readFileSync(join(DIR, 'alerts.test.yml'), 'utf8');
  expect(tests).toMatch(/eval_time: 65m\n\s+alertname: LlmSpendAbove80PctOfCap\n\s+exp_alerts:\n\s+- exp_labels: \{ severity: warning, scope: tenant \}/);
});

test('every metric the rules read is exported by src/metrics.ts (or is Prometheus\'s up)', async () => {
  const exported = await exportedSeriesNames();
  const used = new Set(exprs.flatMap(metricNamesIn));
  expect(used.size).toBeGreaterThanOrEqual(6);
  for (const name of used) expect(name === 'up' || exported.has(name) ? name : `${name} (not exported)`).toBe(name);
});

test('LlmMetricsUnreadable names the role the workers read their metrics as', () => {
  // src/worker/runtime.ts gives Metrics the worker's own pool (llm_worker) and no auditPool, so the views are read as
  // llm_operator (src/metrics.ts); were it given an auditPool, they would be read as llm_viewer.
  const runtime = readFileSync(join(__dirname, '..', '..', 'src', 'worker', 'runtime.ts'), 'utf8');
  const construction = runtime.match(/new Metrics\(([^)]*)\)/);
  expect(construction).not.toBeNull();
  const [reads, not] = construction![1]!.includes('auditPool') ? ['llm_viewer', 'llm_operator'] : ['llm_operator', 'llm_viewer'];
  const rule = rules.slice(rules.indexOf('- alert: LlmMetricsUnreadable'));
  const description = rule.match(/description: "(.*)"/)![1]!;
  expect(description).toContain(`${reads} (the workers read the audit views as ${reads}`);
  expect(description).not.toContain(not);
});
