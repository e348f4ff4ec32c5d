/**
 * `npm run audit -- <command> [options]`: read-only audit tables from the llm audit views, as
 * llm_viewer. Exit codes: 0 ok, 1 usage or connection/query error, 2 reconciliation drift found.
 */
import { Client } from 'pg';
import { type AuditArgs, parseAuditArgs, USAGE, UsageError } from '../audit/args';
import { toJson } from '../audit/format';
import { printable } from '../audit/table';
import * as q from '../audit/queries';
import * as report from '../audit/report';
import { isLoginError, loginMessage } from '../db/login-errors';
import { pinnedUrl, redactUrl, urlForRole } from '../db/urls';

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

const processIo: Io = {
  out: (t) => process.stdout.write(`${t}\n`),
  err: (t) => process.stderr.write(`${t}\n`),
};

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env, rawIo: Io = processIo): Promise<number> {
  // Everything printed passes through printable(): the application writes request ids and budget scopes.
  const io: Io = { out: (t) => rawIo.out(printable(t)), err: (t) => rawIo.err(printable(t)) };
  let args: AuditArgs;
  try {
    args = parseAuditArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.err(`audit: ${e.message}\n\n${USAGE}`);
    return 1;
  }
  if (args.command === 'help') {
    io.out(USAGE);
    return 0;
  }
  const adminUrl = env.DATABASE_URL;
  if (!adminUrl) {
    io.err('audit: DATABASE_URL is not set (an administrator URL; the CLI connects as llm_viewer to the same database)');
    return 1;
  }
  let url: string;
  try {
    url = urlForRole(adminUrl, 'llm_viewer', env);
  } catch {
    io.err('audit: DATABASE_URL is not a valid connection URL');
    return 1;
  }
  // Dates are read in ISO (SESSION_PINS): under a server's or PGOPTIONS' `SQL, DMY` they did not parse, and every command
  // stopped (finance review 86). The session's own TimeZone stays: every bound is an instant.
  const client = new Client({ connectionString: pinnedUrl(url), application_name: 'llm-audit' });
  client.on('error', () => {}); // a dropped connection surfaces as the query's error
  try {
    await client.connect();
    return await run(client, args, io);
  } catch (e) {
    io.err(`audit: ${redactUrl(url)}: ${isLoginError(e) ? loginMessage('llm_viewer', env) : (e as Error).message}`);
    return 1;
  } finally {
    await client.end().catch(() => {});
  }
}

export async function run(db: q.Queryable, args: Exclude<AuditArgs, { command: 'help' }>, io: Io): Promise<number> {
  const print = <T>(rows: T, table: (rows: T) => string) => io.out(args.json ? toJson(rows) : table(rows));
  switch (args.command) {
    case 'spend':
    case 'refusals':
    case 'alerts':
    case 'scopes': {
      const month = args.month ?? (await q.currentMonth(db));
      const filter = { month, tenantId: args.tenantId };
      if (args.command === 'spend') print(await q.monthlySpend(db, filter), (r) => report.spendTable(r, month));
      else if (args.command === 'refusals') print(await q.refusalsByReason(db, filter), (r) => report.refusalsTable(r, month));
      else if (args.command === 'alerts') print(await q.alerts(db, filter), (r) => report.alertsTable(r, month));
      else print(await q.budgetScopes(db, filter), (r) => report.scopesTable(r, month));
      return 0;
    }
    case 'limits':
      print(await q.limitUsage(db, { tenantId: args.tenantId }), report.limitsTable);
      return 0;
    case 'decisions': {
      const month = args.month ?? (await q.currentMonth(db));
      print(await q.decisionLog(db, { month, tenantId: args.tenantId, userId: args.userId, requestId: args.requestId, limit: args.limit }),
        (r) => report.decisionsTable(r, month, args.limit));
      return 0;
    }
    case 'holds':
      print(await q.openHolds(db), report.holdsTable);
      return 0;
    case 'shutoffs':
      print(await q.shutoffWindows(db, { activeOnly: args.active }), report.shutoffsTable);
      return 0;
    case 'breakers':
      print(await q.breakerState(db), report.breakersTable);
      return 0;
    case 'transitions': {
      const month = args.month ?? (await q.currentMonth(db));
      print(await q.breakerTransitions(db, month), (r) => report.transitionsTable(r, month));
      return 0;
    }
    case 'drift': {
      // The view reads two months of the ledger: about two minutes at 10^7 calls a month, past llm_viewer's 60 s statement
      // timeout. This read may take as long as the worker's scheduled check may, in a transaction of its own (SET LOCAL:
      // behind a transaction pooler a session's SET would stay on the server connection, and need not apply to the read).
      // Aggregated by hashing, as the scheduled check does: sorted, every attempt and meter of the two months went to temp
      // files (648 MB at 10^6 calls; llm_viewer's temp_file_limit is 2 GB), with the memory the check has for its usage keys
      // (settings.reconciliation_work_mem_mb; review of 8ac41bf). llm_viewer logs in with jit = off.
      await db.query(`begin; set local statement_timeout = '10min'; set local enable_sort = off;
        select set_config('work_mem', s.reconciliation_work_mem_mb || 'MB', true) from llm_private.settings s`);
      let rows: q.DriftRow[];
      try {
        rows = await q.reconciliationDrift(db);
      } finally {
        await db.query('rollback');
      }
      if (args.json) io.out(toJson(rows));
      else io.out(rows.length === 0 ? 'reconciliation: no drift' : report.driftTable(rows));
      return rows.length === 0 ? 0 : 2;
    }
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`audit: ${(e as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
