import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { loadFlotillaConfig } from '@flotilla/platform/config';
import { startPostgresServer } from '@flotilla/testing';

import { readOptions, UsageError, wholeNumber } from './bench-options';
import { runBenchmark, Teardown } from './bench-runner';
import { formatTable, printVerdicts, progress, seconds } from './report';
import { comparisonTable, roundsTable, treeFigures, verdicts } from './security-overhead/comparison';
import {
  measureRound,
  PATHS,
  prepare,
  NODES,
  Settings,
  Subject,
  TreeName,
  TREES,
} from './security-overhead/subject';
import { HOLDER_IN_TREE, HOLDER_SOURCE } from './security-overhead/tree-cluster';
import {
  addWorktree,
  dependencyMismatches,
  removeWorktree,
  resolveCommit,
  Worktree,
} from './security-overhead/worktree';

const USAGE = `Security overhead (issue 9): the same measurements on a 3-node cluster (Redis, HAProxy) of two
commits side by side — "before" (main before the trust-boundary work) and "after" (HEAD) — each a git
worktree in a temporary folder running its own code, the rounds alternating between them.
  pickup latency: deployments of a trivial script queued one after another through HAProxy;
                  startedAt - queuedAt (database time)
  REST:           authenticated GETs through HAProxy (project list, first page of tasks), twice a round:
                  saturated (closed loop: each client sends its next request when answered) and at a
                  fixed offered load (open loop, Poisson arrivals, the same schedule for both trees)
Usage: npm run bench:security -- [options]`;

/** Defaults: full run (about 8 minutes on a quiet 2-core machine) and --quick (about 2). */
const DEFAULTS = {
  full: { rounds: 4, pickup: 25, 'pickup-warmup': 3, 'rest-seconds': 20, 'rest-warmup': 5, 'seed-tasks': 20 },
  quick: { rounds: 2, pickup: 8, 'pickup-warmup': 2, 'rest-seconds': 6, 'rest-warmup': 2, 'seed-tasks': 6 },
};
const defaultHelp = (name: keyof typeof DEFAULTS.full): string =>
  `(default ${DEFAULTS.full[name]}; --quick ${DEFAULTS.quick[name]})`;

const options = readOptions(USAGE, {
  base: { default: '48d7035', help: '"before" commit: main before the trust-boundary work' },
  after: { default: 'HEAD', help: '"after" commit (a worktree of it: uncommitted changes are not measured)' },
  quick: { flag: true, help: 'a short smoke run; options given explicitly still apply' },
  rounds: { help: `rounds; each measures both trees, the order alternating ${defaultHelp('rounds')}` },
  pickup: { help: `measured deployments per tree and round ${defaultHelp('pickup')}` },
  'pickup-warmup': { help: `unmeasured deployments per tree before round 1 ${defaultHelp('pickup-warmup')}` },
  'rest-seconds': { help: `measured REST seconds per tree and round ${defaultHelp('rest-seconds')}` },
  'rest-warmup': {
    help: `seconds of unmeasured REST load before each measured run ${defaultHelp('rest-warmup')}`,
  },
  clients: { default: '16', help: 'concurrent REST clients, each on its own keep-alive connection' },
  rate: {
    help:
      'offered load of the fixed-rate REST run, req/s (default: half what the "before" cluster sustained ' +
      'in its warm-up, the same for both trees)',
  },
  'seed-tasks': {
    help: `finished deployments seeded in each cluster before the run ${defaultHelp('seed-tasks')}`,
  },
});

function readSettings(): Settings {
  const preset = options.quick === 'true' ? DEFAULTS.quick : DEFAULTS.full;
  const number = (name: keyof typeof DEFAULTS.full, min: number, max: number): number =>
    wholeNumber(name, options[name] ?? String(preset[name]), min, max);
  return {
    rounds: number('rounds', 1, 100),
    pickup: number('pickup', 1, 10_000),
    pickupWarmup: number('pickup-warmup', 0, 1000),
    restMs: number('rest-seconds', 1, 3600) * 1000,
    restWarmupMs: number('rest-warmup', 0, 600) * 1000,
    clients: wholeNumber('clients', options.clients, 1, 1024),
    seedTasks: number('seed-tasks', 0, 10_000),
    fixedRate: options.rate === undefined ? 0 : wholeNumber('rate', options.rate, 1, 100_000),
  };
}

async function checkout(teardown: Teardown, repo: string, root: string, name: TreeName, ref: string) {
  const dir = join(root, name);
  progress(`${name}: git worktree of ${ref} in ${dir}`);
  return teardown.use(
    `the ${name} worktree`,
    Promise.resolve().then(() => addWorktree(repo, ref, dir, { [HOLDER_IN_TREE]: HOLDER_SOURCE })),
    (tree) => Promise.resolve(removeWorktree(repo, tree.dir)),
  );
}

