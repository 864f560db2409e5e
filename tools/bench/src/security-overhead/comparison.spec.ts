import { LoadResult } from '../rest-load';
import { growthPercent, ratio, RoundSample, roundsTable, treeFigures, verdicts } from './comparison';

const load = (latenciesMs: number[], elapsedMs: number, errors: [string, number][] = []): LoadResult => ({
  ok: latenciesMs.length,
  errors: new Map(errors),
  latenciesMs,
  elapsedMs,
});

const round = (
  pickupMs: number[],
  rest: LoadResult,
  unsuccessful = 0,
  fixedRate: LoadResult = load([1], 1000),
): RoundSample => ({ pickupMs, unsuccessful, rest, fixedRate });

describe('security overhead comparison', () => {
  it('pools the rounds of a tree: percentiles over every sample, requests/s over the summed time', () => {
    const figures = treeFigures([
      round([10, 20, 30], load([1, 2, 3, 4], 1000)),
      round([40], load([5, 6, 7, 8], 1000, [['HTTP 502', 1]]), 1, {
        ...load([9, 10], 1000, [['HTTP 503', 2]]),
        connectionsOpened: 4,
      }),
    ]);
    // The first round's fixed-rate run counted no connections (undefined): the sum is the second's.
    expect(figures.fixedRate).toEqual({ count: 3, p50: 9, p99: 10, failed: 2, connectionsOpened: 4 });
    expect(figures.pickup).toEqual({ count: 4, p50: 20, p95: 40, p99: 40, max: 40 });
    expect(figures.rest).toEqual({ count: 8, p50: 4, p99: 8, requestsPerSecond: 4, failed: 1 });
    expect(figures.unsuccessful).toBe(1);
  });

  it('states after against before as a ratio and a growth', () => {
    expect(ratio(20, 22)).toBe('1.10x');
    expect(ratio(0, 5)).toBe('n/a');
    expect(growthPercent(100, 110)).toBeCloseTo(10);
  });

  it('passes each REST p99 target at exactly +10 % and fails it just above, or on any failure', () => {
    const tree = (fixedP99: number, saturatedP99: number, failed = 0) =>
      treeFigures([
        round(
          [12],
          load([saturatedP99], 1000, failed ? [['ECONNRESET', failed]] : []),
          0,
          load([fixedP99], 1000),
        ),
      ]);
    const passed = (before: ReturnType<typeof tree>, after: ReturnType<typeof tree>) =>
      verdicts(before, after, 100).map((verdict) => verdict.passed);
    expect(passed(tree(50, 100), tree(55, 110))).toEqual([true, true, true, true]);
    expect(passed(tree(50, 100), tree(56, 110))).toEqual([true, false, true, true]);
    expect(passed(tree(50, 100), tree(55, 111))).toEqual([true, true, false, true]);
    expect(passed(tree(50, 100), tree(50, 100, 2))[3]).toBe(false);
    const fixedFailure = treeFigures([round([12], load([1], 1000), 0, load([1], 1000, [['HTTP 503', 1]]))]);
    expect(passed(tree(1, 1), fixedFailure)[3]).toBe(false);
  });

  it('fails pickup p50 at 50 ms (the target is strictly below)', () => {
    const tree = (pickup: number) => treeFigures([round([pickup], load([10], 1000))]);
    expect(verdicts(tree(10), tree(49.9), 100)[0].passed).toBe(true);
    expect(verdicts(tree(10), tree(50), 100)[0].passed).toBe(false);
  });
});

describe('security overhead rounds table', () => {
  it('shows each round with its order and the REST p99 ratios of that round', () => {
    const table = roundsTable(
      ['before -> after'],
      [round([20], load([100], 1000), 0, load([40], 1000))],
      [round([30], load([110, 110], 1000), 0, load([50], 1000))],
    );
    expect(table).toContain('before -> after');
    expect(table).toContain('20.0 / 30.0');
    expect(table).toContain('40.0 / 50.0');
    expect(table).toContain('1.25x');
    expect(table).toContain('1.10x');
    expect(table).toMatch(/1 \/ +2$/m);
  });
});
