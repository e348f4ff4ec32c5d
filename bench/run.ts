/**
 * `npm run bench`: the measurements of issue 11, each next to its baseline measured in the same
 * run, printed as one markdown table and written to bench/RESULTS.md with the machine and the
 * command. Sections (BENCH_SECTIONS, default all): pairs (goals 1, 2 and bytes per call of goal 5),
 * e2e (goals 3, 4), scale (goal 5), semantic (goal 6, issue 12's bench/semantic.ts).
 * Databases llmgov_bench_<pid>[_small|_large|_retention] are created on the server of BENCH_DATABASE_URL and
 * dropped at the end, also on failure or Ctrl-C. See bench/README.md.
 */
import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { Client } from 'pg';
import { redactUrl, urlForDatabase } from '../src/db/urls';
import { benchEnv, BenchConfig, loadConfig } from './config';
import { countRows, createBenchDatabase, dropDatabase, MONEY_TABLES, moneyBytes, perClient, withClient } from './db';
import { breakdownMedians, type E2EResult, runE2E } from './e2e';
import { factsMarkdown, load, machineFacts, type MachineFacts } from './facts';
import { CONF_LABEL, CONFS, type ClientsResult, PairsBench, summarize } from './pairs';
import { pgbenchInit } from './pgbench';
import { type LedgerLabel, type LedgerLatency, loadHistory, measureLedgerLatency } from './scale';
import { loadSemantic } from './semantic-hook';
import { median, percentile } from './stats';
import { fmt, type GoalRow, goalTable, met, ms } from './table';

const t0 = Date.now();
function log(msg: string): void {
  process.stderr.write(`[bench +${((Date.now() - t0) / 1000).toFixed(0)}s] ${msg}\n`);
}

const r3 = (x: number): string => (Number.isFinite(x) ? x.toFixed(3) : 'n/a');
const notMeasured = (goal: string, measurement: string, why: string, target: string): GoalRow =>
  ({ goal, measurement, ours: `not measured: ${why}`, baseline: '–', ratio: '–', target, met: '–' });

interface Results {
  pairs: ClientsResult[] | null;
  pairsError: string | null;
  bytes: { perCall: number; calls: number; byTable: Record<string, number>; usageRows: number } | null;
  e2e: E2EResult | null;
  e2eError: string | null;
  scale: LedgerLatency[] | null;
  scaleError: string | null;
  semantic: GoalRow[];
}

/* ------------------------------------------------------------------ the table */

function pairRows(cfg: BenchConfig, res: Results, notes: string[]): GoalRow[] {
  const rows: GoalRow[] = [];
  const targetAt8 = (c: number, t: string): string => (c === 8 ? t : `reported (${t} at 8 clients)`);
  const judge = (c: number, x: number, bound: number): string => (c === 8 ? met(x, bound, '>=') : '–');
  if (!res.pairs) {
    const why = res.pairsError ?? 'section skipped (BENCH_SECTIONS)';
    return [
      notMeasured('1', 'reserve+settle pairs/s ÷ pgbench UPDATE tps', why, '≥ 0.30 / 0.20 / 0.30 at 8 clients'),
      notMeasured('2', 'with a global hourly limit ÷ without', why, '≥ 0.90'),
    ];
  }
  const specs = [
    { ours: 'distinct', base: 'upd', goal: '1', what: 'distinct tenants ÷ single-row UPDATE', bound: 0.3 },
    { ours: 'big', base: 'upd', goal: '1', what: 'one tenant with 1 000 users ÷ single-row UPDATE', bound: 0.2 },
    { ours: 'hot', base: 'upd_hot', goal: '1', what: 'one hot user ÷ one-hot-row UPDATE', bound: 0.3 },
    { ours: 'global', base: 'distinct', goal: '2', what: 'distinct tenants with a global hourly limit (16 escrow shards) ÷ without', bound: 0.9 },
  ] as const;
  for (const s of specs) {
    for (const r of res.pairs) {
      const x = summarize(r, s.ours, s.base);
      const unit = s.base === 'distinct' ? 'pairs/s' : 'tps';
      rows.push({
        goal: s.goal,
        measurement: `reserve+settle pairs/s, ${s.what}, ${r.clients} client${r.clients > 1 ? 's' : ''}`,
        ours: `${fmt(x.ours)} pairs/s`,
        baseline: `${s.base === 'distinct' ? 'without' : CONF_LABEL[s.base].split(' (')[0]}: ${fmt(x.base)} ${unit}`,
        ratio: `${r3(x.ratio)} (${x.rounds} round${x.rounds === 1 ? '' : 's'})`,
        target: targetAt8(r.clients, `≥ ${s.bound.toFixed(2)}`),
        met: judge(r.clients, x.ratio, s.bound),
      });
      if (x.invalid.length) notes.push(`Goal ${s.goal}, ${s.ours} at ${r.clients} clients: invalid runs left out: ${x.invalid.join('; ')}`);
      if (x.rounds < Math.min(3, cfg.rounds)) notes.push(`Goal ${s.goal}, ${s.ours} at ${r.clients} clients: only ${x.rounds} valid rounds.`);
    }
  }
  return rows;
}

