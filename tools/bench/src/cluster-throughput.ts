import { loadFlotillaConfig } from '@flotilla/platform/config';

import { BenchApi, startBenchCluster } from './bench-cluster';
import { readOptions, wholeNumber, wholeNumbers } from './bench-options';
import { runBenchmark, Teardown } from './bench-runner';
import { formatTable, printVerdicts, progress, seconds, Verdict } from './report';
import { throughputOf, ThroughputFigures } from './throughput-stats';

const USAGE = `Cluster throughput: deployments whose script sleeps 1 s, queued through HAProxy while every node's
task cap is 0, then released at once, on clusters of 1, 2 and 3 nodes (task cap 5 each);
tasks/s = tasks / (last completedAt - first startedAt), database time.
Usage: npm run bench:throughput -- [options]`;

const TARGET_RATIO = 2.7;
/** Deployments of one project to one environment run one at a time; this many projects spread them. */
const PROJECTS = 10;
const SCRIPT_SECONDS = 1;

const options = readOptions(USAGE, {
  count: { default: '300', help: 'deployments per cluster size' },
  nodes: { default: '1,2,3', help: 'cluster sizes to measure, comma-separated' },
  cap: { default: '5', help: 'FLOTILLA_TASK_CAP of every node' },
  posters: { default: '4', help: 'concurrent clients queueing the deployments' },
  'poll-ms': {
    help: 'FLOTILLA_POLL_INTERVAL_MS (default: the production default from libs/platform/config)',
  },
});

interface SizeResult {
  nodes: number;
  figures: ThroughputFigures;
  /** Client clock: caps restored to every task seen finished (to within the 0.5 s status poll). */
  wallMs: number;
  /** Queueing time of all deployments, client clock. */
  queueingMs: number;
}

const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

/** Every (release, environment) pair at most once, so no deployment waits for another of the same pair. */
function deploymentPairs(releases: string[], environments: string[], count: number) {
  return environments
    .flatMap((environmentId) => releases.map((releaseId) => ({ releaseId, environmentId })))
    .slice(0, count);
}

async function queueAll(
  api: BenchApi,
  pairs: { releaseId: string; environmentId: string }[],
  posters: number,
) {
  const taskIds: string[] = [];
  let next = 0;
  const poster = async (): Promise<void> => {
    while (next < pairs.length) {
      const pair = pairs[next++];
      taskIds.push(await api.deploy(pair.releaseId, pair.environmentId));
    }
  };
  await Promise.all(Array.from({ length: posters }, () => poster()));
  return taskIds;
}

/** Waits on two cheap counts, then confirms on the full list (a count can race a state change). */
async function waitForAll(api: BenchApi, taskIds: readonly string[], timeoutMs: number) {
  const wanted = new Set(taskIds);
  const deadline = Date.now() + timeoutMs;
  let lastReport = Date.now();
  for (;;) {
    // Queued first: a task leaving Queued between the two calls is then counted as Executing.
    const queued = await api.countInState('Queued');
    const executing = await api.countInState('Executing');
    if (queued + executing === 0) {
      const tasks = (await api.allTasks()).filter((task) => wanted.has(task.id));
      if (tasks.length === wanted.size && tasks.every((task) => task.completedAt)) return tasks;
    }
    if (Date.now() > deadline) throw new Error(`timed out: ${queued} queued and ${executing} executing`);
    if (Date.now() - lastReport > 10_000) {
      progress(`${queued} queued, ${executing} executing`);
      lastReport = Date.now();
    }
    await sleep(500);
  }
}

async function measureSize(
  teardown: Teardown,
  nodes: number,
  settings: { count: number; cap: number; posters: number; pollMs: number },
): Promise<SizeResult> {
  const cluster = await startBenchCluster(teardown, `${nodes}-node cluster`, {
    nodes,
    licence: { nodeLimit: 'Unlimited' },
    redis: true,
    env: { FLOTILLA_TASK_CAP: String(settings.cap), FLOTILLA_POLL_INTERVAL_MS: String(settings.pollMs) },
  });
  const api = await BenchApi.signIn(cluster.baseUrl, cluster);
  const projects = Math.min(PROJECTS, settings.count);
  const environments = await api.environments(Math.ceil(settings.count / projects), 'Throughput');
  const releases: string[] = [];
  for (let index = 1; index <= projects; index += 1)
    releases.push(await api.release(`Throughput ${index}`, `sleep ${SCRIPT_SECONDS}`));
  const pairs = deploymentPairs(releases, environments, settings.count);
  progress(
    `${nodes} node(s): queueing ${pairs.length} deployments (${projects} projects x ${environments.length} environments)`,
  );

  // The whole queue is in place before any node may claim, so the span measures the cluster
  // executing, not how fast clients can create deployments through the API. A task cap of 0
  // holds claims (draining would also take the gateways out of HAProxy).
  const names = cluster.nodes.map((node) => node.name);
  await Promise.all(names.map((name) => api.setTaskCap(name, 0)));
  const queueingStartedAt = Date.now();
  const taskIds = await queueAll(api, pairs, settings.posters);
  const queueingMs = Date.now() - queueingStartedAt;
  const startedAt = Date.now();
  await Promise.all(names.map((name) => api.setTaskCap(name, settings.cap)));
  const idealMs = (settings.count / (nodes * settings.cap)) * SCRIPT_SECONDS * 1000;
  const tasks = await waitForAll(api, taskIds, idealMs * 5 + 120_000);
  const wallMs = Date.now() - startedAt;
  await teardown.release(cluster);
  return { nodes, figures: throughputOf(tasks), wallMs, queueingMs };
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
      seconds(Math.ceil(settings.count / (nodes * settings.cap)) * SCRIPT_SECONDS * 1000),
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
  const failed = [one, three].filter((result) => result.figures.succeeded < result.figures.tasks);
  return {
    target,
    measured: `${ratio.toFixed(2)}x${failed.length ? `; some deployments did not succeed on ${failed.map((result) => `${result.nodes} node(s)`).join(', ')}` : ''}`,
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
