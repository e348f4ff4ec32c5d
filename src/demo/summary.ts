/** The demo's closing summary, read from the audit views as llm_auditor. */
import type { Pool } from 'pg';
import { formatUsd } from '../audit/format';
import { monthlySpend, currentMonth } from '../audit/queries';
import { spendTable } from '../audit/report';
import { renderTable } from '../audit/table';

export async function printSummary(auditor: Pool, runId: string, out: (s: string) => void): Promise<void> {
  const { rows } = await auditor.query(
    `select d.request_id, d.endpoint, d.decision, d.reason, coalesce(d.model_ref, d.requested_model_ref) as model,
            (select count(*) from llm.calls c where c.request_id = d.request_id and c.tenant_id = d.tenant_id) as attempts,
            (select coalesce(sum(c.cost_micros), 0) from llm.calls c where c.request_id = d.request_id and c.tenant_id = d.tenant_id)::text as cost
       from llm.decision_log d where d.request_id like $1 || '-%' order by d.id`, [runId]);
  out(`decisions of this run (${rows.length}):`);
  out(renderTable(
    [{ header: 'request' }, { header: 'endpoint' }, { header: 'decision' }, { header: 'reason' }, { header: 'model' },
      { header: 'attempts', align: 'right' }, { header: 'cost USD', align: 'right' }],
    rows.map((r) => [r.request_id, r.endpoint, r.decision, r.reason, r.model, String(r.attempts), formatUsd(BigInt(r.cost))])));
  const month = await currentMonth(auditor);
  out('');
  out(spendTable(await monthlySpend(auditor, { month }), month));
  const drift = await auditor.query('select count(*)::int as n from llm.reconciliation_drift');
  out('');
  out(`reconciliation: ${drift.rows[0].n === 0 ? 'no drift' : `${drift.rows[0].n} rows of drift`}`);
}
