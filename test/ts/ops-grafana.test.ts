/**
 * ops/grafana/pg-llm-governor.json: an importable dashboard whose every query names a metric that
 * src/metrics.ts exports or an audit view of SPEC.md, and never a view or table holding prompts or
 * outputs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AUDIT_FUNCTIONS, AUDIT_VIEWS, FORBIDDEN_VIEWS } from '../../src/dashboard/queries';
import { exportedSeriesNames, metricNamesIn } from './ops-names';

interface Target { datasource: { type: string; uid: string }; expr?: string; rawSql?: string; format?: string }
interface Panel { id: number; type: string; title: string; datasource?: { type: string; uid: string }; targets?: Target[] }

const dashboard = JSON.parse(readFileSync(join(__dirname, '..', '..', 'ops', 'grafana', 'pg-llm-governor.json'), 'utf8'));
const panels: Panel[] = dashboard.panels.filter((p: Panel) => p.type !== 'row');
const targets = panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, ...t })));
const promTargets = targets.filter((t) => t.datasource.type === 'prometheus');
const sqlTargets = targets.filter((t) => t.datasource.type === 'grafana-postgresql-datasource');

/** llm.<name> references in SQL. */
const viewsIn = (sql: string) => [...sql.matchAll(/\bllm\.([a-z_]+)/g)].map((m) => m[1]!);

test('an importable dashboard: schema version, uid, data source inputs, unique panel ids', () => {
  expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
  expect(dashboard.uid).toBe('pg-llm-governor');
  expect(dashboard.__inputs.map((i: { name: string; pluginId: string }) => [i.name, i.pluginId]))
    .toEqual([['DS_PROMETHEUS', 'prometheus'], ['DS_LLM_AUDIT', 'grafana-postgresql-datasource']]);
  const ids = dashboard.panels.map((p: Panel) => p.id);
  expect(new Set(ids).size).toBe(ids.length);
  for (const p of panels) {
    expect(p.targets?.length ?? 0).toBeGreaterThan(0);
    for (const t of p.targets!) expect(['${DS_PROMETHEUS}', '${DS_LLM_AUDIT}']).toContain(t.datasource.uid);
  }
  expect(promTargets.length + sqlTargets.length).toBe(targets.length);
});

test('every Prometheus query names only metrics we export (or up), and every exported llm_ metric has a panel', async () => {
  const exported = await exportedSeriesNames();
  const used = new Set<string>();
  for (const t of promTargets) {
    const names = metricNamesIn(t.expr!);
    expect(names.length).toBeGreaterThan(0);
    for (const n of names) {
      expect(n === 'up' || exported.has(n) ? n : `${n} in "${t.panel}" is not exported`).toBe(n);
      used.add(n.replace(/_(bucket|sum|count)$/, ''));
    }
  }
  const ours = [...exported].filter((n) => n.startsWith('llm_') && !n.startsWith('llm_worker_') && !/_(bucket|sum|count)$/.test(n));
  for (const n of ours) expect(used.has(n) ? n : `${n} has no panel`).toBe(n);
});

test('every SQL query reads only SPEC.md audit views, never prompts, outputs or private tables', () => {
  const audit = new Set<string>([...AUDIT_VIEWS, ...AUDIT_FUNCTIONS]);
  for (const t of [...sqlTargets.map((x) => x.rawSql!), dashboard.templating.list[0].query as string]) {
    const views = viewsIn(t);
    expect(views.length).toBeGreaterThan(0);
    for (const v of views) expect(audit.has(v) ? v : `llm.${v} is not an audit view of SPEC.md`).toBe(v);
    for (const f of FORBIDDEN_VIEWS) expect(t).not.toContain(f);
    expect(t).not.toMatch(/llm_private|graphile_worker|;/);
  }
  // The dashboard covers the audit views an operator needs.
  const covered = new Set(sqlTargets.flatMap((t) => viewsIn(t.rawSql!)));
  for (const v of ['monthly_spend', 'hourly_spend', 'refusals_by_reason', 'watched_open_holds', 'shutoff_windows', 'breaker_state', 'alerts',
    'reconciliation_status', 'reconciliation_checked_drift', 'budget_scopes_page', 'limit_usage', 'breaker_transitions']) expect(covered).toContain(v);
  // Not the drift view itself: it reads two months of the ledger, minutes at 10^7 calls a month, at every refresh.
  expect(covered).not.toContain('reconciliation_drift');
  // Nor the holds view: it reads every attempt of the retention; the panel lists the holds the sweep watches.
  expect(covered).not.toContain('open_holds');
  // Nor the budget scopes' view: 200 of it in any order but its index's computed every scope of the tenant first (14-19 s at
  // 5 * 10^4); the panel lists a page (llm.budget_scopes_page).
  expect(covered).not.toContain('budget_scopes');
});