function header(
  subjects: Record<TreeName, Subject>,
  settings: Settings,
  pollMs: number,
  mismatches: Record<TreeName, string[]>,
): string[] {
  const describe = (subject: Subject) =>
    `  ${subject.name.padEnd(7)} ${subject.tree.commit.slice(0, 7)} (${subject.tree.ref}) ${subject.tree.subject.slice(0, 90)}`;
  return [
    '',
    `Security overhead: a ${NODES}-node cluster (Redis, HAProxy, PostgreSQL) of each commit, both up for the whole run,`,
    `measured in ${settings.rounds} round(s) that alternate which tree goes first.`,
    describe(subjects.before),
    describe(subjects.after),
    `  "after" checks caller tokens and call policies on every gRPC call (always on); both poll every ${pollMs} ms behind the Redis signal.`,
    ...TREES.map((name) =>
      mismatches[name].length
        ? `  ${name} runs on node_modules that differ from its pins: ${mismatches[name].join('; ')}`
        : `  ${name} runs on the main checkout's node_modules (linked), every dependency at the version it pins.`,
    ),
    `Pickup: per tree and round ${settings.pickup} deployments of a trivial script queued through HAProxy one after another`,
    `  (after ${settings.pickupWarmup} unmeasured ones); latency = startedAt - queuedAt, database time.`,
    `REST: per tree and round ${seconds(settings.restMs)} of ${settings.clients} closed-loop keep-alive clients through HAProxy`,
    `  (GET ${PATHS.join(', GET ')}, signed in) after ${seconds(settings.restWarmupMs)} of warm-up: saturated, latency = clients / throughput;`,
    `  then ${seconds(settings.restMs)} at a fixed ${settings.fixedRate} req/s (open loop, Poisson arrivals, latency from the scheduled`,
    `  start) on the same ${settings.clients} connections${fixedRateOrigin(subjects)}.`,
    'The load generator, both clusters and their databases share the machine; the idle cluster still polls.',
    '',
  ];
}

function fixedRateOrigin(subjects: Record<TreeName, Subject>): string {
  if (options.rate !== undefined) return ' (--rate)';
  return `: half the ${subjects.before.warmupRequestsPerSecond.toFixed(0)} req/s "before" sustained in its warm-up`;
}

runBenchmark(async (teardown) => {
  const settings = readSettings();
  const repo = resolve(__dirname, '..', '..', '..');
  const refs: Record<TreeName, string> = {
    before: options.base ?? '48d7035',
    after: options.after ?? 'HEAD',
  };
  // Fail on a bad ref before anything starts.
  for (const name of TREES) {
    try {
      resolveCommit(repo, refs[name]);
    } catch (error) {
      throw new UsageError(`--${name === 'before' ? 'base' : 'after'}: ${(error as Error).message}`);
    }
  }
  const startedAt = Date.now();
  const loadAtStart = loadavg();

  const root = await teardown.use(
    'the temporary folder',
    Promise.resolve().then(() => mkdtempSync(join(tmpdir(), 'flotilla-bench-security-'))),
    (dir) => Promise.resolve(rmSync(dir, { recursive: true, force: true })),
  );
  const trees = {} as Record<TreeName, Worktree>;
  for (const name of TREES) trees[name] = await checkout(teardown, repo, root, name, refs[name]);
  // Both trees run on the main checkout's node_modules: say so when it is not what a tree pins.
  const nodeModules = join(repo, 'node_modules');
  const mismatches = {} as Record<TreeName, string[]>;
  for (const name of TREES) {
    mismatches[name] = dependencyMismatches(trees[name].dir, nodeModules);
    for (const mismatch of mismatches[name])
      progress(`${name}: node_modules differs from its pins: ${mismatch}`);
  }

  // One PostgreSQL server for both clusters (each creates its own database on it).
  let pgBaseUrl = process.env['FLOTILLA_TEST_PG_BASE_URL'];
  if (!pgBaseUrl) {
    const server = await teardown.use('PostgreSQL', startPostgresServer(), (started) => started.stop());
    pgBaseUrl = server.baseUrl;
  }
  const env: NodeJS.ProcessEnv = { ...process.env, FLOTILLA_TEST_PG_BASE_URL: pgBaseUrl };
  // The production poll interval (the fallback behind Redis), read from the configuration code.
  const pollMs = loadFlotillaConfig({}).pollIntervalMs;
  const clusterEnv: Record<string, string> = { FLOTILLA_POLL_INTERVAL_MS: String(pollMs) };

  // One cluster after the other: two starting at once on two cores would only slow both.
  const subjects = {} as Record<TreeName, Subject>;
  for (const name of TREES)
    subjects[name] = await prepare(
      teardown,
      name,
      trees[name],
      settings,
      env,
      clusterEnv,
      join(root, `${name}-cluster.log`),
    );

  // The same offered load for both trees: half what "before" sustained, a server busy but not saturated.
  if (!settings.fixedRate)
    settings.fixedRate = Math.max(1, Math.round(subjects.before.warmupRequestsPerSecond / 2));
  progress(`fixed-rate REST runs at ${settings.fixedRate} req/s`);

  const orders: string[] = [];
  for (let round = 0; round < settings.rounds; round += 1) {
    // Alternating the order: a trend over the run (warming, other load) hits both trees alike.
    const order: readonly TreeName[] = round % 2 === 0 ? TREES : [...TREES].reverse();
    orders.push(order.join(' -> '));
    for (const name of order)
      await measureRound(subjects[name], settings, round, `round ${round + 1}/${settings.rounds}`);
  }

  const before = treeFigures(subjects.before.rounds);
  const after = treeFigures(subjects.after.rounds);
  const loadAtEnd = loadavg();
  process.stdout.write(
    [
      ...header(subjects, settings, pollMs, mismatches),
      comparisonTable(before, after, settings.fixedRate),
      '',
      'By round (pooled figures above):',
      roundsTable(orders, subjects.before.rounds, subjects.after.rounds),
      '',
      formatTable(
        ['machine', 'value'],
        [
          ['cores', String(cpus().length)],
          ['load average at start (1/5/15 min)', loadAtStart.map((value) => value.toFixed(1)).join(' / ')],
          ['load average at end (1/5/15 min)', loadAtEnd.map((value) => value.toFixed(1)).join(' / ')],
          ['run time (both clusters started, seeded, measured)', seconds(Date.now() - startedAt)],
        ],
      ),
      '',
    ].join('\n'),
  );
  return printVerdicts(verdicts(before, after, settings.fixedRate));
});
