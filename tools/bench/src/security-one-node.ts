import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { startPostgresServer } from '@flotilla/testing';

import { BenchApi } from './bench-cluster';
import { readOptions, UsageError, wholeNumber } from './bench-options';
import { runBenchmark } from './bench-runner';
import { cpuBetween, cpuSnapshot, machineBusySeconds } from './process-cpu';
import { formatTable, progress, seconds } from './report';
import { runOpenLoop } from './open-loop-load';
import { percentile } from './percentiles';
import { errorCount, keepAliveAgent, LoadResult, runClosedLoop } from './rest-load';
import { seedRestRows } from './rest-seed';
import {
  checkPerfInstalled,
  describeRecording,
  PERF_NODE_OPTIONS,
  PerfRecording,
  startPerfRecording,
} from './security-one-node-perf';
import { PATHS } from './security-overhead/subject';
import { HOLDER_IN_TREE, HOLDER_SOURCE, startTreeCluster } from './security-overhead/tree-cluster';
import { addWorktree, removeWorktree, resolveCommit, Worktree } from './security-overhead/worktree';

const USAGE = `CPU per authenticated REST request on one node, several commits in turn (issue 9's overhead
without HAProxy or a cluster in the way): each commit is a git worktree running its own code on one
node (npm start's launcher), started afresh per cycle and alone on the machine; GETs straight to
the gateway, closed loop or at a fixed rate (--rate); CPU of every process from /proc. No inspector
(it slowed the services 2-5x on the 2-core machine): for where the time goes inside a process,
--perf records a round with Linux perf (see the README, "Security overhead").
Usage: npm run bench:security-one-node -- [options]`;

const options = readOptions(USAGE, {
  trees: { default: '48d7035,HEAD', help: 'commits to compare, comma-separated (first = the baseline)' },
  cycles: { default: '2', help: 'times each commit is started and measured, in turn' },
  rounds: { default: '3', help: 'measured rounds per start' },
  seconds: { default: '10', help: 'seconds per round' },
  warmup: { default: '20', help: 'seconds of unmeasured load after each start (JIT)' },
  clients: { default: '8', help: 'concurrent keep-alive clients (closed loop; the pool size with --rate)' },
  rate: {
    help: 'measure at this fixed offered load instead (req/s, open loop, Poisson arrivals, the same schedule for every commit): CPU per request at equal throughput, and latency',
  },
  'seed-tasks': { default: '20', help: 'finished deployments seeded per start' },
  perf: {
    help: 'a folder for `perf record -a -g` of the first round of each start (services run with --perf-basic-prof)',
  },
});

/** The processes reported on their own; the rest are summed as "other". */
const SHOWN = ['gateway', 'task-orchestrator', 'auth', 'audit', 'postgres', 'load generator (this process)'];

