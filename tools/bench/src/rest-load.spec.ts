import { errorCount, mergeResults } from './rest-load';

describe(mergeResults.name, () => {
  it('pools the samples, errors and time of several runs', () => {
    const merged = mergeResults([
      { ok: 2, errors: new Map([['HTTP 502', 1]]), latenciesMs: [1, 2], elapsedMs: 1000 },
      {
        ok: 1,
        errors: new Map([
          ['HTTP 502', 2],
          ['ECONNRESET', 1],
        ]),
        latenciesMs: [3],
        elapsedMs: 500,
      },
    ]);
    expect(merged).toEqual({
      ok: 3,
      errors: new Map([
        ['HTTP 502', 3],
        ['ECONNRESET', 1],
      ]),
      latenciesMs: [1, 2, 3],
      elapsedMs: 1500,
    });
    expect(errorCount(merged)).toBe(4);
  });
});
