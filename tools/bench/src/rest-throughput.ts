import { FlotillaCluster } from '@flotilla/testing';

import { BenchApi, startBenchCluster } from './bench-cluster';
import { readOptions, wholeNumber } from './bench-options';
import { runBenchmark } from './bench-runner';
import { waitForGatewayStatus } from './haproxy-stats';
import { summarise } from './percentiles';
import { formatTable, ms, printVerdicts, progress, Verdict } from './report';
import {
  errorCount,
  keepAliveAgent,
  LoadResult,
  LoadSettings,
  mergeResults,
  runClosedLoop,
} from './rest-load';
import { SEED_PROJECTS, seedRestRows } from './rest-seed';

const USAGE = `REST throughput and latency on a 3-node cluster: closed-loop authenticated GETs (the project list and
the first page of tasks, in turn) straight to node-1's gateway and through HAProxy; the p99 HAProxy adds.
Usage: npm run bench:rest -- [options]`;

const NODES = 3;
const TARGET_P99_OVERHEAD_PERCENT = 15;
const PATHS = ['/api/projects', '/api/tasks?take=30'];
/** Enough data that the reads are not empty: projects with a release each, finished tasks. */

const options = readOptions(USAGE, {
  clients: { default: '16', help: 'concurrent clients, each on its own keep-alive connection' },
  seconds: { default: '20', help: 'measured seconds per target and round' },
  warmup: { default: '5', help: 'seconds of unmeasured load on a target before each measured run' },
  rounds: {
    help: 'rounds over all targets, the order rotating each round so none always goes first (default: one per target)',
  },
  'seed-tasks': { default: '20', help: 'finished deployments in the database before the run' },
  'haproxy-single': {
    flag: true,
    help: 'also measure through HAProxy with the other nodes drained, so it forwards to node-1 only',
  },
});

interface Target {
  name: string;
  what: string;
  baseUrl: string;
  /** Measured with every node but the first drained (HAProxy then routes to the first only). */
  firstNodeOnly: boolean;
}

interface Measured {
  target: Target;
  /** Every round pooled. */
  result: LoadResult;
  p99ByRound: number[];
}

/**
 * Which gateways HAProxy routes to: all, or only the first node's, by draining the others (their
 * pings answer 418 and HAProxy's checks take them out) — the production mechanism, no config edit.
 */
function gatewayPool(api: BenchApi, cluster: FlotillaCluster) {
  const [first, ...others] = cluster.nodes;
  let firstOnly = false;
  return async (wantFirstOnly: boolean): Promise<void> => {
    if (wantFirstOnly === firstOnly) return;
    for (const node of others) {
      const response = await api.client.put(`/api/nodes/${node.name}`, { isDraining: wantFirstOnly });
      if (response.status !== 200) throw new Error(`drain ${node.name}: ${response.status}`);
    }
    const wanted: Record<string, 'UP' | 'DOWN'> = { [first.name]: 'UP' };
    for (const node of others) wanted[node.name] = wantFirstOnly ? 'DOWN' : 'UP';
    await waitForGatewayStatus(cluster.statsUrl, cluster.statsAuthorization, wanted, 60_000);
    firstOnly = wantFirstOnly;
  };
}

async function measureOnce(target: Target, settings: LoadSettings, warmupMs: number): Promise<LoadResult> {
  const agent = keepAliveAgent(settings.clients, target.baseUrl);
  try {
    if (warmupMs > 0) await runClosedLoop(target.baseUrl, agent, { ...settings, durationMs: warmupMs });
    return await runClosedLoop(target.baseUrl, agent, settings);
  } finally {
    agent.destroy();
  }
}

const p99Of = (result: LoadResult): number => summarise(result.latenciesMs).p99;

function overheadPercent(through: Measured, direct: Measured): number {
  return ((p99Of(through.result) - p99Of(direct.result)) / p99Of(direct.result)) * 100;
}

function overheadVerdict(target: string, through: Measured, direct: Measured): Verdict {
  const errors = errorCount(through.result) + errorCount(direct.result);
  return {
    target,
    measured: `${overheadPercent(through, direct).toFixed(1)} %${errors ? `; ${errors} failed requests` : ''}`,
    passed: overheadPercent(through, direct) < TARGET_P99_OVERHEAD_PERCENT && errors === 0,
  };
}

function resultRow({ target, result, p99ByRound }: Measured): string[] {
  const summary = summarise(result.latenciesMs);
  const errors = errorCount(result);
  return [
    target.name,
    (result.ok / (result.elapsedMs / 1000)).toFixed(0),
    ms(summary.p50),
    ms(summary.p99),
    ms(summary.max),
    p99ByRound.map((p99) => ms(p99).replace(' ms', '')).join(' / '),
    String(errors),
    errors ? [...result.errors].map(([kind, count]) => `${kind}: ${count}`).join(', ') : '',
  ];
}