interface RoundFigures {
  requestsPerSecond: number;
  latenciesMs: number[];
  /** Busy CPU of the whole machine per request, µs. */
  busyUs: number;
  /** CPU per request by process group, µs. */
  byGroupUs: Map<string, number>;
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

/** How a round loads the node: closed loop (saturated) or a fixed offered load (rate, seeded by round). */
interface Load {
  clients: number;
  rate?: number;
  seed: number;
}

async function measure(
  baseUrl: string,
  token: string,
  load: Load,
  ms: number,
): Promise<[LoadResult, RoundFigures]> {
  const agent = keepAliveAgent(load.clients, baseUrl);
  try {
    const processesBefore = cpuSnapshot();
    const busyBefore = machineBusySeconds();
    const settings = { paths: PATHS, token, clients: load.clients, durationMs: ms, requestTimeoutMs: 30_000 };
    const result = load.rate
      ? await runOpenLoop(baseUrl, agent, { ...settings, ratePerSecond: load.rate, seed: load.seed })
      : await runClosedLoop(baseUrl, agent, settings);
    const busy = machineBusySeconds() - busyBefore;
    const byGroup = cpuBetween(processesBefore, cpuSnapshot());
    const perRequest = (cpuSeconds: number): number => (cpuSeconds * 1e6) / Math.max(1, result.ok);
    return [
      result,
      {
        requestsPerSecond: result.ok / (result.elapsedMs / 1000),
        latenciesMs: result.latenciesMs,
        busyUs: perRequest(busy),
        byGroupUs: new Map([...byGroup].map(([group, spent]) => [group, perRequest(spent)])),
      },
    ];
  } finally {
    agent.destroy();
  }
}

/** One start of one tree: seed, warm up, measure the rounds, stop. */
async function cycle(tree: Worktree, name: string, env: NodeJS.ProcessEnv, settings: Settings) {
  const nodeEnv: Record<string, string> = settings.perfDir ? { NODE_OPTIONS: PERF_NODE_OPTIONS } : {};
  const node = await startTreeCluster(
    tree.dir,
    { nodes: 1, single: true, env: nodeEnv, startTimeoutMs: 300_000 },
    env,
    join(settings.root, `${name}.log`),
  );
  try {
    const api = await BenchApi.signIn(node.baseUrl, node);
    await seedRestRows(api, settings.seedTasks);
    const token = await api.token(node);
    progress(`${tree.ref}: warming up ${settings.warmupS} s`);
    // The warm-up is closed loop: the JIT needs load, whatever the rounds measure.
    await measure(node.baseUrl, token, { clients: settings.clients, seed: 0 }, settings.warmupS * 1000);
    const rounds: RoundFigures[] = [];
    for (let round = 1; round <= settings.rounds; round += 1) {
      const recording: PerfRecording | undefined =
        settings.perfDir && round === 1
          ? startPerfRecording(settings.perfDir, name, settings.seconds)
          : undefined;
      const load: Load = { clients: settings.clients, rate: settings.rate, seed: round };
      const [result, figures] = await measure(node.baseUrl, token, load, settings.seconds * 1000);
      if (recording) {
        await recording.done;
        settings.perfCommands.push(...describeRecording(recording, name, SHOWN));
      }
      if (errorCount(result) > 0)
        throw new Error(`${tree.ref}: failed requests: ${JSON.stringify([...result.errors])}`);
      progress(
        `${tree.ref}: round ${round}: ${figures.requestsPerSecond.toFixed(0)} req/s, busy ${figures.busyUs.toFixed(0)} µs/req, ` +
          `p99 ${percentile(figures.latenciesMs, 99).toFixed(1)} ms`,
      );
      rounds.push(figures);
    }
    return rounds;
  } finally {
    await node.stop();
  }
}

interface Settings {
  root: string;
  /** Where perf recordings go (--perf), and the commands that read them, printed at the end. */
  perfDir?: string;
  perfCommands: string[];
  cycles: number;
  rounds: number;
  seconds: number;
  warmupS: number;
  clients: number;
  rate?: number;
  seedTasks: number;
}

function table(trees: readonly Worktree[], figures: Map<Worktree, RoundFigures[]>): string {
  const baseline = median((figures.get(trees[0]) ?? []).map((round) => round.busyUs));
  const groupMedian = (rounds: readonly RoundFigures[], group: string): number =>
    median(rounds.map((round) => round.byGroupUs.get(group) ?? 0));
  const otherMedian = (rounds: readonly RoundFigures[]): number =>
    median(
      rounds.map((round) =>
        [...round.byGroupUs].filter(([group]) => !SHOWN.includes(group)).reduce((sum, [, us]) => sum + us, 0),
      ),
    );
  const rows = trees.map((tree) => {
    const rounds = figures.get(tree) ?? [];
    const rates = rounds.map((round) => round.requestsPerSecond);
    const busy = median(rounds.map((round) => round.busyUs));
    const latencies = rounds.flatMap((round) => round.latenciesMs);
    return [
      `${tree.commit.slice(0, 7)} (${tree.ref})`,
      `${Math.min(...rates).toFixed(0)}–${Math.max(...rates).toFixed(0)}`,
      median(rates).toFixed(0),
      busy.toFixed(0),
      `${(busy / baseline).toFixed(2)}×`,
      `${percentile(latencies, 50).toFixed(1)}`,
      `${percentile(latencies, 99).toFixed(1)}`,
      ...SHOWN.map((group) => groupMedian(rounds, group).toFixed(0)),
      otherMedian(rounds).toFixed(0),
    ];
  });
  return formatTable(
    [
      'tree',
      'req/s (rounds)',
      'median',
      'busy µs/req',
      'vs first',
      'p50 ms',
      'p99 ms',
      'gateway',
      'orchestrator',
      'auth',
      'audit',
      'postgres',
      'load gen',
      'other',
    ],
    rows,
  );
}

runBenchmark(async (teardown) => {
  const settings: Omit<Settings, 'root'> = {
    ...(options.perf ? { perfDir: resolve(options.perf) } : {}),
    perfCommands: [],
    cycles: wholeNumber('cycles', options.cycles, 1, 20),
    rounds: wholeNumber('rounds', options.rounds, 1, 100),
    seconds: wholeNumber('seconds', options.seconds, 1, 600),
    warmupS: wholeNumber('warmup', options.warmup, 0, 600),
    clients: wholeNumber('clients', options.clients, 1, 256),
    ...(options.rate ? { rate: wholeNumber('rate', options.rate, 1, 100_000) } : {}),
    seedTasks: wholeNumber('seed-tasks', options['seed-tasks'], 0, 1000),
  };
  const repo = resolve(__dirname, '..', '..', '..');
  const refs = (options.trees ?? '')
    .split(',')
    .map((ref) => ref.trim())
    .filter(Boolean);
  if (refs.length === 0) throw new UsageError('--trees: name at least one commit');
  for (const ref of refs) {
    try {
      resolveCommit(repo, ref);
    } catch (error) {
      throw new UsageError(`--trees: ${(error as Error).message}`);
    }
  }
  if (settings.perfDir) {
    checkPerfInstalled();
    mkdirSync(settings.perfDir, { recursive: true });
  }
  const startedAt = Date.now();
  const loadAtStart = loadavg();
  const root = await teardown.use(
    'the temporary folder',
    Promise.resolve().then(() => mkdtempSync(join(tmpdir(), 'flotilla-bench-one-node-'))),
    (dir) => Promise.resolve(rmSync(dir, { recursive: true, force: true })),
  );
  const trees: Worktree[] = [];
  for (const [index, ref] of refs.entries())
    trees.push(
      await teardown.use(
        `the worktree of ${ref}`,
        Promise.resolve().then(() =>
          addWorktree(repo, ref, join(root, `tree-${index}`), { [HOLDER_IN_TREE]: HOLDER_SOURCE }),
        ),
        (tree) => Promise.resolve(removeWorktree(repo, tree.dir)),
      ),
    );
  let pgBaseUrl = process.env['FLOTILLA_TEST_PG_BASE_URL'];
  if (!pgBaseUrl) {
    const server = await teardown.use('PostgreSQL', startPostgresServer(), (started) => started.stop());
    pgBaseUrl = server.baseUrl;
  }
  const env: NodeJS.ProcessEnv = { ...process.env, FLOTILLA_TEST_PG_BASE_URL: pgBaseUrl };

  const figures = new Map<Worktree, RoundFigures[]>(trees.map((tree) => [tree, []]));
  for (let index = 1; index <= settings.cycles; index += 1) {
    for (const tree of trees) {
      progress(
        `cycle ${index}/${settings.cycles}: ${tree.ref} (${tree.commit.slice(0, 7)}): starting one node`,
      );
      const rounds = await cycle(tree, `${tree.commit.slice(0, 7)}-${index}`, env, { ...settings, root });
      figures.get(tree)?.push(...rounds);
    }
  }
  process.stdout.write(
    [
      '',
      settings.rate
        ? `One node per commit, ${settings.rate} req/s offered (open loop, Poisson) on ${settings.clients} keep-alive connections straight to the gateway`
        : `One node per commit, ${settings.clients} closed-loop keep-alive clients straight to the gateway`,
      `(GET ${PATHS.join(', GET ')}, signed in as the administrator), ${settings.cycles} cycle(s) of a fresh start,`,
      `${settings.warmupS} s of warm-up, ${settings.rounds} × ${settings.seconds} s measured. Medians over every round;`,
      'CPU per request in µs, all threads of each process (/proc).',
      ...trees.map((tree) => `  ${tree.commit.slice(0, 7)} (${tree.ref}) ${tree.subject.slice(0, 90)}`),
      '',
      table(trees, figures),
      '',
      `load average at start ${loadAtStart.map((value) => value.toFixed(1)).join(' / ')}, at end ${loadavg()
        .map((value) => value.toFixed(1))
        .join(' / ')}; run time ${seconds(Date.now() - startedAt)}`,
      ...(settings.perfCommands.length
        ? ['', 'perf recordings (the first round of each start), one process each:', ...settings.perfCommands]
        : []),
      '',
    ].join('\n'),
  );
  return true;
});
