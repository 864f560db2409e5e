import { coverageProblem, groupCoverage } from './group-coverage';

describe('groupCoverage', () => {
  const expected = ['g1', 'g2', 'g3'];

  it('is complete when every expected group and nothing else (but allowed extras) was found', () => {
    const coverage = groupCoverage(['g3', 'g1', 'g2', 'primary'], expected, ['primary']);
    expect(coverage).toEqual({ found: 3, missing: [], unexpected: [] });
    expect(coverageProblem(coverage)).toBeUndefined();
  });

  it('names missing and unexpected groups, and counts duplicates once', () => {
    const coverage = groupCoverage(['g1', 'g1', 'other'], expected);
    expect(coverage).toEqual({ found: 1, missing: ['g2', 'g3'], unexpected: ['other'] });
    expect(coverageProblem(coverage)).toBe(
      '1 expected groups found, 2 missing (g2; g3), 1 unexpected (other)',
    );
  });

  it('reports a sign-in that found no groups as a problem, never as complete', () => {
    expect(coverageProblem(groupCoverage([], expected))).toBe(
      '0 expected groups found, 3 missing (g1; g2; g3)',
    );
  });

  it('shortens long lists to three names', () => {
    const many = Array.from({ length: 5 }, (_, i) => `m${i}`);
    expect(coverageProblem(groupCoverage([], many))).toBe(
      '0 expected groups found, 5 missing (m0; m1; m2; ...)',
    );
  });
});