function e2eRows(cfg: BenchConfig, res: Results, floorMs: number, notes: string[]): GoalRow[] {
  const e = res.e2e;
  const why = res.e2eError ?? e?.notMeasured ?? (e ? null : 'section skipped (BENCH_SECTIONS)');
  const c = cfg.workerConcurrency;
  const noop = e ? median(e.noop.map((x) => x.jobsPerSecond)) : NaN;
  const floor = Number.isFinite(floorMs) ? `floor, 2 commits = 2 × pgbench UPDATE latency at 1 client: ${ms(floorMs)}` : '–';
  if (why || !e || !e.governed) {
    const reason = why ?? 'unknown';
    return [
      notMeasured('3', 'governance overhead per call (all but the provider), concurrency 1, p50 / p99', reason, 'p50 ≤ 1.5 ms, p99 ≤ 5 ms'),
      {
        ...notMeasured('4', `governed jobs/s end to end ÷ graphile-worker no-op jobs/s, concurrency ${c}`, reason, '≥ 0.50'),
        baseline: Number.isFinite(noop) ? `no-op: ${fmt(noop)} jobs/s` : '–',
      },
    ];
  }
  const b = breakdownMedians(e.jobs);
  const workerOwn = e.jobs.map((j) => j.workerGovernanceMs).filter((x): x is number => x !== null);
  if (e.unattributed) notes.push(`Goal 3: ${e.unattributed} jobs at concurrency 1 could not be broken down (no provider latency logged or a part not seen) and are left out.`);
  const gov = median(e.governed.map((x) => x.jobsPerSecond));
  return [
    {
      goal: '3', measurement: `governance overhead per call (all but the provider), concurrency 1, p50 (${e.jobs.length} jobs)`,
      ours: ms(b.total), baseline: floor, ratio: r3(b.total / floorMs), target: '≤ 1.5 ms', met: met(b.total, 1.5, '<='),
    },
    {
      goal: '3', measurement: 'same, p99', ours: ms(b.p99), baseline: '–', ratio: '–', target: '≤ 5 ms', met: met(b.p99, 5, '<='),
    },
    {
      goal: '3', measurement: 'breakdown, p50 of each part (parts do not add up to the p50 total)',
      ours: `job fetch ${ms(b.fetch)}, ` + (b.read > 0 ? `read request (llm.request_for_call) ${ms(b.read)}, ` : '') +
        `reserve ${ms(b.reserve)}, Node work ${ms(b.node)}, settle ${ms(b.settle)}, job completion ${ms(b.completion)}`,
      baseline: `provider call (not counted) ${ms(b.provider)}` +
        (workerOwn.length ? `; the worker's own governance_ms p50 / p99 ${ms(percentile(workerOwn, 50))} / ${ms(percentile(workerOwn, 99))}` : ''),
      ratio: '–', target: '–', met: '–',
    },
    {
      goal: '4', measurement: `governed jobs/s end to end ÷ graphile-worker no-op jobs/s, concurrency ${c}`,
      ours: `${fmt(gov)} jobs/s`, baseline: `no-op: ${fmt(noop)} jobs/s`, ratio: `${r3(median(e.ratios))} (${e.ratios.length} round${e.ratios.length === 1 ? '' : 's'})`,
      target: '≥ 0.50', met: met(median(e.ratios), 0.5, '>='),
    },
  ];
}

