/**
 * The dashboard's HTTP server: GET only, token check, routing, HTML or JSON. Paths: `/` (every
 * section) and `/<section>`; JSON with `Accept: application/json` or a `.json` suffix
 * (`/index.json`, `/spend.json`); `?tenant=<uuid>` filters by tenant.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Pool } from 'pg';
import { presentedToken, tokenMatches } from './auth';
import { toJson } from './format';
import { renderPage } from './page';
import { loadSections, SECTION_NAMES, type SectionName } from './queries';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

export interface Route { show: SectionName[]; json: boolean }

/** `/`, `/index`, `/<section>`, each optionally `.json`; null for anything else. */
export function route(pathname: string, accept: string | undefined): Route | null {
  const m = /^\/([a-z]*?)(\.json)?$/.exec(pathname);
  if (!m) return null;
  const json = Boolean(m[2]) || /\bapplication\/json\b/.test(accept ?? '');
  const name = m[1] ?? '';
  if (name === '' || name === 'index') return { show: [...SECTION_NAMES], json };
  return (SECTION_NAMES as string[]).includes(name) ? { show: [name as SectionName], json } : null;
}

function send(res: ServerResponse, head: boolean, status: number, type: string, body: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type, 'content-length': Buffer.byteLength(body), ...extra });
  res.end(head ? undefined : body);
}

const LOOPBACK_HOST = /^(localhost|127(\.\d{1,3}){3}|\[::1\]|\[::ffff:127(\.\d{1,3}){3}\])(:\d{1,5})?$/i;

export interface ServerOptions {
  pool: Pool;
  token: string | null;
  /** Called with unexpected errors (the response says only "internal error"). */
  onError?: (e: unknown) => void;
}

async function handle(opts: ServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const head = req.method === 'HEAD';
  if (req.method !== 'GET' && !head) return send(res, head, 405, 'text/plain', 'read-only: GET or HEAD\n', { allow: 'GET, HEAD' });
  const url = new URL(req.url ?? '/', 'http://dashboard.invalid');
  // Without a token the dashboard listens on loopback only, and answers only requests addressed to loopback: a page the
  // operator opens could otherwise point a name of its own at 127.0.0.1 (DNS rebinding) and read every tenant's figures.
  if (opts.token === null && !LOOPBACK_HOST.test(req.headers.host ?? '')) {
    return send(res, head, 421, 'text/plain', 'misdirected request: without DASHBOARD_TOKEN only localhost / 127.0.0.1 / [::1] are served\n');
  }
  if (opts.token !== null && !tokenMatches(opts.token, presentedToken(req, url))) {
    return send(res, head, 401, 'text/plain', 'token required: Authorization: Bearer <DASHBOARD_TOKEN> or ?token=\n', { 'www-authenticate': 'Bearer' });
  }
  const r = route(url.pathname, req.headers.accept);
  if (!r) return send(res, head, 404, 'text/plain', 'not found\n');
  const tenantId = url.searchParams.get('tenant') || null;
  if (tenantId !== null && !UUID.test(tenantId)) return send(res, head, 400, 'text/plain', 'tenant must be a uuid\n');
  // Every HTML page carries the drift banner, from the worker's last scheduled check (the drift view reads two months of
  // the ledger: minutes at 10^7 calls a month); the drift section lists the rows that check kept.
  // The JSON of the drift section carries the check too: without it, "no check yet" and "no drift" both read `drift: []`.
  const withDrift = r.show.includes('drift');
  const { readAt, rows, reconciliation, missing } = await loadSections(opts.pool, r.show, tenantId, { reconciliation: !r.json || withDrift });
  if (r.json) {
    // A section this database cannot give is null (not an empty list, which says "none"), named in missing_sections.
    const picked = Object.fromEntries(r.show.map((n) => [n, missing.includes(n) ? null : rows[n]]));
    return send(res, head, 200, 'application/json; charset=utf-8',
      toJson({ read_at: readAt, tenant_id: tenantId, ...(withDrift ? { reconciliation } : {}), ...(missing.length ? { missing_sections: missing } : {}),
        ...picked }));
  }
  const token = url.searchParams.get('token');
  const html = renderPage({ show: r.show, data: rows as Parameters<typeof renderPage>[0]['data'], reconciliation, tenantId, token, now: readAt,
    missing });
  return send(res, head, 200, 'text/html; charset=utf-8', html);
}

export function createDashboardServer(opts: ServerOptions): Server {
  return createServer((req, res) => {
    handle(opts, req, res).catch((e) => {
      opts.onError?.(e);
      if (!res.headersSent) send(res, req.method === 'HEAD', 500, 'text/plain', 'internal error\n');
      else res.destroy();
    });
  });
}
