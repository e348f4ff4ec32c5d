/**
 * One HTML fragment per dashboard section, from the rows of its audit view. Every value is escaped
 * (esc) or is a number we formatted; raw figures ride along in data-* attributes for tests and
 * scripts that scrape the page.
 */
import { DRIFT_REPAIR } from '../audit/report';
import { capBar, lineChart, type Point } from './charts';
import { esc, pct, usd, usedPct, when } from './format';
import type { SectionName, SectionRows } from './queries';
import type { ReconciliationStatus } from './rows';

type Rows<K extends SectionName> = SectionRows[K];

function table(id: string, head: string[], body: string[], empty: string): string {
  if (body.length === 0) return `<p class="empty" id="${id}-empty">${esc(empty)}</p>`;
  return `<table id="${id}-table"><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${body.join('')}</tbody></table>`;
}

const money = (m: bigint | null) => (m === null ? '<td class="num">—</td>' : `<td class="num" data-micros="${m}">${esc(usd(m))}</td>`);
const cell = (v: unknown) => `<td>${esc(v ?? '—')}</td>`;

export function spendSection(rows: Rows<'spend'>): string {
  const scaleMax = rows.reduce((m, r) => {
    const used = r.spent_micros + r.held_micros;
    const top = r.cap_micros !== null && r.cap_micros > used ? r.cap_micros : used;
    return top > m ? top : m;
  }, 0n);
  const body = rows.map((r) => {
    const who = r.user_id === null ? 'tenant total' : `user ${r.user_id}`;
    // Each row is scaled to its own cap when it has one, so a user's bar is readable beside its tenant's.
    const own = r.cap_micros !== null && r.cap_micros > 0n ? (r.cap_micros > r.spent_micros + r.held_micros ? r.cap_micros : r.spent_micros + r.held_micros) : scaleMax;
    return `<tr class="${r.user_id === null ? 'tenant' : 'user'}" data-tenant="${esc(r.tenant_id)}" data-user="${esc(r.user_id ?? '')}">` +
      `${cell(r.tenant_id)}${cell(who)}${money(r.spent_micros)}${money(r.held_micros)}${money(r.cap_micros)}` +
      `<td class="num">${esc(pct(r.spent_micros + r.held_micros, r.cap_micros))}</td><td>${capBar(r.spent_micros, r.held_micros, r.cap_micros, own)}</td></tr>`;
  });
  return table('spend', ['tenant', 'who', 'spent', 'held', 'cap', 'used', 'against the cap (red line)'], body, 'No spend this month.');
}

/** A limit's figure in its unit: money as dollars, anything else as the number and its unit (no unit known: the number). */
function inUnit(value: string | null, unit: string | null): string {
  if (value === null) return '—';
  if (unit === null) return value;
  return unit === 'micros' && /^-?\d+$/.test(value) ? usd(BigInt(value)) : `${value} ${unit}`;
}

const whole = (v: string | null) => (v !== null && /^-?\d+$/.test(v) ? BigInt(v) : null);

export function limitsSection(rows: Rows<'limits'>): string {
  const body = rows.map((r) => {
    const cap = whole(r.cap);
    const held = whole(r.held) ?? 0n;
    const spent = whole(r.spent) ?? 0n;
    const top = cap !== null && cap > held + spent ? cap : held + spent;
    const subject = r.budget_scope ?? r.user_id ?? r.tenant_id ?? 'everyone';
    return `<tr data-limit="${esc(r.limit_id ?? '')}" data-meter="${esc(r.meter_name)}" data-subject="${esc(subject)}">${cell(r.meter_name)}${cell(r.scope)}` +
      `${cell(subject)}${cell(r.kind)}<td class="num">${esc(inUnit(r.spent, r.unit))}</td><td class="num">${esc(inUnit(r.held, r.unit))}</td>` +
      `<td class="num">${esc(inUnit(r.cap, r.unit))}</td><td class="num used">${r.used_pct === null ? '' : esc(usedPct(r.used_pct))}</td>` +
      `<td>${capBar(spent, held, cap, top)}</td>${cell(`${when(r.period_start)} → ${r.period_end ? when(r.period_end) : '…'}`)}</tr>`;
  });
  return table('limits', ['limit', 'scope', 'subject', 'kind', 'used', 'held', 'cap', 'used %', 'against the cap', 'period'], body,
    'No current limit period (or this schema has no llm.limit_usage).');
}

/** 48 hourly points ending at the current hour; hours without a row are zero. */
export function hourlyPoints(rows: Rows<'hourly'>, now: Date): Point[] {
  const byHour = new Map<number, bigint>();
  for (const r of rows) byHour.set(r.hour_start.getTime(), (byHour.get(r.hour_start.getTime()) ?? 0n) + r.spent_micros);
  const current = Math.floor(now.getTime() / 3_600_000) * 3_600_000;
  return Array.from({ length: 48 }, (_, i) => {
    const at = current - (47 - i) * 3_600_000;
    return { at: new Date(at), value: byHour.get(at) ?? 0n };
  });
}