function scaleRows(cfg: BenchConfig, res: Results): GoalRow[] {
  const rows: GoalRow[] = [];
  const small = res.scale?.find((x) => x.label === 'small');
  const large = res.scale?.find((x) => x.label === 'large');
  if (small && large) {
    const desc = (l: LedgerLatency): string => `${fmt(l.attempts)} rows`;
    for (const p of [50, 99]) {
      const a = percentile(large.reserve, p);
      const b = percentile(small.reserve, p);
      rows.push({
        goal: '5', measurement: `reserve p${p} at ${desc(large)} in the ledger ÷ at ${desc(small)} (${large.reserve.length} calls each)`,
        ours: ms(a), baseline: ms(b), ratio: r3(a / b), target: '≤ 1.2', met: met(a / b, 1.2, '<='),
      });
    }
    const sp = (l: LedgerLatency): string => `${ms(percentile(l.settle, 50))} / ${ms(percentile(l.settle, 99))}`;
    rows.push({
      goal: '5', measurement: 'settle p50 / p99, same calls', ours: sp(large), baseline: sp(small),
      ratio: `${r3(percentile(large.settle, 50) / percentile(small.settle, 50))} / ${r3(percentile(large.settle, 99) / percentile(small.settle, 99))}`,
      target: 'reported', met: '–',
    });
    const kept = res.scale?.find((x) => x.label === 'retention');
    if (kept) {
      const r = (p: number, f: (l: LedgerLatency) => number[]): string => r3(percentile(f(kept), p) / percentile(f(small), p));
      rows.push({
        goal: '5', measurement: `reserve p50 / p99 with ${kept.partitions} partitions per table (a full retention of months) ÷ with ` +
          `${small.partitions}, same rows; settle in brackets`,
        ours: `${ms(percentile(kept.reserve, 50))} / ${ms(percentile(kept.reserve, 99))} (${ms(percentile(kept.settle, 50))} / ${ms(percentile(kept.settle, 99))})`,
        baseline: `${ms(percentile(small.reserve, 50))} / ${ms(percentile(small.reserve, 99))} (${ms(percentile(small.settle, 50))} / ${ms(percentile(small.settle, 99))})`,
        ratio: `${r(50, (l) => l.reserve)} / ${r(99, (l) => l.reserve)} (${r(50, (l) => l.settle)} / ${r(99, (l) => l.settle)})`,
        target: 'reported', met: '–',
      });
    }
    const refused = (res.scale ?? []).reduce((n, l) => n + l.refused, 0);
    if (refused) {
      rows.push(notMeasured('5', 'probe refusals', `${refused} probe reserves were not allow: figures suspect`, '0'));
    }
  } else {
    rows.push(notMeasured('5', `reserve p50 / p99 at ${fmt(cfg.scaleRows)} ledger rows ÷ at ${fmt(cfg.scaleSmallRows)}`,
      res.scaleError ?? 'section skipped (BENCH_SECTIONS)', '≤ 1.2'));
  }
  if (res.bytes) {
    rows.push({
      goal: '5', measurement: `bytes on disk per governed call (heap + indexes of ${MONEY_TABLES.join(', ')}), after VACUUM, ` +
        `${fmt(res.bytes.calls)} calls written by reserve/settle in the pairs section`,
      ours: `${fmt(res.bytes.perCall)} B`,
      baseline: large ? `bulk-loaded history (final rows, no dead space): ${fmt(large.bytesPerRow)} B` : '–',
      ratio: '–', target: '≤ 400 B', met: met(res.bytes.perCall, 400, '<='),
    });
  } else {
    rows.push(notMeasured('5', 'bytes on disk per governed call', res.pairsError ?? 'needs the pairs section', '≤ 400 B'));
  }
  return rows;
}

