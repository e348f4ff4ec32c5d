/**
 * Dashboard settings from the environment. Off unless DASHBOARD_PORT is set; bound to loopback
 * unless DASHBOARD_HOST says otherwise; a non-loopback bind without DASHBOARD_TOKEN is refused.
 */
import { isIP } from 'node:net';

export interface DashboardSettings {
  port: number;
  host: string;
  /** Required from every request when set (Authorization: Bearer <token> or ?token=<token>). */
  token: string | null;
}

export class DashboardConfigError extends Error {
  override name = 'DashboardConfigError';
}

export const MIN_TOKEN_LENGTH = 16;

/** 127.0.0.0/8, ::1 (also IPv4-mapped) and "localhost". */
export function isLoopback(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h === '::1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

/** Throws, naming the variables, when the settings would expose the dashboard without a token. */
export function checkAccess(s: DashboardSettings): void {
  if (s.token !== null && s.token.length < MIN_TOKEN_LENGTH) {
    throw new DashboardConfigError(`DASHBOARD_TOKEN must be at least ${MIN_TOKEN_LENGTH} characters`);
  }
  if (!isLoopback(s.host) && s.token === null) {
    throw new DashboardConfigError(`DASHBOARD_HOST=${s.host} is not a loopback address: set DASHBOARD_TOKEN (at least ` +
      `${MIN_TOKEN_LENGTH} characters) or bind DASHBOARD_HOST=127.0.0.1`);
  }
}

/** null when DASHBOARD_PORT is unset or empty (the dashboard is off). Port 0 picks a free port. */
export function dashboardSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): DashboardSettings | null {
  const raw = env.DASHBOARD_PORT?.trim();
  if (!raw) return null;
  if (!/^\d{1,5}$/.test(raw) || Number(raw) > 65535) throw new DashboardConfigError(`DASHBOARD_PORT must be a port number (0-65535), got ${JSON.stringify(raw)}`);
  return dashboardSettings(Number(raw), env);
}

/**
 * The settings for a port that is already known (the worker's `dashboardPort`, src/config.ts):
 * DASHBOARD_HOST and DASHBOARD_TOKEN from the environment, checked as above.
 */
export function dashboardSettings(port: number, env: NodeJS.ProcessEnv = process.env): DashboardSettings {
  const settings = { port, host: env.DASHBOARD_HOST?.trim() || '127.0.0.1', token: env.DASHBOARD_TOKEN || null };
  checkAccess(settings);
  return settings;
}
