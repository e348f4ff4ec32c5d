/**
 * `npm run maintain-partitions`: the ledger's monthly partitions, as their owner (DATABASE_URL names the host, port and
 * database, as for `npm run migrate`; it logs in as llm_owner with LLM_OWNER_PASSWORD): creates the months ahead
 * (settings.partitions_ahead_months), drops the months past retention (ledger_retention_months) and summarises the
 * BRIN indexes of ended months (llm_maint.summarize_ended_months).
 * Run it daily from the host's scheduler (README "Partitions and retention"); the worker cannot, by design: the
 * DDL needs the owner, and no runtime role holds it.
 */
import { diagnoseLogin, isLoginError } from '../db/login-errors';
import { maintainPartitions } from '../db/migrate';
import { redactUrl } from '../db/urls';

async function main(): Promise<number> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error('maintain-partitions: DATABASE_URL is not set (the target database; the command logs in as llm_owner with LLM_OWNER_PASSWORD)');
    return 1;
  }
  try {
    const r = await maintainPartitions(url, { dropExpired: true });
    console.log(`maintain-partitions: created ${r.created}, dropped ${r.dropped}, ` +
      (r.summarized === null ? 'summarized nothing (this database predates llm_maint.summarize_ended_months: run npm run migrate)'
        : `summarized ${r.summarized}`));
    return 0;
  } catch (e) {
    const why = isLoginError(e) ? await diagnoseLogin(url, ['llm_owner']) : null;
    console.error(`maintain-partitions: ${redactUrl(url)}: ${why ?? (e as Error)?.message ?? String(e)}`);
    return 1;
  }
}

void main().then((code) => process.exit(code));
