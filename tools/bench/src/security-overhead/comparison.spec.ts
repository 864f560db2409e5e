import { LoadResult } from '../rest-load';
import { growthPercent, ratio, RoundSample, roundsTable, treeFigures, verdicts } from './comparison';

const load = (latenciesMs: number[], elapsedMs: number, errors: [string, number][] = []): LoadResult => ({
  ok: latenciesMs.length,
  errors: new Map(errors),
  latenciesMs,
  elapsedMs,
});

const round = (pickupMs: number[], rest: LoadResult, unsuccessful = 0): RoundSample => ({
  pickupMs,
  unsuccessful,
  rest,
});

describe('security overhead comparison', () => {
  it('pools the rounds of a tree: percentiles over every sample, requests/s over the summed time', () => {
    const figures = treeFigures([
      round([10, 20, 30], load([1, 2, 3, 4], 1000)),
      round([40], load([5, 6, 7, 8], 1000, [['HTTP 502', 1]]), 1),
    ]);
    expect(figures.pickup).toEqual({ count: 4, p50: 20, p95: 40, p99: 40, max: 40 });
    expect(figures.rest).toEqual({ count: 8, p50: 4, p99: 8, requestsPerSecond: 4, failed: 1 });
    expect(figures.unsuccessful).toBe(1);
  });

  it('states after against before as a ratio and a growth', () => {
    expect(ratio(20, 22)).toBe('1.10x');
    expect(ratio(0, 5)).toBe('n/a');
    expect(growthPercent(100, 110)).toBeCloseTo(10);
  });

  it('passes the targets at exactly +10 % REST p99 and fails just above, or on any failure', () => {
    const tree = (restP99: number, failed = 0) =>
      treeFigures([round([12], load([restP99], 1000, failed ? [['ECONNRESET', failed]] : []))]);
    expect(verdicts(tree(100), tree(110)).map((verdict) => verdict.passed)).toEqual([true, true, true]);
    expect(verdicts(tree(100), tree(111)).map((verdict) => verdict.passed)).toEqual([true, false, true]);
    expect(verdicts(tree(100), tree(100, 2))[2].passed).toBe(false);
  });

  it('fails pickup p50 at 50 ms (the target is strictly below)', () => {
    const tree = (pickup: number) => treeFigures([round([pickup], load([10], 1000))]);
    expect(verdicts(tree(10), tree(49.9))[0].passed).toBe(true);
    expect(verdicts(tree(10), tree(50))[0].passed).toBe(false);
  });
});

describe('security overhead rounds table', () => {
  it('shows each round with its order and the REST p99 ratio of that round', () => {
    const table = roundsTable(
      ['before -> after'],
      [round([20], load([100], 1000))],
      [round([30], load([110, 110], 1000))],
    );
    expect(table).toContain('before -> after');
    expect(table).toContain('20.0 / 30.0');
    expect(table).toContain('1.10x');
    expect(table).toMatch(/1 \/ +2$/m);
  });
});
