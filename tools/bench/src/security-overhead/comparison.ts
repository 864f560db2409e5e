import { percentile } from '../percentiles';
import { formatTable, ms, Verdict } from '../report';
import { errorCount, LoadResult, mergeResults } from '../rest-load';

/** The targets (issue 9, Benchmarks). */
export const TARGETS = { pickupP50Ms: 50, restP99GrowthPercent: 10 };

/** What one round measured on one tree. */
export interface RoundSample {
  /** Pickup latency of each measured deployment (startedAt - queuedAt, database time), ms. */
  pickupMs: number[];
  /** Measured deployments that did not finish Success. */
  unsuccessful: number;
  /** Closed loop: the cluster saturated, latency = clients / throughput. */
  rest: LoadResult;
  /** Open loop at the run's fixed offered load. */
  fixedRate: LoadResult;
}

/** One tree's figures, every round pooled. */
export interface TreeFigures {
  pickup: { count: number; p50: number; p95: number; p99: number; max: number };
  rest: { count: number; p50: number; p99: number; requestsPerSecond: number; failed: number };
  fixedRate: { count: number; p50: number; p99: number; failed: number; connectionsOpened: number };
  unsuccessful: number;
}

export function treeFigures(rounds: readonly RoundSample[]): TreeFigures {
  const pickupMs = rounds.flatMap((round) => round.pickupMs);
  const rest = mergeResults(rounds.map((round) => round.rest));
  const fixedRate = mergeResults(rounds.map((round) => round.fixedRate));
  const of = (samples: readonly number[], p: number): number =>
    samples.length ? percentile(samples, p) : Number.NaN;
  return {
    pickup: {
      count: pickupMs.length,
      p50: of(pickupMs, 50),
      p95: of(pickupMs, 95),
      p99: of(pickupMs, 99),
      max: pickupMs.length ? Math.max(...pickupMs) : Number.NaN,
    },
    rest: {
      count: rest.ok,
      p50: of(rest.latenciesMs, 50),
      p99: of(rest.latenciesMs, 99),
      requestsPerSecond: rest.elapsedMs > 0 ? rest.ok / (rest.elapsedMs / 1000) : Number.NaN,
      failed: errorCount(rest),
    },
    fixedRate: {
      count: fixedRate.ok,
      p50: of(fixedRate.latenciesMs, 50),
      p99: of(fixedRate.latenciesMs, 99),
      failed: errorCount(fixedRate),
      connectionsOpened: rounds.reduce((sum, round) => sum + (round.fixedRate.connectionsOpened ?? 0), 0),
    },
    unsuccessful: rounds.reduce((sum, round) => sum + round.unsuccessful, 0),
  };
}

/** after / before as "1.04x"; n/a when either is missing or before is 0. */
export function ratio(before: number, after: number): string {
  return Number.isFinite(before) && Number.isFinite(after) && before > 0
    ? `${(after / before).toFixed(2)}x`
    : 'n/a';
}

/** after relative to before, in percent (+4.2 = after is 4.2 % higher). */
export function growthPercent(before: number, after: number): number {
  return ((after - before) / before) * 100;
}

export function comparisonTable(before: TreeFigures, after: TreeFigures, fixedRate: number): string {
  const row = (figure: string, b: number, a: number, format: (value: number) => string): string[] => [
    figure,
    format(b),
    format(a),
    ratio(b, a),
  ];
  const rps = (value: number): string => (Number.isFinite(value) ? `${value.toFixed(0)}/s` : 'n/a');
  const count = (value: number): string => String(value);
  return formatTable(
    ['figure', 'before', 'after', 'after/before'],
    [
      row('pickup p50', before.pickup.p50, after.pickup.p50, ms),
      row('pickup p95', before.pickup.p95, after.pickup.p95, ms),
      row('pickup p99', before.pickup.p99, after.pickup.p99, ms),
      row('pickup max', before.pickup.max, after.pickup.max, ms),
      row(`REST p50 at ${fixedRate} req/s`, before.fixedRate.p50, after.fixedRate.p50, ms),
      row(`REST p99 at ${fixedRate} req/s`, before.fixedRate.p99, after.fixedRate.p99, ms),
      row(
        `connections opened at ${fixedRate} req/s`,
        before.fixedRate.connectionsOpened,
        after.fixedRate.connectionsOpened,
        count,
      ),
      row('REST p50 saturated', before.rest.p50, after.rest.p50, ms),
      row('REST p99 saturated', before.rest.p99, after.rest.p99, ms),
      row('REST requests/s saturated', before.rest.requestsPerSecond, after.rest.requestsPerSecond, rps),
      ['deployments measured', count(before.pickup.count), count(after.pickup.count), ''],
      [
        'REST requests answered 200 (fixed rate + saturated)',
        `${before.fixedRate.count} + ${before.rest.count}`,
        `${after.fixedRate.count} + ${after.rest.count}`,
        '',
      ],
      ['deployments not Success', count(before.unsuccessful), count(after.unsuccessful), ''],
      [
        'REST requests failed',
        count(before.rest.failed + before.fixedRate.failed),
        count(after.rest.failed + after.fixedRate.failed),
        '',
      ],
    ],
  );
}