/* ------------------------------------------------------------------ sections */

async function pairsSection(cfg: BenchConfig, adminUrl: string, admin: Client, res: Results): Promise<void> {
  log(`pgbench -i -s ${cfg.pgbenchScale} (baseline tables in schema public of the same database)`);
  await pgbenchInit(cfg.pgbenchPath, adminUrl, cfg.pgbenchScale);
  await admin.query('vacuum (analyze)');
  await admin.query('checkpoint');
  const before = await moneyBytes(admin);
  const attemptsBefore = await countRows(admin, 'attempts');
  const bench = new PairsBench({ admin, adminUrl, pgbench: cfg.pgbenchPath, pgbenchScale: cfg.pgbenchScale, clients: cfg.clients,
    rounds: cfg.rounds, seconds: cfg.seconds, log });
  res.pairs = await bench.measure();
  log('bytes per governed call: VACUUM (ANALYZE), then the money tables\' size');
  await admin.query('vacuum (analyze)');
  const after = await moneyBytes(admin);
  const calls = (await countRows(admin, 'attempts')) - attemptsBefore;
  const delta = MONEY_TABLES.reduce((s, t) => s + after[t]! - before[t]!, 0);
  res.bytes = { perCall: delta / Math.max(1, calls), calls, usageRows: await countRows(admin, 'usage'),
    byTable: Object.fromEntries(MONEY_TABLES.map((t) => [t, (after[t]! - before[t]!) / Math.max(1, calls)])) };
}

async function scaleSection(cfg: BenchConfig, prefix: string, res: Results, dbs: string[]): Promise<void> {
  const maxClients = Math.max(...cfg.clients);
  const probes: { label: LedgerLabel; url: string }[] = [];
  for (const [label, rows] of [['small', cfg.scaleSmallRows], ['large', cfg.scaleRows], ['retention', cfg.scaleSmallRows]] as const) {
    const name = `${prefix}_${label}`;
    dbs.push(name);
    const url = await createBenchDatabase(cfg.serverUrl, name, maxClients, log);
    if (label === 'retention') {
      const n = await withClient(url, async (c) => (await c.query<{ n: number }>('select llm_bench.add_retained_partitions() as n')).rows[0]!.n);
      log(`${name}: ${n} partitions of the months a full retention keeps, created empty`);
    }
    log(`loading ${fmt(rows)} governed calls of history into ${name}`);
    await loadHistory(url, rows, label, log);
    probes.push({ label, url });
  }
  log(`reserve latency: ${cfg.latencyWarmup} warm-up + ${cfg.latencyRounds} alternating rounds of ${cfg.latencyCalls} calls on each database`);
  res.scale = await measureLedgerLatency({ dbs: probes, calls: cfg.latencyCalls, warmup: cfg.latencyWarmup, rounds: cfg.latencyRounds, log });
}

async function semanticSection(cfg: BenchConfig, res: Results): Promise<void> {
  const mod = loadSemantic();
  if (typeof mod === 'string') {
    res.semantic = [notMeasured('6', 'semantic cache lookup p50 / p99 (issue 12)', mod, 'reported')];
    return;
  }
  try {
    const rows = await mod.runSemanticBench({ serverUrl: cfg.serverUrl, log: (m) => log(`semantic: ${m}`),
      ...(cfg.quick ? { sizes: [1000], lookups: 20, warmup: 5, pglite: false } : {}) });
    res.semantic = rows.map((r) => ({ goal: '6', measurement: `${r.measurement} (${r.notes})`, ours: r.ours, baseline: r.baseline,
      ratio: r.ratio, target: 'reported', met: '–' }));
  } catch (e) {
    res.semantic = [notMeasured('6', 'semantic cache lookup p50 / p99 (issue 12)', `runSemanticBench failed: ${(e as Error).message.split('\n')[0]}`, 'reported')];
  }
}

