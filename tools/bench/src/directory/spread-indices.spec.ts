import { spreadIndices } from './spread-indices';

describe('spreadIndices', () => {
  it('spreads the picks evenly, one per stride, all distinct and in range', () => {
    expect(spreadIndices(5000, 50)).toHaveLength(50);
    expect(spreadIndices(5000, 50).slice(0, 3)).toEqual([0, 100, 200]);
    expect(spreadIndices(10, 3)).toEqual([0, 3, 6]);
    const picks = spreadIndices(7, 7);
    expect(picks).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('picks nothing when asked for nothing, and refuses more than there are', () => {
    expect(spreadIndices(10, 0)).toEqual([]);
    expect(() => spreadIndices(3, 4)).toThrow('cannot pick 4 of 3');
    expect(() => spreadIndices(3, -1)).toThrow();
  });
});
