/**
 * How a sign-in's groups compare with the groups the seed put the user in: a benchmark that times
 * a sign-in which found the wrong groups (or none) measures nothing, so every sample is checked.
 * Compared as given (DNs or SIDs; the caller normalises letter case if its source may differ).
 */
export interface GroupCoverage {
  /** Expected groups that were found. */
  found: number;
  missing: string[];
  /** Found groups that were not expected (and not allowed as extra). */
  unexpected: string[];
}

export function groupCoverage(
  foundGroups: readonly string[],
  expectedGroups: readonly string[],
  allowedExtra: readonly string[] = [],
): GroupCoverage {
  const found = new Set(foundGroups);
  const expected = new Set(expectedGroups);
  const extra = new Set(allowedExtra);
  return {
    found: [...expected].filter((group) => found.has(group)).length,
    missing: [...expected].filter((group) => !found.has(group)),
    unexpected: [...found].filter((group) => !expected.has(group) && !extra.has(group)),
  };
}

/** Undefined when the coverage is complete and clean; else what is wrong, for the error count and log. */
export function coverageProblem(coverage: GroupCoverage): string | undefined {
  if (coverage.missing.length === 0 && coverage.unexpected.length === 0) return undefined;
  const sample = (groups: string[]): string =>
    groups.slice(0, 3).join('; ') + (groups.length > 3 ? '; ...' : '');
  return [
    `${coverage.found} expected groups found`,
    ...(coverage.missing.length ? [`${coverage.missing.length} missing (${sample(coverage.missing)})`] : []),
    ...(coverage.unexpected.length
      ? [`${coverage.unexpected.length} unexpected (${sample(coverage.unexpected)})`]
      : []),
  ].join(', ');
}