/** The figures of each round, to see whether noise or a trend moved one tree more than the other. */
export function roundsTable(
  orders: readonly string[],
  before: readonly RoundSample[],
  after: readonly RoundSample[],
): string {
  const p = (samples: readonly number[], at: number): string =>
    samples.length ? ms(percentile(samples, at)).replace(' ms', '') : 'n/a';
  const rps = (result: LoadResult): string => (result.ok / (result.elapsedMs / 1000)).toFixed(0);
  const p99 = (result: LoadResult): number =>
    result.latenciesMs.length ? percentile(result.latenciesMs, 99) : Number.NaN;
  return formatTable(
    [
      'round',
      'order',
      'pickup p50 before/after (ms)',
      'REST p99 fixed rate before/after (ms)',
      'after/before',
      'REST p99 saturated before/after (ms)',
      'after/before',
      'REST req/s saturated before/after',
    ],
    orders.map((order, index) => [
      String(index + 1),
      order,
      `${p(before[index].pickupMs, 50)} / ${p(after[index].pickupMs, 50)}`,
      `${p(before[index].fixedRate.latenciesMs, 99)} / ${p(after[index].fixedRate.latenciesMs, 99)}`,
      ratio(p99(before[index].fixedRate), p99(after[index].fixedRate)),
      `${p(before[index].rest.latenciesMs, 99)} / ${p(after[index].rest.latenciesMs, 99)}`,
      ratio(p99(before[index].rest), p99(after[index].rest)),
      `${rps(before[index].rest)} / ${rps(after[index].rest)}`,
    ]),
  );
}

const signed = (percent: number): string => `${percent >= 0 ? '+' : ''}${percent.toFixed(1)} %`;

export function verdicts(before: TreeFigures, after: TreeFigures, fixedRate: number): Verdict[] {
  const atRate = growthPercent(before.fixedRate.p99, after.fixedRate.p99);
  const saturated = growthPercent(before.rest.p99, after.rest.p99);
  const failures =
    before.unsuccessful +
    after.unsuccessful +
    before.rest.failed +
    after.rest.failed +
    before.fixedRate.failed +
    after.fixedRate.failed;
  const limit = TARGETS.restP99GrowthPercent;
  return [
    {
      target: `pickup p50 with Redis < ${TARGETS.pickupP50Ms} ms (after)`,
      measured: `after ${ms(after.pickup.p50)}, before ${ms(before.pickup.p50)}`,
      passed: after.pickup.p50 < TARGETS.pickupP50Ms,
    },
    {
      target: `REST p99 through HAProxy at ${fixedRate} req/s offered grows by at most ${limit} %`,
      measured: `${signed(atRate)} (${ms(before.fixedRate.p99)} -> ${ms(after.fixedRate.p99)})`,
      passed: Number.isFinite(atRate) && atRate <= limit,
    },
    {
      target: `REST p99 through HAProxy saturated (closed loop) grows by at most ${limit} %`,
      measured: `${signed(saturated)} (${ms(before.rest.p99)} -> ${ms(after.rest.p99)})`,
      passed: Number.isFinite(saturated) && saturated <= limit,
    },
    {
      target: 'every measured deployment Success and every REST request answered 200, both trees',
      measured: `${failures} failed`,
      passed: failures === 0,
    },
  ];
}
