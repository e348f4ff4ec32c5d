/** Command line of `npm run audit`: which command, with which options, validated with zod. */
import { parseArgs } from 'node:util';
import { z } from 'zod';

export const USAGE = `usage: npm run audit -- <command> [options]

commands (read-only, as llm_viewer; each reads one llm audit view):
  spend     [--month YYYY-MM] [--tenant UUID]  llm.monthly_spend: spend and open holds per tenant and user against
                                               the monthly caps (user '-' = the tenant's total)
  refusals  [--month YYYY-MM] [--tenant UUID]  llm.refusals_by_reason: refused reserves per tenant and reason
  limits    [--tenant UUID]                    llm.limit_usage: usage against each limit in its current period
  alerts    [--month YYYY-MM] [--tenant UUID]  llm.alerts: limit thresholds crossed (fired in the month)
  scopes    [--month YYYY-MM] [--tenant UUID]  llm.budget_scopes: budget scopes (investigations) started in the month,
                                               with calls, spend and deadline
  decisions [--month YYYY-MM] [--tenant UUID [--user UUID] [--request ID]] [--limit N]
                                               llm.decision_log: why each call was allowed or refused (the
                                               limit, its cap, used and asked; a shutoff's window), newest
                                               first, at most N (default 50, up to 10000)
  holds                                        llm.open_holds: holds not yet settled (overdue = past expiry)
  shutoffs  [--active]                         llm.shutoff_windows: shutoff windows (only those active now with --active)
  breakers                                     llm.breaker_state: circuit breaker per provider:model
  transitions [--month YYYY-MM]                llm.breaker_transitions: every change of a breaker's state in the month, and
                                               why (failures, a probe, by hand), newest first (at most 1000)
  drift                                        llm.reconciliation_drift: usage vs the ledger, read now (two months of
                                               the ledger: up to 10 minutes); exit code 2 when not empty

options:
  --month YYYY-MM  a UTC month (default: the current month by the database clock)
  --tenant UUID    one tenant only
  --user UUID      one user of that tenant only (decisions)
  --request ID     one request of that tenant, by the application's request_id (decisions)
  --limit N        at most N rows (decisions)
  --json           machine-readable JSON (int8 money as strings of micro-USD) instead of a table
  -h, --help       this help

DATABASE_URL is an administrator URL; the CLI connects as llm_viewer on the same host and database
(password from LLM_VIEWER_PASSWORD when the server asks for one).`;

export class UsageError extends Error {}

const COMMANDS = {
  spend: ['month', 'tenant', 'json'],
  refusals: ['month', 'tenant', 'json'],
  limits: ['tenant', 'json'],
  alerts: ['month', 'tenant', 'json'],
  scopes: ['month', 'tenant', 'json'],
  decisions: ['month', 'tenant', 'user', 'request', 'limit', 'json'],
  holds: ['json'],
  shutoffs: ['active', 'json'],
  breakers: ['json'],
  transitions: ['month', 'json'],
  drift: ['json'],
} as const;
export type CommandName = keyof typeof COMMANDS;

/** Commands that read one UTC month of a view (default: the current month). */
export type MonthCommand = 'spend' | 'refusals' | 'alerts' | 'scopes';

export type AuditArgs =
  | { command: 'help' }
  | { command: MonthCommand; json: boolean; month: Date | undefined; tenantId: string | undefined }
  | { command: 'limits'; json: boolean; tenantId: string | undefined }
  | { command: 'decisions'; json: boolean; month: Date | undefined; tenantId: string | undefined; userId: string | undefined;
      requestId: string | undefined; limit: number }
  | { command: 'shutoffs'; json: boolean; active: boolean }
  | { command: 'transitions'; json: boolean; month: Date | undefined }
  | { command: 'holds' | 'breakers' | 'drift'; json: boolean };

const month = z
  .string()
  .regex(/^[0-9]{4}-(0[1-9]|1[0-2])$/, '--month must be YYYY-MM')
  .transform((m) => new Date(`${m}-01T00:00:00.000Z`));
const tenant = z.guid('--tenant must be a UUID');
const user = z.guid('--user must be a UUID');
const requestId = z.string().min(1, '--request must not be empty').max(200, '--request is at most 200 characters');
const limit = z.string().regex(/^[0-9]{1,5}$/, '--limit must be a whole number').transform(Number)
  .refine((n) => n >= 1 && n <= 10_000, '--limit is 1 .. 10000');

function isCommand(s: string | undefined): s is CommandName {
  return s !== undefined && Object.prototype.hasOwnProperty.call(COMMANDS, s);
}

type Values = { month?: string; tenant?: string; user?: string; request?: string; limit?: string; active?: boolean; json?: boolean;
  help?: boolean };

function parse(argv: readonly string[]): { values: Values; positionals: string[] } {
  try {
    return parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        month: { type: 'string' },
        tenant: { type: 'string' },
        user: { type: 'string' },
        request: { type: 'string' },
        limit: { type: 'string' },
        active: { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    const m = /^Unknown option '([^']*)'/.exec((e as Error).message);
    throw new UsageError(m ? `unknown option '${m[1]}'` : (e as Error).message);
  }
}

/** Throws UsageError for anything unknown or malformed. */
export function parseAuditArgs(argv: readonly string[]): AuditArgs {
  const { values, positionals } = parse(argv);
  if (values.help || (positionals.length === 1 && positionals[0] === 'help')) return { command: 'help' };
  const [name, ...extra] = positionals;
  if (!isCommand(name)) throw new UsageError(name === undefined ? 'no command given' : `unknown command '${name}'`);
  if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
  const allowed: readonly string[] = COMMANDS[name];
  const given = Object.keys(values).filter((k) => values[k as keyof Values] !== undefined);
  const stray = given.find((k) => !allowed.includes(k));
  if (stray) throw new UsageError(`'${name}' takes no --${stray} option`);

  const json = values.json ?? false;
  switch (name) {
    case 'spend':
    case 'refusals':
    case 'alerts':
    case 'scopes':
      return { command: name, json, month: check(month.optional(), values.month), tenantId: check(tenant.optional(), values.tenant) };
    case 'limits':
      return { command: name, json, tenantId: check(tenant.optional(), values.tenant) };
    case 'decisions': {
      // A user and a request belong to a tenant: the request's key is (tenant, request_id, endpoint), and a tenant's range
      // of the ledger is what an index gives.
      if ((values.user !== undefined || values.request !== undefined) && values.tenant === undefined) {
        throw new UsageError(`--${values.user !== undefined ? 'user' : 'request'} needs --tenant`);
      }
      return { command: name, json, month: check(month.optional(), values.month), tenantId: check(tenant.optional(), values.tenant),
        userId: check(user.optional(), values.user), requestId: check(requestId.optional(), values.request),
        limit: values.limit === undefined ? 50 : check(limit, values.limit) };
    }
    case 'shutoffs':
      return { command: name, json, active: values.active ?? false };
    case 'transitions':
      return { command: name, json, month: check(month.optional(), values.month) };
    default:
      return { command: name, json };
  }
}

function check<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw new UsageError(r.error.issues.map((i) => i.message).join('; '));
  return r.data;
}
