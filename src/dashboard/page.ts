/** The dashboard's HTML page: layout, navigation, tenant filter and the sections asked for. */
import { esc, when } from './format';
import type { SectionName, SectionRows } from './queries';
import type { ReconciliationStatus } from './rows';
import * as s from './sections';

export const TITLES: Record<SectionName, string> = {
  spend: 'Spend against caps, this month', limits: 'Every limit, current period', hourly: 'Spend per hour, last 48 hours', refusals: 'Refusals by reason, this month',
  holds: 'Open holds (those the expiry sweep watches; llm.open_holds lists every one)', shutoffs: 'Shutoff windows, active and scheduled', breakers: 'Provider breakers',
  transitions: 'Breaker state changes, last 7 days',
  alerts: 'Alerts fired this month', drift: 'Reconciliation drift', scopes: 'Budget scopes (investigations)',
};

export interface PageInput {
  /** The sections to show, in this order (the overview shows all). */
  show: SectionName[];
  data: Partial<SectionRows>;
  /** The newest scheduled reconciliation check (null: none yet): every page's banner, and the drift section's count. */
  reconciliation?: ReconciliationStatus | null;
  tenantId: string | null;
  /** Sections whose view this database lacks (not yet migrated to this release): said so instead of an empty table. */
  missing?: SectionName[];
  /** Passed on in links when the request carried it in the query string. */
  token: string | null;
  now: Date;
}

const CSS = `body{font:14px system-ui,sans-serif;margin:0 1.5em 2em;color:#222}h1{font-size:20px}h2{font-size:16px;margin-top:1.8em}
table{border-collapse:collapse}td,th{padding:3px 8px;border-bottom:1px solid #ddd;text-align:left;vertical-align:middle}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}tr.tenant td{font-weight:600}tr.overdue,tr.active,tr.breaker-open{background:#fde8e8}
tr.breaker-half_open{background:#fff5d6}nav a{margin-right:1em}.empty{color:#666}
#drift-banner{background:#c00;color:#fff;font-size:20px;font-weight:700;padding:16px;margin:12px 0}#reconciliation-check{color:#666}`;

function link(path: string, tenantId: string | null, token: string | null): string {
  const q = new URLSearchParams();
  if (tenantId) q.set('tenant', tenantId);
  if (token) q.set('token', token);
  const qs = q.toString();
  return esc(qs ? `${path}?${qs}` : path);
}

function tenantForm(input: PageInput): string {
  const tenants = new Set<string>();
  for (const r of input.data.spend ?? []) tenants.add(r.tenant_id);
  const options = [...tenants].map((t) => `<option value="${esc(t)}"></option>`).join('');
  const hidden = input.token ? `<input type="hidden" name="token" value="${esc(input.token)}">` : '';
  return `<form method="get" id="tenant-filter"><label>Tenant <input name="tenant" list="tenants" size="38" value="${esc(input.tenantId ?? '')}" ` +
    `placeholder="all tenants"></label><datalist id="tenants">${options}</datalist>${hidden} <button type="submit">Filter</button> ` +
    `<a href="${link('/', null, input.token)}">all tenants</a></form>`;
}

function sectionHtml(name: SectionName, input: PageInput): string {
  const d = input.data;
  switch (name) {
    case 'spend': return s.spendSection(d.spend ?? []);
    case 'limits': return s.limitsSection(d.limits ?? []);
    case 'hourly': return s.hourlySection(d.hourly ?? [], input.now);
    case 'refusals': return s.refusalsSection(d.refusals ?? []);
    case 'holds': return s.holdsSection(d.holds ?? []);
    case 'shutoffs': return s.shutoffsSection(d.shutoffs ?? []);
    case 'breakers': return s.breakersSection(d.breakers ?? []);
    case 'transitions': return s.transitionsSection(d.transitions ?? []);
    case 'alerts': return s.alertsSection(d.alerts ?? []);
    case 'drift': return s.driftSection(d.drift ?? [], input.reconciliation ?? null);
    case 'scopes': return s.scopesSection(d.scopes ?? []);
  }
}

export function renderPage(input: PageInput): string {
  const nav = (Object.keys(TITLES) as SectionName[]).map((n) => `<a href="${link(`/${n}`, input.tenantId, input.token)}">${esc(n)}</a>`).join('');
  const scope = input.tenantId ? `tenant ${input.tenantId}` : 'all tenants';
  const body = input.show.map((n) => `<section id="${n}"><h2>${esc(TITLES[n])}</h2>${(input.missing ?? []).includes(n)
    ? `<p class="empty" id="${n}-missing">This database has no view for this section yet: it is not migrated to this release ` +
      `(<code>npm run migrate</code>).</p>`
    : sectionHtml(n, input)}</section>`).join('\n');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">` +
    `<title>LLM spend: ${esc(scope)}</title><style>${CSS}</style></head><body>` +
    `<h1>LLM spend and governance <small>(${esc(scope)}, read at ${esc(when(input.now))}, read-only)</small></h1>` +
    `<nav><a href="${link('/', input.tenantId, input.token)}">overview</a>${nav}</nav>${tenantForm(input)}` +
    `${s.checkBanner(input.reconciliation ?? null, link('/drift', input.tenantId, input.token))}\n${body}\n</body></html>`;
}
