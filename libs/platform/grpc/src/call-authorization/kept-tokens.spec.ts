import { KeptTokens } from './kept-tokens';

describe('KeptTokens', () => {
  const expiringAt = () => new KeptTokens<{ until: number }>((kept, now) => now >= kept.until, 3);

  it('past its bound, drops the entries no longer usable first', () => {
    const kept = expiringAt();
    kept.set('old-but-valid', { until: 100 }, 0);
    kept.set('expired', { until: 5 }, 0);
    kept.set('valid', { until: 100 }, 0);
    kept.set('new', { until: 100 }, 10);
    expect(kept.get('expired', 10)).toBeUndefined();
    expect(kept.get('old-but-valid', 10)).toEqual({ until: 100 });
    expect(kept.get('new', 10)).toEqual({ until: 100 });
  });

  it('then the least recently kept, so it never holds more than its bound', () => {
    const kept = expiringAt();
    for (const key of ['a', 'b', 'c']) kept.set(key, { until: 100 }, 0);
    kept.set('a', { until: 100 }, 1); // kept again: now the most recent
    kept.set('d', { until: 100 }, 1);
    expect(['a', 'b', 'c', 'd'].filter((key) => kept.get(key, 1) !== undefined)).toEqual(['a', 'c', 'd']);
  });
});
