/** Rows of each audit command rendered as an aligned text table (money in USD, 6 decimals). */
import { formatBool, formatCell, formatId, formatMonth, formatPercent, formatTimestamp, formatUsd } from './format';
import type { BreakerState, DriftRow, HoldRow, RefusalRow, ShutoffRow, SpendRow } from './queries';
import { type Column, renderTable } from './table';

const usd = (v: bigint | null) => (v === null ? '-' : formatUsd(v));
const left = (header: string): Column => ({ header });
const right = (header: string): Column => ({ header, align: 'right' });

export function spendTable(rows: SpendRow[], month: Date): string {
  const table = renderTable(
    [left('scope'), left('tenant'), left('user'), right('cap USD'), right('spent USD'), right('held USD'),
      right('remaining USD'), right('overrun USD'), right('% used')],
    rows.map((r) => [r.scope, r.tenant_id, formatId(r.user_id), usd(r.cap_micros), formatUsd(r.spent_micros),
      formatUsd(r.held_micros), usd(r.remaining_micros), formatUsd(r.overrun_micros),
      formatPercent(r.spent_micros + r.held_micros, r.cap_micros)]),
  );
  return `monthly spend ${formatMonth(month)} (UTC); % used = (spent + held) / cap\n${table}`;
}

export function refusalsTable(rows: RefusalRow[], month: Date): string {
  const table = renderTable(
    [left('tenant'), left('reason'), right('refusals'), left('last refused at')],
    rows.map((r) => [formatId(r.tenant_id), r.reason ?? '-', r.refusals.toString(), formatTimestamp(r.last_refused_at)]),
  );
  return `refusals ${formatMonth(month)} (UTC)\n${table}`;
}

export function holdsTable(rows: HoldRow[]): string {
  return renderTable(
    [right('reservation'), left('tenant'), left('user'), left('request'), left('endpoint'), right('attempt'), left('model'),
      right('held USD'), left('reserved at'), left('expires at'), left('past expiry')],
    rows.map((r) => [r.reservation_id.toString(), r.tenant_id, r.user_id, r.request_id, r.endpoint, String(r.attempt),
      r.model_ref, formatUsd(r.held_micros), formatTimestamp(r.reserved_at), formatTimestamp(r.expires_at),
      formatBool(r.past_expiry)]),
  );
}

export function shutoffsTable(rows: ShutoffRow[]): string {
  return renderTable(
    [right('id'), left('scope'), left('tenant'), left('user'), left('kind'), left('starts at'), left('ends at'),
      left('active'), left('reason'), left('tripped by'), right('threshold USD'), right('observed USD'), left('cleared at'),
      left('cleared by')],
    rows.map((r) => [r.id.toString(), r.scope, formatId(r.tenant_id), formatId(r.user_id), r.kind, formatTimestamp(r.starts_at),
      formatTimestamp(r.ends_at), formatBool(r.active), r.reason, r.tripped_by, usd(r.threshold_micros),
      usd(r.observed_micros), formatTimestamp(r.cleared_at), r.cleared_by ?? '-']),
  );
}

export function breakersTable(state: BreakerState): string {
  return renderTable(
    state.columns.map(left),
    state.rows.map((r) => state.columns.map((c) => formatCell(r[c]))),
  );
}

export function driftTable(rows: DriftRow[]): string {
  const table = renderTable(
    [left('scope'), left('tenant'), left('user'), left('period'), left('period start'), left('request'),
      right('ledger held USD'), right('rollup held USD'), right('ledger spent USD'), right('rollup spent USD')],
    rows.map((r) => [r.scope, formatId(r.tenant_id), formatId(r.user_id), r.period ?? '-', formatTimestamp(r.period_start),
      r.request_id ?? '-', formatUsd(r.ledger_held_micros), formatUsd(r.rollup_held_micros),
      formatUsd(r.ledger_spent_micros), formatUsd(r.rollup_spent_micros)]),
  );
  return `reconciliation: DRIFT in ${rows.length} row${rows.length === 1 ? '' : 's'} (ledger vs rollups/request totals)\n${table}`;
}
