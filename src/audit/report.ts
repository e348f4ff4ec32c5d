/** Rows of each audit command rendered as an aligned text table (money in USD, 6 decimals). */
import { formatBool, formatId, formatMonth, formatPercent, formatTimestamp, formatUsd } from './format';
import type { AlertRow, BreakerRow, DecisionRow, DriftRow, HoldRow, LimitRow, RefusalRow, ScopeRow, ShutoffRow, SpendRow, TransitionRow } from './queries';
import { type Column, renderTable } from './table';

const usd = (v: bigint | null) => (v === null ? '-' : formatUsd(v));
const left = (header: string): Column => ({ header });
const right = (header: string): Column => ({ header, align: 'right' });

/** An amount in its meter's unit: micro-USD as USD, anything else (tokens, input_tokens, output_tokens, calls, elapsed_ms) as the integer it is. */
function amount(v: bigint | null, unit: string | null): string {
  if (v === null) return '-';
  return unit === 'micros' ? formatUsd(v) : v.toString();
}
const unitLabel = (unit: string | null) => (unit === null ? '-' : unit === 'micros' ? 'USD' : unit);

/** Who a limit applies to: tenant / user / budget scope, or 'global'. */
function subject(r: { tenant_id: string | null; user_id: string | null; budget_scope: string | null }): string {
  const parts = [r.tenant_id, r.user_id, r.budget_scope].filter((p): p is string => p !== null);
  return parts.length === 0 ? 'global' : parts.join(' / ');
}

export function spendTable(rows: SpendRow[], month: Date): string {
  const table = renderTable(
    [left('tenant'), left('user'), right('cap USD'), right('spent USD'), right('held USD'), right('remaining USD'), right('% used')],
    rows.map((r) => [r.tenant_id, formatId(r.user_id), usd(r.cap_micros), formatUsd(r.spent_micros), formatUsd(r.held_micros),
      r.cap_micros === null ? '-' : formatUsd(r.cap_micros - r.spent_micros - r.held_micros),
      formatPercent(r.spent_micros + r.held_micros, r.cap_micros)]),
  );
  return `monthly spend ${formatMonth(month)} (UTC); user '-' = the tenant's total; spent = charges + adjustments; % used = (spent + held) / cap\n${table}`;
}

export function refusalsTable(rows: RefusalRow[], month: Date): string {
  const table = renderTable(
    [left('tenant'), left('reason'), right('refusals')],
    rows.map((r) => [r.tenant_id, r.reason, r.refusals.toString()]),
  );
  return `refusals ${formatMonth(month)} (UTC)\n${table}`;
}

export function limitsTable(rows: LimitRow[]): string {
  const table = renderTable(
    [left('meter'), left('scope'), left('window'), left('unit'), left('subject'), left('period start'), left('period end'),
      right('cap'), left('kind'), right('held'), right('spent'), right('used %')],
    rows.map((r) => [r.meter_name, r.scope, r.window, unitLabel(r.unit), subject(r), formatTimestamp(r.period_start),
      formatTimestamp(r.period_end), amount(r.cap, r.unit), r.kind ?? '-', amount(r.held, r.unit), amount(r.spent, r.unit),
      r.used_pct === null ? '-' : `${r.used_pct}%`]),
  );
  return `limits, current periods; used % = (held + spent) / cap (Infinity: a cap of 0 with anything held or spent); period end '-' = open-ended\n${table}`;
}

export function alertsTable(rows: AlertRow[], month: Date): string {
  const table = renderTable(
    [right('id'), left('fired at'), left('meter'), left('subject'), left('period start'), right('threshold'), right('used'),
      right('cap'), left('unit')],
    rows.map((r) => [r.id.toString(), formatTimestamp(r.fired_at), r.meter_name, subject(r), formatTimestamp(r.period_start),
      `${r.threshold_pct}%`, amount(r.used, r.unit), amount(r.cap, r.unit), unitLabel(r.unit)]),
  );
  return `alerts fired ${formatMonth(month)} (UTC)\n${table}`;
}

export function scopesTable(rows: ScopeRow[], month: Date): string {
  const table = renderTable(
    [left('tenant'), left('budget scope'), left('endpoint'), left('started at'), left('deadline at'), right('calls'),
      right('calls cap'), right('spent USD'), right('held USD'), right('cap USD'), left('state')],
    rows.map((r) => [r.tenant_id, r.budget_scope, r.endpoint ?? '-', formatTimestamp(r.started_at), formatTimestamp(r.deadline_at),
      r.calls.toString(), r.calls_cap === null ? '-' : r.calls_cap.toString(), formatUsd(r.spent_micros), formatUsd(r.held_micros),
      usd(r.cap_micros), r.state]),
  );
  return `budget scopes started ${formatMonth(month)} (UTC)\n${table}`;
}