/* ------------------------------------------------------------------ main */

/** The raw per-round figures behind the medians (goals 1, 2 and 4). */
function perRound(res: Results): string[] {
  const out: string[] = [];
  if (res.pairs?.length) {
    const rounds = Math.max(...res.pairs.map((r) => r.tps.upd.length));
    out.push('## Per-round figures', '', 'pgbench tps (pairs/s for the pair workloads), in round order; INVALID = left out (see Notes).', '',
      `| clients | configuration | ${Array.from({ length: rounds }, (_, i) => `round ${i + 1}`).join(' | ')} |`,
      `|---:|---|${'---:|'.repeat(rounds)}`);
    for (const r of res.pairs) {
      for (const c of CONFS) {
        out.push(`| ${r.clients} | ${CONF_LABEL[c]} | ${r.tps[c].map((x) => (Number.isFinite(x) ? fmt(x) : 'INVALID')).join(' | ')} |`);
      }
    }
    out.push('');
  }
  if (res.e2e?.noop.length) {
    out.push(`End to end, jobs/s per round (concurrency ${res.e2e.concurrency}): no-op ${res.e2e.noop.map((x) => fmt(x.jobsPerSecond)).join(', ')}` +
      (res.e2e.governed?.length ? `; governed ${res.e2e.governed.map((x) => fmt(x.jobsPerSecond)).join(', ')}` : ''), '');
  }
  return out;
}