function report(
  measured: readonly Measured[],
  settings: LoadSettings,
  warmupMs: number,
  rounds: number,
): string {
  const [direct, ...others] = measured;
  return [
    '',
    `REST on a ${NODES}-node cluster: ${settings.clients} closed-loop clients (keep-alive), GET ${PATHS.join(' and GET ')}`,
    `in turn, signed in; ${rounds} round(s) of ${settings.durationMs / 1000} s per target, each after ${warmupMs / 1000} s of`,
    'warm-up, the order rotating each round. The load generator shares the machine (and its cores) with the cluster.',
    ...measured.map(({ target }) => `  ${target.name.padEnd(15)} ${target.what}`),
    `"direct" still spreads the work behind the gateway: node-1's gateway reaches the services of every node through`,
    `HAProxy's gRPC frontends, as in production. "haproxy" adds HAProxy's HTTP hop and also spreads the gateway work`,
    ...(measured.length > 2
      ? [
          'over three processes; "haproxy-single" sends everything to the same gateway as "direct", so its difference',
          'from "direct" is the HTTP hop through HAProxy alone.',
        ]
      : [
          'over three processes (--haproxy-single also measures HAProxy forwarding to node-1 only: the hop alone).',
        ]),
    '',
    formatTable(
      ['target', 'rps', 'p50', 'p99', 'max', 'p99 by round (ms)', 'errors', 'error kinds'],
      measured.map((entry) => resultRow(entry)),
    ),
    '',
    ...others.map((entry) => {
      const overhead = overheadPercent(entry, direct);
      return `p99 ${entry.target.name} vs direct: ${overhead >= 0 ? '+' : ''}${overhead.toFixed(1)} %`;
    }),
  ].join('\n');
}

runBenchmark(async (teardown) => {
  const settings: LoadSettings = {
    paths: PATHS,
    token: '',
    clients: wholeNumber('clients', options.clients, 1, 1024),
    durationMs: wholeNumber('seconds', options.seconds, 1, 3600) * 1000,
    requestTimeoutMs: 30_000,
  };
  const warmupMs = wholeNumber('warmup', options.warmup, 0, 600) * 1000;
  const seedTasks = wholeNumber('seed-tasks', options['seed-tasks'], 0, 10_000);

  const cluster = await startBenchCluster(teardown, `${NODES}-node cluster`, {
    nodes: NODES,
    licence: { nodeLimit: 'Unlimited' },
  });
  const api = await BenchApi.signIn(cluster.baseUrl, cluster);
  progress(`seeding ${SEED_PROJECTS} projects and ${seedTasks} finished deployments`);
  await seedRestRows(api, seedTasks);
  settings.token = await api.token(cluster);

  const first = cluster.nodes[0];
  const targets: Target[] = [
    {
      name: 'direct',
      what: `straight to ${first.name}'s gateway`,
      baseUrl: first.baseUrl,
      firstNodeOnly: false,
    },
    {
      name: 'haproxy',
      what: `through HAProxy, round-robin over the ${NODES} gateways`,
      baseUrl: cluster.baseUrl,
      firstNodeOnly: false,
    },
  ];
  if (options['haproxy-single'] === 'true')
    targets.push({
      name: 'haproxy-single',
      what: `through HAProxy with the other nodes drained: to ${first.name}'s gateway only`,
      baseUrl: cluster.baseUrl,
      firstNodeOnly: true,
    });
  const rounds = wholeNumber('rounds', options.rounds ?? String(targets.length), 1, 100);

  // A freshly started cluster is slower for a while (JIT, pools, caches): settle it before round 1.
  progress('warming the cluster up through HAProxy');
  await measureOnce(targets[1], { ...settings, durationMs: 2 * warmupMs }, 0);
  const setPool = gatewayPool(api, cluster);
  const runs = new Map(targets.map((target) => [target, [] as LoadResult[]]));
  for (let round = 0; round < rounds; round += 1) {
    // Rotating the order cancels out a cluster that is still warming up, or load that drifts.
    const order = targets.map((_, index) => targets[(index + round) % targets.length]);
    for (const target of order) {
      await setPool(target.firstNodeOnly);
      progress(`round ${round + 1}/${rounds}: ${target.name}`);
      runs.get(target)?.push(await measureOnce(target, settings, warmupMs));
    }
  }
  const measured: Measured[] = targets.map((target) => {
    const results = runs.get(target) ?? [];
    return { target, result: mergeResults(results), p99ByRound: results.map(p99Of) };
  });

  process.stdout.write(`${report(measured, settings, warmupMs, rounds)}\n`);
  const [direct, haproxy, single] = measured;
  const verdicts = [
    overheadVerdict(
      `HAProxy adds < ${TARGET_P99_OVERHEAD_PERCENT} % to p99 (haproxy vs direct)`,
      haproxy,
      direct,
    ),
  ];
  if (single)
    verdicts.push(
      overheadVerdict(
        `HAProxy's hop alone adds < ${TARGET_P99_OVERHEAD_PERCENT} % to p99 (haproxy-single vs direct)`,
        single,
        direct,
      ),
    );
  return printVerdicts(verdicts);
});
