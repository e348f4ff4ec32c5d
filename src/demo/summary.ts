/**
 * The demo's closing summary, read from the audit views as llm_viewer: the run's requests
 * (llm.calls), the month's spend (llm.monthly_spend), refusals, alerts, the run's budget scopes,
 * the cache (llm.refusals_by_reason, llm.alerts, llm.budget_scopes, llm.cache_stats) and
 * reconciliation (llm.reconciliation_drift).
 */
import type { Pool } from 'pg';
import { formatUsd } from '../audit/format';
import { monthlySpend, currentMonth } from '../audit/queries';
import { spendTable } from '../audit/report';
import { renderTable } from '../audit/table';

const MONTH = `date_trunc('month', now(), 'UTC')`;

export async function printSummary(auditor: Pool, runId: string, out: (s: string) => void): Promise<void> {
  await printRequests(auditor, runId, out);
  const month = await currentMonth(auditor);
  out('');
  out(spendTable(await monthlySpend(auditor, { month }), month));
  out('');
  for (const line of await governanceLines(auditor, runId)) out(line);
  const drift = await auditor.query('select count(*)::int as n from llm.reconciliation_drift');
  out(`reconciliation: ${drift.rows[0].n === 0 ? 'no drift' : `${drift.rows[0].n} rows of drift`}`);
}

/** One row per request of the run, in enqueue order; an embedding call (the semantic cache's) shows as `embed:<decision>`. */
async function printRequests(auditor: Pool, runId: string, out: (s: string) => void): Promise<void> {
  const { rows } = await auditor.query(
    `select request_id, min(endpoint) as endpoint,
            string_agg(case when purpose = 'embedding' then 'embed:' else '' end
                       || decision || case when reason <> 'ok' then '/' || reason else '' end, ', ' order by attempt_no) as decisions,
            count(provider_status)::int as calls, string_agg(distinct model_ref, ', ') as model,
            coalesce(sum(cost_micros), 0)::text as cost
       from llm.calls where request_id like $1 || '-%' group by tenant_id, request_id order by length(request_id), request_id`, [runId]);
  out(`requests of this run (${rows.length}), every reserve decision in order:`);
  out(renderTable(
    [{ header: 'request' }, { header: 'endpoint' }, { header: 'decisions' }, { header: 'model' },
      { header: 'calls', align: 'right' }, { header: 'cost USD', align: 'right' }],
    rows.map((r) => [r.request_id, r.endpoint, r.decisions, r.model ?? '-', String(r.calls), formatUsd(BigInt(r.cost))])));
}

/** What the limits and the cache did: this month's refusals, alerts and cache hits, and this run's budget scopes. */
async function governanceLines(auditor: Pool, runId: string): Promise<string[]> {
  const { rows: [r] } = await auditor.query(
    `select (select string_agg(reason || ' ' || n, ', ' order by reason)
               from (select reason, sum(refusals) as n from llm.refusals_by_reason where month_start = ${MONTH} group by reason) x) as refusals,
            (select string_agg(meter_name || ' ' || p, '; ' order by meter_name)
               from (select meter_name, string_agg(trim_scale(threshold_pct::numeric) || ' %', ', ' order by threshold_pct) as p
                       from (select distinct meter_name, threshold_pct from llm.alerts where fired_at >= ${MONTH}) d group by meter_name) x) as alerts,
            (select count(*) from llm.alerts where fired_at >= ${MONTH})::int as alert_count,
            (select json_agg(json_build_object('scope', budget_scope, 'calls', calls, 'calls_cap', calls_cap, 'spent', spent_micros::text,
                    'state', state) order by budget_scope) from llm.budget_scopes where budget_scope like $1 || '-%') as scopes,
            (select json_build_object('hits', coalesce(sum(hits), 0), 'semantic', coalesce(sum(semantic_hits), 0),
                    'saved', coalesce(sum(saved_micros), 0)::text) from llm.cache_stats where month_start = ${MONTH}) as cache`, [runId]);
  const lines = [
    `refusals this month (llm.refusals_by_reason): ${r.refusals ?? 'none'}`,
    `alerts this month (llm.alerts): ${r.alert_count ? `${r.alert_count}, ${r.alerts}` : 'none'}`,
  ];
  for (const s of (r.scopes ?? []) as { scope: string; calls: number; calls_cap: number | null; spent: string; state: string }[]) {
    lines.push(`budget scope ${s.scope} (llm.budget_scopes): ${s.calls}${s.calls_cap === null ? '' : ` / ${s.calls_cap}`} calls, ` +
      `${formatUsd(BigInt(s.spent))} USD, ${s.state}`);
  }
  lines.push(`cache this month (llm.cache_stats): ${r.cache.hits} hit(s), ${r.cache.semantic} semantic, saved ${formatUsd(BigInt(r.cache.saved))} USD`);
  return lines;
}
