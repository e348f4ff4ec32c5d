/** The demo's closing summary, read from the audit views as llm_auditor (llm.calls, llm.monthly_spend, llm.reconciliation_drift). */
import type { Pool } from 'pg';
import { formatUsd } from '../audit/format';
import { monthlySpend, currentMonth } from '../audit/queries';
import { spendTable } from '../audit/report';
import { renderTable } from '../audit/table';

export async function printSummary(auditor: Pool, runId: string, out: (s: string) => void): Promise<void> {
  const { rows } = await auditor.query(
    `select request_id, min(endpoint) as endpoint,
            string_agg(decision || case when reason <> 'ok' then '/' || reason else '' end, ', ' order by attempt_no) as decisions,
            count(provider_status)::int as calls, string_agg(distinct model_ref, ', ') as model,
            coalesce(sum(cost_micros), 0)::text as cost
       from llm.calls where request_id like $1 || '-%' group by tenant_id, request_id order by request_id`, [runId]);
  out(`requests of this run (${rows.length}), every reserve decision in order:`);
  out(renderTable(
    [{ header: 'request' }, { header: 'endpoint' }, { header: 'decisions' }, { header: 'model' },
      { header: 'calls', align: 'right' }, { header: 'cost USD', align: 'right' }],
    rows.map((r) => [r.request_id, r.endpoint, r.decisions, r.model ?? '-', String(r.calls), formatUsd(BigInt(r.cost))])));
  const month = await currentMonth(auditor);
  out('');
  out(spendTable(await monthlySpend(auditor, { month }), month));
  const drift = await auditor.query('select count(*)::int as n from llm.reconciliation_drift');
  out('');
  out(`reconciliation: ${drift.rows[0].n === 0 ? 'no drift' : `${drift.rows[0].n} rows of drift`}`);
}
