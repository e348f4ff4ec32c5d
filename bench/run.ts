/**
 * `npm run bench`: migrates a throwaway database (llmgov_bench_<pid>), seeds it, measures, prints a
 * markdown table, writes bench/RESULTS.md, and drops the database (also on failure or Ctrl-C).
 * Every figure is reported next to a baseline measured in the same run. See bench/README.md.
 */
import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { Client } from 'pg';
import { migrateAll } from '../src/db/migrate';
import { redactUrl, urlForDatabase, urlForRole } from '../src/db/urls';
import { BenchConfig, loadConfig } from './config';
import { loadE2E } from './e2e-hook';
import { factsMarkdown, load, machineFacts } from './facts';
import { LatencyProbe, LatencyResult, measureInterleaved } from './latency';
import { combineRuns, pgbenchInit, PgbenchResult, runPgbench, singleRowUpdateScript } from './pgbench';
import { LATENCY_TENANT, latencyUser, ledgerRows, loadHistory, seed, truncateLedger } from './seed';
import { fmt, markdownTable, ratio, Row } from './table';
import { combineReserveSettle, describeDecisions, ReserveSettleResult, runReserveSettle, warmTenants } from './throughput';
import { measureNoopWorker } from './worker';

const t0 = Date.now();
function log(msg: string): void {
  process.stderr.write(`[bench +${((Date.now() - t0) / 1000).toFixed(0)}s] ${msg}\n`);
}

async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  const c = new Client({ connectionString: serverUrl });
  await c.connect();
  try {
    await c.query(`drop database if exists ${c.escapeIdentifier(name)} with (force)`);
  } finally {
    await c.end();
  }
}

function pgbenchNote(r: PgbenchResult): string {
  const bad: string[] = [];
  if (r.failed) bad.push(`${r.failed} failed`);
  if (r.aborted) bad.push('a client ABORTED (see stderr)');
  return bad.join(', ');
}

interface Throughput {
  clients: number;
  baseline: PgbenchResult;
  distinct: ReserveSettleResult;
  hot: ReserveSettleResult;
}

interface Latency {
  historyRows: number;
  result: LatencyResult;
}

function knobs(cfg: BenchConfig): string {
  return [
    `BENCH_SECONDS=${cfg.seconds}`,
    `BENCH_CLIENTS=${cfg.clients.join(',')}`,
    `BENCH_ROUNDS=${cfg.rounds}`,
    `BENCH_PGBENCH_SCALE=${cfg.pgbenchScale}`,
    `BENCH_TENANTS=${cfg.tenants}`,
    `BENCH_HISTORY_SMALL=${cfg.historySmall}`,
    `BENCH_HISTORY_LARGE=${cfg.historyLarge}`,
    `BENCH_LATENCY_CALLS=${cfg.latencyCalls}`,
    `BENCH_LATENCY_WARMUP=${cfg.latencyWarmup}`,
    `BENCH_LATENCY_ROUNDS=${cfg.latencyRounds}`,
    `BENCH_WORKER_CONCURRENCY=${cfg.workerConcurrency}`,
    `BENCH_WORKER_JOBS=${cfg.workerJobs}`,
  ].join(' ');
}

