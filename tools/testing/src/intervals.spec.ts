import { mostAtOnce } from './intervals';

describe(mostAtOnce.name, () => {
  it('counts overlapping intervals, not ones that merely touch', () => {
    expect(
      mostAtOnce([
        { from: 0, to: 2 },
        { from: 1, to: 3 },
        { from: 2, to: 4 },
      ]),
    ).toBe(2);
    expect(mostAtOnce([])).toBe(0);
  });
});
