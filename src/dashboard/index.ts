/**
 * The read-only operator dashboard. The worker serves it beside /metrics when `dashboardPort` is
 * set (src/worker/runtime.ts); elsewhere, wire it like this:
 *
 *   const settings = dashboardSettingsFromEnv();           // null: DASHBOARD_PORT unset, dashboard off
 *   const dash = settings && await startDashboard({ ...settings, pool: auditorPool });
 *   log.info({ url: dash?.url }, 'dashboard');  ...  await dash?.close();
 *
 * `pool` must log in as llm_viewer (or a role that may SET ROLE llm_viewer): every read runs
 * as llm_viewer in a read-only transaction, through the audit views only.
 */
import type { AddressInfo } from 'node:net';
import type { Pool } from 'pg';
import { checkAccess, type DashboardSettings } from './config';
import { createDashboardServer } from './server';

export { dashboardSettings, dashboardSettingsFromEnv, DashboardConfigError, isLoopback } from './config';

export interface DashboardOptions {
  pool: Pool;
  /** 0 picks a free port. */
  port: number;
  /** Default 127.0.0.1. Anything but loopback requires `token`. */
  host?: string;
  token?: string | null;
  onError?: (e: unknown) => void;
}

export interface Dashboard {
  /** Base URL, without the token. */
  url: string;
  close(): Promise<void>;
}

export async function startDashboard(opts: DashboardOptions): Promise<Dashboard> {
  const settings: DashboardSettings = { port: opts.port, host: opts.host ?? '127.0.0.1', token: opts.token ?? null };
  checkAccess(settings);
  const server = createDashboardServer({ pool: opts.pool, token: settings.token, onError: opts.onError });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.port, settings.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = settings.host.includes(':') ? `[${settings.host}]` : settings.host;
  return {
    url: `http://${host}:${port}/`,
    close: () => new Promise<void>((resolve, reject) => {
      server.close((e) => (e ? reject(e) : resolve()));
      server.closeAllConnections();
    }),
  };
}