async function main(): Promise<number> {
  const cfg = loadConfig();
  const dbName = `llmgov_bench_${process.pid}`;
  // A second database holds the large ledger, so that the small- and large-ledger latency probes
  // can run interleaved (the machine's noise then hits both alike).
  const bigName = `${dbName}_ledger`;
  const adminUrl = urlForDatabase(cfg.serverUrl, dbName);
  const bigAdminUrl = urlForDatabase(cfg.serverUrl, bigName);
  const appUrl = urlForRole(adminUrl, 'llm_app');
  const workerUrl = urlForRole(adminUrl, 'llm_worker');
  let admin: Client | null = null;
  let bigAdmin: Client | null = null;
  let dropping: Promise<void> | null = null;
  const cleanup = (): Promise<void> => {
    if (cfg.keepDatabase) {
      log(`BENCH_KEEP_DB=1: keeping databases ${dbName} and ${bigName}`);
      return Promise.resolve();
    }
    dropping ??= (async () => {
      await admin?.end().catch(() => {});
      await bigAdmin?.end().catch(() => {});
      for (const name of [dbName, bigName]) {
        log(`dropping database ${name}`);
        await dropDatabase(cfg.serverUrl, name).catch((e: Error) => log(`could not drop ${name}: ${e.message}`));
      }
    })();
    return dropping;
  };
  let interrupted = false;
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      interrupted = true;
      log(`${sig}: cleaning up`);
      void cleanup().finally(() => process.exit(130));
    });
  }

  try {
    log(`migrating ${redactUrl(adminUrl)}`);
    await migrateAll(adminUrl, { includeCurrent: true });
    admin = new Client({ connectionString: adminUrl });
    await admin.connect();
    const facts = await machineFacts(admin, cfg.pgbenchPath);
    process.stdout.write(`\n## Machine\n${factsMarkdown(facts, load())}\n\n`);

    log(`seeding ${cfg.tenants} tenants x 1 user, the latency tenant, the model and its price`);
    await seed(admin, cfg.tenants);
    log(`pgbench -i -s ${cfg.pgbenchScale} (baseline tables in schema public of the same database)`);
    await pgbenchInit(cfg.pgbenchPath, adminUrl, cfg.pgbenchScale);
    await admin.query('checkpoint');

    // 1 + 2: throughput. For each client count the three configurations alternate in rounds of
    // seconds/rounds each, so that the machine's noise hits them alike; tps is the mean of the rounds.
    log(`warming up: one reserve+settle per tenant (${cfg.tenants})`);
    await warmTenants(admin, cfg.tenants);
    const throughput: Throughput[] = [];
    const perRun = Math.max(1, Math.round(cfg.seconds / cfg.rounds));
    for (const clients of cfg.clients) {
      log(`${clients} client(s): ${cfg.rounds} round(s) of ${perRun}s each of pgbench UPDATE, distinct users, one user`);
      const base: PgbenchResult[] = [];
      const dist: ReserveSettleResult[] = [];
      const hots: ReserveSettleResult[] = [];
      const common = { bin: cfg.pgbenchPath, appUrl, admin, clients, seconds: perRun, tenants: cfg.tenants };
      for (let r = 0; r < cfg.rounds; r++) {
        base.push(await runPgbench({
          bin: cfg.pgbenchPath,
          url: adminUrl,
          script: singleRowUpdateScript(cfg.pgbenchScale),
          clients,
          seconds: perRun,
        }));
        dist.push(await runReserveSettle({ ...common, hot: false }));
        hots.push(await runReserveSettle({ ...common, hot: true }));
        log(`  round ${r + 1}: ${fmt(base[r]!.tps)} tps, ${fmt(dist[r]!.tps)} pairs/s distinct, ${fmt(hots[r]!.tps)} pairs/s one user`);
      }
      const baseline = combineRuns(base);
      const distinct = combineReserveSettle(dist);
      const hot = combineReserveSettle(hots);
      for (const r of [baseline, distinct, hot]) if (r.aborted) process.stderr.write(r.output);
      throughput.push({ clients, baseline, distinct, hot });
    }

    // 3: reserve latency against a small and a large ledger, in two databases, interleaved.
    log(`second database ${bigName} for the large ledger: migrating, seeding`);
    await migrateAll(bigAdminUrl, { includeCurrent: true });
    bigAdmin = new Client({ connectionString: bigAdminUrl });
    await bigAdmin.connect();
    await seed(bigAdmin, cfg.tenants);
    log(`  loading ${fmt(cfg.historyLarge)} settled calls of history`);
    await loadHistory(bigAdmin, cfg.historyLarge);
    log(`emptying the ledger of ${dbName}, loading ${fmt(cfg.historySmall)} settled calls of history`);
    await truncateLedger(admin);
    await loadHistory(admin, cfg.historySmall);
    const sizes = [await ledgerRows(admin), await ledgerRows(bigAdmin)];
    for (const [i, rows] of sizes.entries()) {
      log(`  ledger ${i ? 'large' : 'small'}: ${fmt(rows.requests)} requests, ${fmt(rows.reservations)} reservations, ` +
        `${fmt(rows.decisions)} decisions, ${fmt(rows.rollups)} rollups`);
    }
    log(`measuring ${cfg.latencyWarmup} warm-up + ${cfg.latencyCalls} sequential reserve calls on each, in ${cfg.latencyRounds} alternating rounds`);
    const probes = [adminUrl, bigAdminUrl].map((u) => new LatencyProbe(urlForRole(u, 'llm_app'), LATENCY_TENANT, latencyUser(0)));
    let results: LatencyResult[];
    try {
      results = await measureInterleaved(probes, cfg.latencyCalls, cfg.latencyWarmup, cfg.latencyRounds);
    } finally {
      await Promise.all(probes.map((p) => p.close()));
    }
    const latency: Latency[] = results.map((result, i) => ({ historyRows: sizes[i]!.reservations, result }));
    for (const l of latency) {
      log(`  ${fmt(l.historyRows)} rows: reserve p50 ${l.result.reserve.p50.toFixed(2)} ms, p99 ${l.result.reserve.p99.toFixed(2)} ms`);
    }
    await bigAdmin.end();
    bigAdmin = null;
    if (!cfg.keepDatabase) await dropDatabase(cfg.serverUrl, bigName);

    // 4: graphile-worker no-op, and the end-to-end governed hook.
    log(`graphile-worker no-op: ${fmt(cfg.workerJobs)} jobs queued, concurrency ${cfg.workerConcurrency}, up to ${cfg.seconds}s`);
    const worker = await measureNoopWorker({
      workerUrl,
      seconds: cfg.seconds,
      concurrency: cfg.workerConcurrency,
      jobs: cfg.workerJobs,
    });
    log(`  ${fmt(worker.jobsPerSecond)} jobs/s`);
    const e2eModule = loadE2E();
    let e2e: Awaited<ReturnType<NonNullable<typeof e2eModule>['runE2E']>> | null = null;
    if (e2eModule) {
      log('end to end (bench/e2e.ts)');
      await truncateLedger(admin);
      e2e = await e2eModule.runE2E(adminUrl, cfg.seconds);
    }

    // The table.
    const rows: Row[] = [];
    for (const t of throughput) {
      rows.push({
        measurement: '1. reserve+settle pairs/s, distinct tenants and users (no shared tenant, user or rollup row)',
        clients: String(t.clients),
        ours: `${fmt(t.distinct.tps)} pairs/s`,
        baseline: `pgbench single-row UPDATE: ${fmt(t.baseline.tps)} tps`,
        ratio: ratio(t.distinct.tps, t.baseline.tps),
        notes: [describeDecisions(t.distinct.decisions), pgbenchNote(t.distinct), pgbenchNote(t.baseline) && `baseline: ${pgbenchNote(t.baseline)}`]
          .filter(Boolean)
          .join('; '),
      });
    }
    for (const t of throughput) {
      rows.push({
        measurement: '2. reserve+settle pairs/s, all clients on ONE user (hot user, tenant and rollup rows)',
        clients: String(t.clients),
        ours: `${fmt(t.hot.tps)} pairs/s`,
        baseline: `row 1 at ${t.clients} client(s): ${fmt(t.distinct.tps)} pairs/s`,
        ratio: ratio(t.hot.tps, t.distinct.tps),
        notes: [describeDecisions(t.hot.decisions), pgbenchNote(t.hot)].filter(Boolean).join('; '),
      });
    }
    const [small, large] = latency;
    if (small && large) {
      const ms = (n: number): string => `${n.toFixed(2)} ms`;
      rows.push({
        measurement: `3. reserve latency p50 with ${fmt(large.historyRows)} rows in the ledger`,
        clients: '1',
        ours: ms(large.result.reserve.p50),
        baseline: `${fmt(small.historyRows)} rows: ${ms(small.result.reserve.p50)}`,
        ratio: ratio(large.result.reserve.p50, small.result.reserve.p50),
        notes: `${large.result.reserve.n} sequential calls on each ledger after ${cfg.latencyWarmup} warm-up, in ${cfg.latencyRounds} alternating rounds, from Node (pg) as llm_app; ${describeDecisions(large.result.decisions)}`,
      });
      rows.push({
        measurement: `3. reserve latency p99 with ${fmt(large.historyRows)} rows in the ledger`,
        clients: '1',
        ours: ms(large.result.reserve.p99),
        baseline: `${fmt(small.historyRows)} rows: ${ms(small.result.reserve.p99)}`,
        ratio: ratio(large.result.reserve.p99, small.result.reserve.p99),
        notes: 'history: settled calls over 180 days, 1 in 20 on the measured user, the rest on 999 other users of its tenant',
      });
      rows.push({
        measurement: `3b. settle latency p50 / p99 with ${fmt(large.historyRows)} rows in the ledger`,
        clients: '1',
        ours: `${ms(large.result.settle.p50)} / ${ms(large.result.settle.p99)}`,
        baseline: `${fmt(small.historyRows)} rows: ${ms(small.result.settle.p50)} / ${ms(small.result.settle.p99)}`,
        ratio: `${ratio(large.result.settle.p50, small.result.settle.p50)} / ${ratio(large.result.settle.p99, small.result.settle.p99)}`,
        notes: 'same calls as row 3 (settle of each reservation, in the same transaction)',
      });
    }
    rows.push({
      measurement: '4a. graphile-worker no-op jobs/s (baseline of 4b)',
      clients: `concurrency ${cfg.workerConcurrency}`,
      ours: `${fmt(worker.jobsPerSecond)} jobs/s`,
      baseline: '-',
      ratio: '-',
      notes: `${fmt(worker.completed)} jobs in ${worker.seconds.toFixed(1)}s${worker.drained ? ' (queue drained)' : ''}${worker.failed ? `, ${worker.failed} failed` : ''}; as llm_worker, pollInterval 100 ms, jobs pre-queued with add_jobs`,
    });
    rows.push(
      e2e
        ? {
            measurement: '4b. governed jobs/s end to end (reserve, mock provider, settle)',
            clients: `concurrency ${cfg.workerConcurrency}`,
            ours: `${fmt(e2e.jobsPerSecond)} jobs/s`,
            baseline: `no-op: ${fmt(worker.jobsPerSecond)} jobs/s`,
            ratio: ratio(e2e.jobsPerSecond, worker.jobsPerSecond),
            notes: 'bench/e2e.ts',
          }
        : {
            measurement: '4b. governed jobs/s end to end vs graphile-worker no-op',
            clients: '-',
            ours: 'pending (needs the worker, issue 4)',
            baseline: `no-op: ${fmt(worker.jobsPerSecond)} jobs/s`,
            ratio: '-',
            notes: 'TODO: filled in by bench/e2e.ts (runE2E), see bench/README.md',
          },
    );
    rows.push(
      e2e
        ? {
            measurement: '4c. governance overhead per call p50 / p99 (everything but the provider)',
            clients: 'concurrency 1',
            ours: `${e2e.overheadP50Ms.toFixed(2)} / ${e2e.overheadP99Ms.toFixed(2)} ms`,
            baseline: '-',
            ratio: '-',
            notes: `bench/e2e.ts, from the worker's governance_ms; during row 4b (concurrency ${cfg.workerConcurrency}, incl. waiting for CPU and connections on 2 cores): ${e2e.contendedOverheadP50Ms.toFixed(2)} / ${e2e.contendedOverheadP99Ms.toFixed(2)} ms`,
          }
        : {
            measurement: '4c. governance overhead per call',
            clients: '-',
            ours: 'pending (needs the worker, issue 4)',
            baseline: '-',
            ratio: '-',
            notes: 'TODO: filled in by bench/e2e.ts (runE2E), see bench/README.md',
          },
    );

    const table = markdownTable(rows);
    const loadEnd = load();
    process.stdout.write(`## Results\n\n${table}\n\n`);
    const date = new Date().toISOString();
    const report = [
      '# Benchmark results',
      '',
      `Command: \`npm run bench\` (${knobs(cfg)})  `,
      `Date: ${date}; wall time ${((Date.now() - t0) / 1000).toFixed(0)} s`,
      '',
      '## Machine',
      factsMarkdown(facts, loadEnd),
      '',
      '## Results',
      '',
      table,
      '',
      '## How these were measured',
      `- Rows 1 and 2 use pgbench for both sides (same driver): \`-n -T ${perRun} -c <clients> -j min(2, clients)\`, ` +
        `${cfg.rounds} alternating round(s) per configuration and client count (baseline, distinct, one user, baseline, ...); ` +
        'the figure is the mean tps of the rounds. ' +
        `The baseline is pgbench's single-row \`UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = :aid\` on a ` +
        `scale-${cfg.pgbenchScale} pgbench database (schema public of the bench database), as the superuser. Ours connects as ` +
        '`llm_app` and runs one transaction per pair: `set_config` of tenant and user, then ' +
        '`llm.settle_call((select reservation_id from llm.reserve_call(...)), 900, 0, 500, 10, \'ok\')`, with a unique request id. ' +
        `Row 1: client c uses only tenants c+1, c+1+clients, ... of ${cfg.tenants} tenants (one user each), so no two clients share a ` +
        'tenant, user or rollup row. Row 2: every client uses tenant 1 / user 1. Before row 1, one reserve+settle per tenant creates every ' +
        'tenant\'s rollup rows of the current month and hour (steady state, not first use).',
      '- Decisions were counted in `llm_private.decisions` after each run (anything but allow would mean a replay or a block).',
      `- Row 3: two databases, both migrated and seeded alike: the bench database (ledger emptied after rows 1-2) with ` +
        `${fmt(cfg.historySmall)} calls of history and a second one with ${fmt(cfg.historyLarge)}. History was bulk-loaded as the ` +
        'superuser with INSERT ... SELECT generate_series, directly in its final state (requests done, reservations settled, ' +
        'decisions allow, plus the month/hour rollups they imply) with `session_replication_role = replica` for the load ' +
        'transaction only, which skips the born-held/born-open insert triggers and the FK triggers (CHECK constraints still apply; ' +
        'the rows satisfy the foreign keys by construction), then `ANALYZE` and `CHECKPOINT`. Latency is the round trip of the ' +
        '`select ... from llm.reserve_call(...)` statement from Node `pg`, one connection per database as llm_app, inside ' +
        '`withContext` (src/db/context.ts); each reservation is then settled in the same transaction (row 3b). The two databases ' +
        `are measured in ${cfg.latencyRounds} alternating rounds. Nearest-rank percentiles.`,
      '- Row 4a: graphile-worker 0.17 `run({ concurrency, taskList: { noop }, pollInterval: 100 })` as llm_worker, jobs pre-queued ' +
        'with `graphile_worker.add_jobs`; jobs/s = completed / seconds from runner start to the deadline (or to the last job).',
      '- The machine is shared and noisy; compare ratios, not absolute numbers, and expect run-to-run variation.',
      '',
    ].join('\n');
    if (cfg.resultsFile) {
      writeFileSync(cfg.resultsFile, report);
      log(`wrote ${relative(process.cwd(), cfg.resultsFile) || cfg.resultsFile}`);
    }
    return 0;
  } catch (e) {
    if (!interrupted) log(`FAILED: ${(e as Error).stack ?? String(e)}`);
    return 1;
  } finally {
    await cleanup();
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
