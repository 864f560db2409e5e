import { loadFlotillaConfig } from '@flotilla/platform/config';

import { BenchApi, startBenchCluster } from './bench-cluster';
import { readOptions, wholeNumber, wholeNumbers } from './bench-options';
import { runBenchmark, Teardown } from './bench-runner';
import { formatTable, printVerdicts, seconds, Verdict } from './report';
import {
  idealSpanMs,
  measureThroughput,
  THROUGHPUT_SCRIPT_SECONDS as SCRIPT_SECONDS,
  ThroughputRun,
  ThroughputSettings,
} from './throughput-run';

const USAGE = `Cluster throughput: deployments whose script sleeps 1 s, queued through HAProxy while every node's
task cap is 0, then released at once, on clusters of 1, 2 and 3 nodes (task cap 5 each);
tasks/s = tasks / (last completedAt - first startedAt), database time.
Usage: npm run bench:throughput -- [options]`;

const TARGET_RATIO = 2.7;

const options = readOptions(USAGE, {
  count: { default: '300', help: 'deployments per cluster size' },
  nodes: { default: '1,2,3', help: 'cluster sizes to measure, comma-separated' },
  cap: { default: '5', help: 'FLOTILLA_TASK_CAP of every node' },
  posters: { default: '4', help: 'concurrent clients queueing the deployments' },
  'poll-ms': {
    help: 'FLOTILLA_POLL_INTERVAL_MS (default: the production default from libs/platform/config)',
  },
});

interface SizeResult extends ThroughputRun {
  nodes: number;
}

async function measureSize(
  teardown: Teardown,
  nodes: number,
  settings: ThroughputSettings & { pollMs: number },
): Promise<SizeResult> {
  const cluster = await startBenchCluster(teardown, `${nodes}-node cluster`, {
    nodes,
    licence: { nodeLimit: 'Unlimited' },
    redis: true,
    env: { FLOTILLA_TASK_CAP: String(settings.cap), FLOTILLA_POLL_INTERVAL_MS: String(settings.pollMs) },
  });
  const api = await BenchApi.signIn(cluster.baseUrl, cluster);
  const run = await measureThroughput(
    api,
    cluster.nodes.map((node) => node.name),
    settings,
    `${nodes} node(s)`,
  );
  await teardown.release(cluster);
  return { nodes, ...run };
}

function resultTable(results: readonly SizeResult[], settings: { count: number; cap: number }): string {
  return formatTable(
    [
      'nodes',
      'tasks',
      'succeeded',
      'span (db)',
      'tasks/s',
      'wall',
      'queueing',
      'ideal span',
      'per node: tasks (most at once)',
    ],
    results.map(({ nodes, figures, wallMs, queueingMs }) => [
      String(nodes),
      String(figures.tasks),
      String(figures.succeeded),
      seconds(figures.spanMs),
      figures.tasksPerSecond.toFixed(2),
      seconds(wallMs),
      seconds(queueingMs),
      seconds(idealSpanMs(settings, nodes)),
      [...figures.byNode].map(([node, load]) => `${node}: ${load.tasks} (${load.mostAtOnce})`).join(', '),
    ]),
  );
}

function ratioVerdict(results: readonly SizeResult[]): Verdict {
  const target = `throughput 3 nodes / 1 node >= ${TARGET_RATIO}`;
  const one = results.find((result) => result.nodes === 1);
  const three = results.find((result) => result.nodes === 3);
  if (!one || !three) return { target, measured: 'needs --nodes with 1 and 3', passed: undefined };
  const ratio = three.figures.tasksPerSecond / one.figures.tasksPerSecond;
  const failed = [one, three].filter(
    (result) => result.figures.succeeded < result.figures.tasks || result.failedRequests.length > 0,
  );
  return {
    target,
    measured: `${ratio.toFixed(2)}x${failed.length ? `; some deployments (or requests to queue them) failed on ${failed.map((result) => `${result.nodes} node(s)`).join(', ')}` : ''}`,
    passed: ratio >= TARGET_RATIO && failed.length === 0,
  };
}

runBenchmark(async (teardown) => {
  const settings = {
    count: wholeNumber('count', options.count, 1, 100_000),
    cap: wholeNumber('cap', options.cap, 1, 1000),
    posters: wholeNumber('posters', options.posters, 1, 64),
    pollMs: wholeNumber(
      'poll-ms',
      options['poll-ms'] ?? String(loadFlotillaConfig({}).pollIntervalMs),
      10,
      600_000,
    ),
  };
  const sizes = wholeNumbers('nodes', options.nodes, 1, 16);
  const results: SizeResult[] = [];
  for (const nodes of sizes) results.push(await measureSize(teardown, nodes, settings));

  const baseline = results.find((result) => result.nodes === 1);
  process.stdout.write(
    [
      '',
      `Throughput: ${settings.count} deployments of a script that sleeps ${SCRIPT_SECONDS} s, queued by ${settings.posters} clients through HAProxy`,
      `while every node's task cap is 0 (queueing), then released at once; task cap ${settings.cap} per node, Redis wake-up.`,
      `span = first startedAt to last completedAt (database time); wall = caps restored to all seen finished (client);`,
      `ideal span = the sleeps alone at full cap.`,
      '',
      resultTable(results, settings),
      '',
      ...(baseline
        ? results
            .filter((result) => result !== baseline)
            .map(
              (result) =>
                `ratio ${result.nodes} node(s) / 1 node: ${(result.figures.tasksPerSecond / baseline.figures.tasksPerSecond).toFixed(2)}x`,
            )
        : []),
    ].join('\n') + '\n',
  );
  return printVerdicts([ratioVerdict(results)]);
});