function report(cfg: BenchConfig, facts: MachineFacts, table: string, notes: string[], res: Results): string {
  const per = perClient(Math.max(...cfg.clients));
  const cmd = `${benchEnv()}${benchEnv() ? ' ' : ''}npm run bench`;
  return [
    '# Benchmark results (issue 11)',
    '',
    ...(cfg.quick ? ['> **SMOKE RUN (BENCH_QUICK=1): short rounds and a small ledger, to check that the harness works. Not a result.**', ''] : []),
    `Command: \`${cmd}\`  `,
    `Date: ${new Date().toISOString()}; wall time ${((Date.now() - t0) / 1000).toFixed(0)} s; server ${redactUrl(cfg.serverUrl)}`,
    '',
    '## Machine',
    factsMarkdown(facts, load()),
    '',
    '## Results',
    '',
    'Each ratio is against a baseline measured in the same run; for goals 1, 2 and 4 it is the median of the per-round ratios ' +
      '(configurations interleaved in rotating order), next to the median raw figures. Compare ratios, not raw figures: the machine is shared.',
    '',
    table,
    '',
    ...(notes.length ? ['## Notes', '', ...notes.map((n) => `- ${n}`), ''] : []),
    ...perRound(res),
    '## How these were measured',
    '',
    `- Goals 1 and 2 (bench/pairs.ts): pgbench \`-n -c <clients> -j min(2, clients)\`, ${cfg.rounds} rounds per client count; in each round the six ` +
      `configurations run in rotating order, the baselines for ${cfg.seconds} s (\`-T\`), the pair workloads with \`-t\` sized from the previous run ` +
      `of the same configuration to last about ${cfg.seconds} s; tps is counted from pgbench's per-transaction log (\`-l\`) in the window where ` +
      'every client is past its first 3 transactions (a new connection\'s first calls compile the PL/pgSQL functions: ~0.5 s each here) ' +
      `and no client has finished, for the baselines alike. A round starts with VACUUM (ANALYZE) and CHECKPOINT; before the rounds of each ` +
      'client count one short run of every configuration warms up and calibrates (not counted). A pair = two transactions, each one round trip: ' +
      '`set_config(role llm_money, tenant, user, context_tx) \\; select ... from llm.reserve_call(pk, 1, 1000, 30000)`, then the same context and ' +
      '`llm.settle_call(pk, attempt_no, \'ok\', 1000, 0, 500, 5)` (no output stored). Requests are pre-created queued before each run ' +
      '(bench/sql/bench-schema.sql) and each client walks its own with a per-client sequence. Distinct tenants: each client cycles over its own ' +
      `${per} tenants (one user each); one tenant: ${per} of its 1 000 users per client; hot: one user for all. Caps raised to 10^15 micro-USD; ` +
      'after every run all its attempts must be settled + allow and every request done, else the run is invalid and left out. ' +
      `Baselines: \`UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = :aid\` (random aid, scale ${cfg.pgbenchScale}) and the same on aid = 1, as the superuser, same database.`,
    `- Bytes per call: money tables (${MONEY_TABLES.join(', ')}: heap, indexes, TOAST, every partition) after VACUUM, minus their size before the ` +
      'pairs section, divided by the attempts written in it (requests pre-created by SQL, not through enqueue_call: no job_id update).',
    `- Goals 3 and 4 (bench/e2e.ts): the worker of this tree (src/worker startWorker), local mock provider in process, ${cfg.e2eRounds} rounds of ` +
      `{no-op at concurrency ${cfg.workerConcurrency}, governed at ${cfg.workerConcurrency}, governed at 1} in rotating order, ${cfg.e2eSeconds} s each, ` +
      `poll interval ${cfg.pollIntervalMs} ms, batched completion as in src/worker/run.ts; jobs held and released at once, clock from the first ` +
      'job:start to the last job:complete (or the deadline); VACUUM of the queue and ledger before each phase. Governed requests enter through ' +
      'llm.enqueue_call as llm_app with a signed context. The breakdown times every query from outside the worker (bench/instrument.ts).',
    `- Goal 5 (bench/scale.ts): three databases migrated and seeded alike, ${fmt(cfg.scaleSmallRows)} and ${fmt(cfg.scaleRows)} governed calls of ` +
      'history bulk-loaded (requests, request_inputs, attempts in the current and the previous month; bench/sql/history.sql), VACUUM (ANALYZE), ' +
      `CHECKPOINT; then ${cfg.latencyRounds} alternating rounds of ${cfg.latencyCalls} sequential calls on each (after ${cfg.latencyWarmup} warm-up), ` +
      'as llm_worker: `begin; set local role llm_money; set_config(...)`, the timed reserve_call and settle_call statements, commit. Nearest-rank percentiles. ' +
      `The third database has ${fmt(cfg.scaleSmallRows)} calls and, created empty, the monthly partitions a full retention keeps (llm_bench.add_retained_partitions).`,
    '- Goal 6: bench/semantic.ts (issue 12), called as runSemanticBench({ serverUrl }).',
    '',
  ].join('\n');
}

