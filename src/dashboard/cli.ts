/**
 * `npm run dashboard`: the read-only dashboard on its own, for operators who do not want it inside
 * a worker. DATABASE_URL names the server and database (as elsewhere); the dashboard logs in as
 * llm_viewer (password from LLM_VIEWER_PASSWORD when the server asks for one). DASHBOARD_PORT
 * defaults to 8090 here; DASHBOARD_HOST and DASHBOARD_TOKEN as in the README.
 */
import { Pool } from 'pg';
import { pinnedUrl, redactUrl, urlForRole } from '../db/urls';
import { dashboardSettingsFromEnv, DashboardConfigError, startDashboard } from './index';
import { stopSignal } from '../signals';

async function main(env: NodeJS.ProcessEnv): Promise<void> {
  if (!env.DATABASE_URL) throw new DashboardConfigError('DATABASE_URL is not set: the database whose audit views the dashboard reads');
  const settings = dashboardSettingsFromEnv({ ...env, DASHBOARD_PORT: env.DASHBOARD_PORT || '8090' })!;
  const url = urlForRole(env.DATABASE_URL, 'llm_viewer', env);
  const pool = new Pool({ connectionString: pinnedUrl(url), max: 4 });
  pool.on('error', (e) => console.error(`dashboard: idle database connection failed: ${e.message}`));
  const dash = await startDashboard({ ...settings, pool,
    onError: (e) => console.error(`dashboard: request failed: ${(e as Error).message}`) });
  const stop = async () => {
    await dash.close();
    await pool.end();
    process.exit(0);
  };
  void stopSignal().then(stop);
  // Listening for signals before announcing the URL: a supervisor may stop us as soon as it reads it.
  console.log(`dashboard on ${dash.url} (reading ${redactUrl(url)} as llm_viewer${settings.token ? '; token required' : ''})`);
}

main(process.env).catch((e: Error) => {
  console.error(e instanceof DashboardConfigError ? `dashboard: ${e.message}` : `dashboard failed to start: ${e.message}`);
  process.exit(1);
});