export function hourlySection(rows: Rows<'hourly'>, now: Date): string {
  const total = rows.reduce((s, r) => s + r.spent_micros, 0n);
  const calls = rows.reduce((s, r) => s + r.calls, 0n);
  const body = rows.filter((r) => r.spent_micros > 0n || r.calls > 0n)
    .map((r) => `<tr data-tenant="${esc(r.tenant_id)}">${cell(when(r.hour_start))}${cell(r.tenant_id)}${money(r.spent_micros)}<td class="num">${esc(r.calls)}</td></tr>`);
  return `<p id="hourly-total" data-micros="${total}" data-calls="${calls}">Last 48 hours: <b>${esc(usd(total))}</b> in ${esc(calls)} calls.</p>` +
    lineChart(hourlyPoints(rows, now)) +
    `<details><summary>hours with spend</summary>${table('hourly', ['hour', 'tenant', 'spent', 'calls'], body, 'No spend in the last 48 hours.')}</details>`;
}

export function refusalsSection(rows: Rows<'refusals'>): string {
  const body = rows.map((r) => `<tr data-tenant="${esc(r.tenant_id)}" data-reason="${esc(r.reason)}">${cell(r.reason)}${cell(r.tenant_id)}<td class="num refusals">${esc(r.refusals)}</td></tr>`);
  return table('refusals', ['reason', 'tenant', 'refusals this month'], body, 'No refusals this month.');
}

export function holdsSection(rows: Rows<'holds'>): string {
  const body = rows.map((r) => `<tr class="${r.overdue ? 'overdue' : ''}" data-tenant="${esc(r.tenant_id)}" data-request="${esc(r.request_id)}">` +
    `${cell(r.tenant_id)}${cell(r.user_id)}${cell(r.request_id)}${cell(r.endpoint)}${cell(r.attempt_no)}${cell(r.model_ref)}` +
    `${money(r.held_micros)}${cell(when(r.reserved_at))}${cell(when(r.expires_at))}${cell(r.overdue ? 'OVERDUE' : '')}</tr>`);
  const note = rows.length >= 200 ? '<p>Showing the 200 holds that expire first.</p>' : '';
  return note + table('holds', ['tenant', 'user', 'request', 'endpoint', 'attempt', 'model', 'held', 'reserved', 'expires', ''], body, 'No open holds.');
}

export function shutoffsSection(rows: Rows<'shutoffs'>): string {
  const body = rows.map((r) => `<tr class="${r.active ? 'active' : 'upcoming'}" data-id="${r.id}">` +
    `${cell(r.active ? 'ACTIVE' : 'scheduled')}${cell(r.scope)}${cell(r.tenant_id)}${cell(r.user_id)}${cell(r.kind)}` +
    `${cell(when(r.starts_at))}${cell(r.ends_at ? when(r.ends_at) : 'until cancelled')}${cell(r.reason)}${cell(r.created_by)}</tr>`);
  return table('shutoffs', ['status', 'scope', 'tenant', 'user', 'kind', 'starts', 'ends', 'reason', 'by'], body, 'No active or scheduled shutoff window.');
}

export function breakersSection(rows: Rows<'breakers'>): string {
  const body = rows.map((r) => `<tr class="breaker-${esc(r.state)}" data-model="${esc(r.model_ref)}">${cell(r.model_ref)}` +
    `<td class="state">${esc(r.state)}</td><td class="num">${esc(r.consecutive_failures)}</td>${cell(when(r.open_until))}` +
    `<td class="num">${esc(r.opened_count)}</td>${cell(when(r.last_failure_at))}${cell(when(r.last_success_at))}</tr>`);
  return table('breakers', ['model', 'state', 'consecutive failures', 'open until', 'times opened', 'last failure', 'last success'], body, 'No breaker has recorded a call yet.');
}

/** Why a model was refused or fell back (breaker_open), and when it recovered: every state change, newest first. */
export function transitionsSection(rows: Rows<'transitions'>): string {
  const body = rows.map((r) => `<tr class="breaker-${esc(r.to_state)}" data-id="${r.id}" data-model="${esc(r.model_ref)}">${cell(when(r.changed_at))}` +
    `${cell(r.model_ref)}<td class="change">${esc(r.from_state)} → ${esc(r.to_state)}</td><td class="cause">${esc(r.cause)}</td>` +
    `<td class="num">${esc(r.consecutive_failures)}</td>${cell(when(r.open_until))}` +
    `${cell(r.streak_tenant_id === null ? null : `${r.streak_tenant_id}${r.streak_tenants_many ? ' and others' : ''}`)}` +
    `${cell(r.call_tenant_id)}${cell(r.changed_by)}</tr>`);
  const note = rows.length >= 200 ? '<p>Showing the newest 200 (<code>npm run audit -- transitions</code> lists a whole month).</p>' : '';
  return note + table('transitions', ['changed', 'model', 'change', 'cause', 'consecutive failures', 'open until', 'streak began with tenant',
    'call of tenant', 'by'], body, 'No breaker changed state in the last 7 days.');
}