export function holdsTable(rows: HoldRow[]): string {
  return renderTable(
    [left('tenant'), left('user'), left('request'), left('endpoint'), right('attempt'), left('model'), right('held USD'),
      left('reserved at'), left('expires at'), left('overdue')],
    rows.map((r) => [r.tenant_id, r.user_id, r.request_id, r.endpoint, String(r.attempt_no), r.model_ref ?? '-',
      formatUsd(r.held_micros), formatTimestamp(r.reserved_at), formatTimestamp(r.expires_at), formatBool(r.overdue)]),
  );
}

export function shutoffsTable(rows: ShutoffRow[]): string {
  return renderTable(
    [right('id'), left('scope'), left('tenant'), left('user'), left('kind'), left('starts at'), left('ends at'), left('active'),
      left('upcoming'), left('reason'), left('created by'), left('cancelled at'), left('cancelled by'),
      left('cancel reason')],
    rows.map((r) => [r.id.toString(), r.scope, formatId(r.tenant_id), formatId(r.user_id), r.kind, formatTimestamp(r.starts_at),
      formatTimestamp(r.ends_at), formatBool(r.active), formatBool(r.upcoming), r.reason ?? '-', r.created_by ?? '-',
      formatTimestamp(r.cancelled_at), r.cancelled_by ?? '-', r.cancel_reason ?? '-']),
  );
}

export function breakersTable(rows: BreakerRow[]): string {
  return renderTable(
    [left('model'), left('state'), right('failures'), left('open until'), right('opened'), left('last failure at'),
      left('last success at')],
    rows.map((r) => [r.model_ref, r.state, String(r.consecutive_failures), formatTimestamp(r.open_until), String(r.opened_count),
      formatTimestamp(r.last_failure_at), formatTimestamp(r.last_success_at)]),
  );
}

export function transitionsTable(rows: TransitionRow[], month: Date): string {
  const table = renderTable(
    [left('changed at'), left('model'), left('from'), left('to'), left('cause'), right('failures'), left('open until'),
      left('streak tenant'), left('call tenant'), left('by')],
    rows.map((r) => [formatTimestamp(r.changed_at), r.model_ref, r.from_state, r.to_state, r.cause, String(r.consecutive_failures),
      formatTimestamp(r.open_until), r.streak_tenant_id === null ? '-' : `${r.streak_tenant_id}${r.streak_tenants_many ? ' (+others)' : ''}`,
      r.call_tenant_id ?? '-', r.changed_by]),
  );
  return `breaker transitions ${formatMonth(month)} (UTC), newest first\n${table}`;
}

/** What to do about drift, where drift is shown (README: Drift is repaired from the ledger). */
export const DRIFT_REPAIR = 'once its cause is found, repair it from the ledger as llm_operator: select * from llm.repair_usage_drift(\'why\') ' +
  '(never llm.adjust_usage: it moves the ledger too, and the drift stays)';

export function driftTable(rows: DriftRow[]): string {
  const table = renderTable(
    [left('kind'), left('meter'), left('unit'), left('subject'), left('period start'), right('shard'), right('usage'),
      right('ledger')],
    rows.map((r) => [r.kind, r.meter_name, unitLabel(r.unit), subject(r), formatTimestamp(r.period_start), String(r.shard),
      amount(r.usage_value, r.unit), amount(r.ledger_value, r.unit)]),
  );
  return `reconciliation: DRIFT in ${rows.length} row${rows.length === 1 ? '' : 's'} (usage vs the ledger)\n${table}\n` +
    `${DRIFT_REPAIR}\n`;
}

export function decisionsTable(rows: DecisionRow[], month: Date, limit: number): string {
  const table = renderTable(
    [left('decided at'), left('tenant'), left('user'), left('request'), right('attempt'), left('decision'), left('reason'), left('model'),
      left('limit'), right('cap'), right('used'), right('asked'), left('unit'), right('window')],
    rows.map((r) => [formatTimestamp(r.decided_at), r.tenant_id, r.user_id, r.request_id, r.attempt_no.toString(), r.decision, r.reason,
      r.model_ref ?? '-', r.limit_id === null ? '-' : `${r.limit_id} (${r.limit_scope}/${r.limit_window})`,
      amount(r.limit_cap, r.limit_unit), amount(r.limit_used, r.limit_unit), amount(r.limit_asked, r.limit_unit), unitLabel(r.limit_unit),
      r.shutoff_window_id === null ? '-' : r.shutoff_window_id.toString()]),
  );
  return `decisions ${formatMonth(month)} (UTC), newest first, at most ${limit}; a refusal compares used + asked with the cap (more than it), an admitted call its tightest limit's (at most); ` +
    `window = the shutoff window in force (npm run audit -- shutoffs)\n${table}`;
}
