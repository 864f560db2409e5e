import { loadFlotillaConfig } from '@flotilla/platform/config';

import { BenchApi, countByNode, formatNodeCounts, startBenchCluster } from './bench-cluster';
import { oneOf, readOptions, wholeNumber } from './bench-options';
import { runBenchmark, Teardown } from './bench-runner';
import { LatencySummary, summarise } from './percentiles';
import { pickupLatencies, runPickupDeployments } from './pickup-run';
import { formatTable, ms, printVerdicts, Verdict } from './report';

const USAGE = `Cluster pickup latency: deployments queued through HAProxy on a 3-node cluster, one after another;
latency = task startedAt - queuedAt (both database time). Runs with Redis wake-up and/or polling only.
Usage: npm run bench:cluster-pickup -- [options]`;

const MODES = ['redis', 'polling', 'both'] as const;
const NODES = 3;
const TARGETS = { redisP50: 50, redisP99: 250, pollingP50: 2500, pollingP99: 2500 };

const options = readOptions(USAGE, {
  count: { default: '100', help: 'measured deployments per mode' },
  mode: { default: 'both', help: 'redis | polling | both' },
  'poll-ms': {
    help: 'FLOTILLA_POLL_INTERVAL_MS for both modes (default: the production default from libs/platform/config)',
  },
  warmup: { default: '3', help: 'deployments run first and not measured (cold processes)' },
  'gap-ms': {
    default: '0',
    help: 'random pause of 0..N ms before each deployment, so arrivals do not fall into step with the polls',
  },
});

interface ModeResult {
  mode: 'redis' | 'polling';
  summary: LatencySummary;
  pickedUpBy: Map<string, number>;
  unsuccessful: number;
}

async function measureMode(
  teardown: Teardown,
  mode: 'redis' | 'polling',
  settings: { count: number; warmup: number; pollMs: number; gapMs: number },
): Promise<ModeResult> {
  const cluster = await startBenchCluster(teardown, `${NODES}-node cluster (${mode})`, {
    nodes: NODES,
    licence: { nodeLimit: 'Unlimited' },
    redis: mode === 'redis',
    env: { FLOTILLA_POLL_INTERVAL_MS: String(settings.pollMs) },
  });
  // Without redis-server on PATH the cluster quietly runs without Redis: that would not be this figure.
  if (mode === 'redis' && !cluster.redis && !process.env['FLOTILLA_REDIS_URL'])
    throw new Error('the cluster runs without Redis (is redis-server on PATH?)');
  const api = await BenchApi.signIn(cluster.baseUrl, cluster);
  const measured = await runPickupDeployments(api, settings, mode);
  await teardown.release(cluster);
  return {
    mode,
    summary: summarise(pickupLatencies(measured)),
    pickedUpBy: countByNode(measured),
    unsuccessful: measured.filter((task) => task.state !== 'Success').length,
  };
}

function verdicts(results: readonly ModeResult[]): Verdict[] {
  const redis = results.find((result) => result.mode === 'redis')?.summary;
  const polling = results.find((result) => result.mode === 'polling')?.summary;
  const check = (summary: LatencySummary | undefined, figure: 'p50' | 'p99', target: number) => ({
    measured: summary ? ms(summary[figure]) : 'not run',
    passed: summary ? summary[figure] < target : undefined,
  });
  return [
    { target: `pickup p50 with Redis < ${TARGETS.redisP50} ms`, ...check(redis, 'p50', TARGETS.redisP50) },
    { target: `pickup p99 with Redis < ${TARGETS.redisP99} ms`, ...check(redis, 'p99', TARGETS.redisP99) },
    {
      target: `pickup p50 without Redis < ${TARGETS.pollingP50} ms`,
      ...check(polling, 'p50', TARGETS.pollingP50),
    },
    {
      target: `pickup p99 without Redis < ${TARGETS.pollingP99} ms`,
      ...check(polling, 'p99', TARGETS.pollingP99),
    },
  ];
}

runBenchmark(async (teardown) => {
  const mode = oneOf('mode', options.mode, MODES);
  const settings = {
    count: wholeNumber('count', options.count, 1, 100_000),
    warmup: wholeNumber('warmup', options.warmup, 0, 1000),
    gapMs: wholeNumber('gap-ms', options['gap-ms'], 0, 600_000),
    // The production default, read from the configuration code rather than copied here.
    pollMs: wholeNumber(
      'poll-ms',
      options['poll-ms'] ?? String(loadFlotillaConfig({}).pollIntervalMs),
      10,
      600_000,
    ),
  };
  const modes = mode === 'both' ? (['redis', 'polling'] as const) : [mode];
  const results: ModeResult[] = [];
  for (const each of modes) results.push(await measureMode(teardown, each, settings));

  const wakeUp = (each: ModeResult['mode']) =>
    each === 'redis'
      ? `Redis signal (poll ${settings.pollMs} ms as fallback)`
      : `polling every ${settings.pollMs} ms`;
  process.stdout.write(
    [
      '',
      `Pickup latency on a ${NODES}-node cluster: ${settings.count} deployments of a trivial script queued one after`,
      `another through HAProxy (after ${settings.warmup} unmeasured warm-up deployments); latency = startedAt - queuedAt,`,
      `both database time. Each deployment is queued once the previous one finished, so idle executors pick it up.`,
      '',
      formatTable(
        ['wake-up', 'deployments', 'p50', 'p99', 'max', 'mean', 'not Success', 'picked up by'],
        results.map((result) => [
          wakeUp(result.mode),
          String(result.summary.count),
          ms(result.summary.p50),
          ms(result.summary.p99),
          ms(result.summary.max),
          ms(result.summary.mean),
          String(result.unsuccessful),
          formatNodeCounts(result.pickedUpBy),
        ]),
      ),
      '',
    ].join('\n'),
  );
  return printVerdicts(verdicts(results));
});
