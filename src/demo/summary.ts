/** The demo's closing summary, read from the audit views as llm_auditor. */
import type { Pool } from 'pg';
import { formatUsd } from '../audit/format';
import { monthlySpend, currentMonth } from '../audit/queries';
import { spendTable } from '../audit/report';
import { renderTable } from '../audit/table';

export async function printSummary(auditor: Pool, runId: string, out: (s: string) => void): Promise<void> {
  const { rows } = await auditor.query(
    `select d.request_id, min(d.endpoint) as endpoint,
            string_agg(d.decision || case when d.reason <> 'ok' then '/' || d.reason else '' end, ', ' order by d.id) as decisions,
            (select count(*) from llm.calls c where c.request_id = d.request_id and c.tenant_id = d.tenant_id) as calls,
            (select string_agg(distinct c.model_ref, ', ') from llm.calls c where c.request_id = d.request_id and c.tenant_id = d.tenant_id) as model,
            (select coalesce(sum(c.cost_micros), 0) from llm.calls c where c.request_id = d.request_id and c.tenant_id = d.tenant_id)::text as cost
       from llm.decision_log d where d.request_id like $1 || '-%' group by d.request_id, d.tenant_id order by d.request_id`, [runId]);
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
