/** Command line of `npm run audit`: which command, with which options, validated with zod. */
import { parseArgs } from 'node:util';
import { z } from 'zod';

export const USAGE = `usage: npm run audit -- <command> [options]

commands (read-only, as llm_auditor through the llm audit views):
  spend     [--month YYYY-MM] [--tenant UUID]  spend and holds per tenant and user against monthly caps
  refusals  [--month YYYY-MM] [--tenant UUID]  refused reservations by reason
  holds                                        open holds (past_expiry = released by the next sweep)
  shutoffs  [--active]                         shutoff windows (only those active now with --active)
  breakers                                     circuit breaker state per provider:model
  drift                                        ledger vs rollups; exit code 2 when there is any drift

options:
  --month YYYY-MM  a UTC month (default: the current month by the database clock)
  --tenant UUID    one tenant only
  --json           machine-readable JSON (int8 money as strings of micro-USD) instead of a table
  -h, --help       this help

DATABASE_URL is an administrator URL; the CLI connects as llm_auditor on the same host and database
(password from LLM_AUDITOR_PASSWORD when the server asks for one).`;

export class UsageError extends Error {}

const COMMANDS = {
  spend: ['month', 'tenant', 'json'],
  refusals: ['month', 'tenant', 'json'],
  holds: ['json'],
  shutoffs: ['active', 'json'],
  breakers: ['json'],
  drift: ['json'],
} as const;
export type CommandName = keyof typeof COMMANDS;

export type AuditArgs =
  | { command: 'help' }
  | { command: 'spend' | 'refusals'; json: boolean; month: Date | undefined; tenantId: string | undefined }
  | { command: 'shutoffs'; json: boolean; active: boolean }
  | { command: 'holds' | 'breakers' | 'drift'; json: boolean };

const month = z
  .string()
  .regex(/^[0-9]{4}-(0[1-9]|1[0-2])$/, '--month must be YYYY-MM')
  .transform((m) => new Date(`${m}-01T00:00:00.000Z`));
const tenant = z.guid('--tenant must be a UUID');

function isCommand(s: string | undefined): s is CommandName {
  return s !== undefined && Object.prototype.hasOwnProperty.call(COMMANDS, s);
}

/** Throws UsageError for anything unknown or malformed. */
export function parseAuditArgs(argv: readonly string[]): AuditArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        month: { type: 'string' },
        tenant: { type: 'string' },
        active: { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    const m = /^Unknown option '([^']*)'/.exec((e as Error).message);
    throw new UsageError(m ? `unknown option '${m[1]}'` : (e as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help || (positionals.length === 1 && positionals[0] === 'help')) return { command: 'help' };
  const [name, ...extra] = positionals;
  if (!isCommand(name)) throw new UsageError(name === undefined ? 'no command given' : `unknown command '${name}'`);
  if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
  const allowed: readonly string[] = COMMANDS[name];
  const given = Object.keys(values).filter((k) => values[k as keyof typeof values] !== undefined);
  const stray = given.find((k) => !allowed.includes(k));
  if (stray) throw new UsageError(`'${name}' takes no --${stray} option`);

  const json = values.json ?? false;
  switch (name) {
    case 'spend':
    case 'refusals':
      return { command: name, json, month: check(month.optional(), values.month), tenantId: check(tenant.optional(), values.tenant) };
    case 'shutoffs':
      return { command: name, json, active: values.active ?? false };
    default:
      return { command: name, json };
  }
}

function check<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw new UsageError(r.error.issues.map((i) => i.message).join('; '));
  return r.data;
}
