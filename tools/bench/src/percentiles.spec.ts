import { percentile, summarise } from './percentiles';

describe(percentile.name, () => {
  it('uses the nearest rank', () => {
    const samples = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(samples, 50)).toBe(50);
    expect(percentile(samples, 99)).toBe(99);
    expect(percentile([7], 99)).toBe(7);
  });
});

describe(summarise.name, () => {
  it('gives the percentiles, the maximum and the mean', () => {
    expect(summarise([4, 1, 3, 2])).toEqual({ count: 4, p50: 2, p99: 4, max: 4, mean: 2.5 });
  });

  it('refuses an empty sample rather than printing NaN', () => {
    expect(() => summarise([])).toThrow('no samples');
  });
});