async function main(): Promise<number> {
  const cfg = loadConfig();
  const prefix = `llmgov_bench_${process.pid}`;
  const dbs: string[] = [];
  let admin: Client | null = null;
  let dropping: Promise<void> | null = null;
  const cleanup = (): Promise<void> => {
    dropping ??= (async () => {
      await admin?.end().catch(() => {});
      if (cfg.keepDatabase) {
        log(`BENCH_KEEP_DB=1: keeping ${dbs.join(', ') || 'nothing'}`);
        return;
      }
      for (const name of dbs) {
        log(`dropping database ${name}`);
        await dropDatabase(cfg.serverUrl, name).catch((e: Error) => log(`could not drop ${name}: ${e.message}`));
      }
    })();
    return dropping;
  };
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      log(`${sig}: cleaning up`);
      void cleanup().finally(() => process.exit(130));
    });
  }
  const res: Results = { pairs: null, pairsError: null, bytes: null, e2e: null, e2eError: null, scale: null, scaleError: null, semantic: [] };
  let failed = false;
  const attempt = async (name: string, fn: () => Promise<void>, onError: (msg: string) => void): Promise<void> => {
    try {
      await fn();
    } catch (e) {
      failed = true;
      const msg = (e as Error).message.split('\n')[0] ?? String(e);
      log(`${name} FAILED: ${(e as Error).stack ?? msg}`);
      onError(`${name} failed: ${msg}`);
    }
  };
  try {
    log(`sections: ${cfg.sections.join(', ')}${cfg.quick ? ' (BENCH_QUICK=1: smoke run)' : ''}; server ${redactUrl(cfg.serverUrl)}`);
    const mainUrl = urlForDatabase(cfg.serverUrl, prefix);
    dbs.push(prefix);
    await createBenchDatabase(cfg.serverUrl, prefix, Math.max(...cfg.clients), log);
    admin = new Client({ connectionString: mainUrl });
    await admin.connect();
    const facts = await machineFacts(admin, cfg.pgbenchPath);
    process.stdout.write(`\n## Machine\n${factsMarkdown(facts, load())}\n\n`);

    if (cfg.sections.includes('pairs')) {
      await attempt('pairs', () => pairsSection(cfg, mainUrl, admin!, res), (m) => { res.pairsError = m; });
    }
    if (cfg.sections.includes('e2e')) {
      log(`end to end: ${cfg.e2eRounds} round(s) of no-op / governed (concurrency ${cfg.workerConcurrency}) / governed (concurrency 1), ${cfg.e2eSeconds} s each`);
      await attempt('e2e', async () => {
        res.e2e = await runE2E({ adminUrl: mainUrl, rounds: cfg.e2eRounds, seconds: cfg.e2eSeconds, concurrency: cfg.workerConcurrency,
          pollIntervalMs: cfg.pollIntervalMs, log });
      }, (m) => { res.e2eError = m; });
    }
    if (cfg.sections.includes('scale')) {
      await attempt('scale', () => scaleSection(cfg, prefix, res, dbs), (m) => { res.scaleError = m; });
    }
    if (cfg.sections.includes('semantic')) {
      log('semantic cache (issue 12)');
      await attempt('semantic', () => semanticSection(cfg, res), (m) => {
        res.semantic = [notMeasured('6', 'semantic cache lookup p50 / p99 (issue 12)', m, 'reported')];
      });
    }

    // The 2-commit floor of goal 3: two single-row UPDATE transactions at 1 client, from the pairs section.
    const one = res.pairs?.find((r) => r.clients === 1);
    const floorMs = one ? 2000 / median(one.tps.upd) : NaN;
    const notes: string[] = [];
    const rows = [...pairRows(cfg, res, notes), ...e2eRows(cfg, res, floorMs, notes), ...scaleRows(cfg, res), ...res.semantic];
    if (res.bytes) {
      notes.push(`Bytes per call by table: ${Object.entries(res.bytes.byTable).map(([t, b]) => `${t} ${fmt(b)} B`).join(', ')}. ` +
        `usage and alerts hold rows per subject and period (${fmt(res.bytes.usageRows)} usage rows here, for ~2 000 subjects), ` +
        `amortized over this run's ${fmt(res.bytes.calls)} calls: the shorter the run, the larger their share.`);
    }
    if (cfg.rounds < 3) notes.push(`BENCH_ROUNDS=${cfg.rounds}: fewer than the 3 rounds issue 11 asks for.`);
    const table = goalTable(rows);
    process.stdout.write(`## Results${cfg.quick ? ' (SMOKE RUN, not a result)' : ''}\n\n${table}\n\n${notes.map((n) => `- ${n}`).join('\n')}\n`);
    if (cfg.resultsFile) {
      writeFileSync(cfg.resultsFile, report(cfg, facts, table, notes, res));
      log(`wrote ${relative(process.cwd(), cfg.resultsFile) || cfg.resultsFile}`);
    }
    return failed ? 1 : 0;
  } catch (e) {
    log(`FAILED: ${(e as Error).stack ?? String(e)}`);
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