export function alertsSection(rows: Rows<'alerts'>): string {
  const body = rows.map((r) => `<tr data-id="${r.id}">${cell(when(r.fired_at))}<td class="num">${esc(r.threshold_pct)} %</td>` +
    `${cell(r.meter_name)}${cell(r.tenant_id)}${cell(r.user_id)}${cell(r.budget_scope)}<td class="num">${esc(r.used)} / ${esc(r.cap)} ${esc(r.unit)}</td>${cell(when(r.period_start))}</tr>`);
  return table('alerts', ['fired', 'threshold', 'limit', 'tenant', 'user', 'scope', 'used / cap', 'period'], body, 'No alert fired this month.');
}

/**
 * Every page's banner, from the worker's last scheduled check (llm.reconciliation_status): a red banner when it found
 * drift, and a line saying when it ran (or that none has). `drift`: the /drift link, escaped (page.ts link()).
 */
export function checkBanner(status: ReconciliationStatus | null, drift: string): string {
  const line = status === null
    ? `<p id="reconciliation-check">Reconciliation: no scheduled check has run yet (the worker's cron runs it every 5 minutes; ` +
      `<code>npm run audit -- drift</code> reads the ledger now).</p>`
    : `<p id="reconciliation-check" data-age-seconds="${Math.round(status.age_seconds)}">Reconciliation: last checked ${esc(when(status.checked_at))}, ` +
      `${esc(status.drift_rows)} drift row(s) (<a href="${drift}">details</a>).</p>`;
  if (status === null || status.drift_rows === 0n) return line;
  return `<div id="drift-banner" role="alert" data-rows="${esc(status.drift_rows)}">RECONCILIATION DRIFT: ${esc(status.drift_rows)} ` +
    `row(s) where the usage counters and the ledger disagree, at the check of ${esc(when(status.checked_at))}. Investigate before trusting any figure below.</div>${line}`;
}

/**
 * The rows the last scheduled check kept (the first 200 of llm.reconciliation_drift, llm.reconciliation_checked_drift), with
 * the check's time and its full count.
 */
export function driftSection(rows: Rows<'drift'>, status: ReconciliationStatus | null): string {
  const readNow = '<code>npm run audit -- drift</code>';
  if (status === null) return `<p class="empty" id="drift-unchecked">No scheduled reconciliation check has run yet: ${readNow} reads the ledger now.</p>`;
  const at = `At the check of ${esc(when(status.checked_at))}: ${esc(status.drift_rows)} row(s)`;
  if (status.drift_rows_kept === null && status.drift_rows > 0n) {
    // A check from before migration 000041 kept no rows: not "no drift" under a count that says otherwise (review of 410deda).
    return `<p id="drift-check" data-rows="${esc(status.drift_rows)}" data-kept="">${at}; that check kept none (it ran before the ` +
      `checks kept their rows): ${readNow} lists them, read now.</p>`;
  }
  const body = rows.map((r) => `<tr>${cell(r.kind)}${cell(r.tenant_id)}${cell(r.meter_name)}${cell(r.user_id)}${cell(r.budget_scope)}` +
    `${cell(when(r.period_start))}<td class="num">${esc(r.shard ?? '—')}</td><td class="num">${esc(inUnit(r.usage_value, r.unit))}</td>` +
    `<td class="num">${esc(inUnit(r.ledger_value, r.unit))}</td></tr>`);
  const head = `<p id="drift-check" data-rows="${esc(status.drift_rows)}" data-kept="${rows.length}">${at}` +
    `${Number(status.drift_rows) > rows.length ? `, the first ${rows.length} listed (${readNow} lists every one, read now)` : ''}.</p>`;
  const repair = rows.length > 0 ? `<p id="drift-repair">${esc(DRIFT_REPAIR[0]!.toUpperCase() + DRIFT_REPAIR.slice(1))}.</p>` : '';
  return head + repair + table('drift', ['kind', 'tenant', 'meter', 'user', 'scope', 'period', 'shard', 'usage', 'ledger'], body,
    'No drift: usage counters match the ledger.');
}

export function scopesSection(rows: Rows<'scopes'>): string {
  const body = rows.map((r) => `<tr class="scope-${esc(r.state)}" data-tenant="${esc(r.tenant_id)}" data-scope="${esc(r.budget_scope)}">` +
    `${cell(r.budget_scope)}${cell(r.tenant_id)}${cell(r.endpoint)}<td class="num">${esc(r.calls)}${r.calls_cap === null ? '' : ` / ${esc(r.calls_cap)}`}</td>` +
    `${money(r.spent_micros)}${money(r.held_micros)}${money(r.cap_micros)}${cell(when(r.deadline_at))}${cell(r.state)}</tr>`);
  const note = rows.length >= 200
    ? '<p>Showing the first 200: open ones first, nearest deadline first (<code>llm.budget_scopes_page</code> lists the next ones; <code>npm run audit -- scopes</code> a whole month).</p>'
    : '';
  return note + table('scopes', ['scope', 'tenant', 'endpoint', 'calls', 'spent', 'held', 'cap', 'deadline', 'state'], body, 'No budget scope.');
}
