/**
 * Where a task log is missing lines, a `Warning` record whose message starts with this prefix says
 * how many and why (the agreed marker: readers and the portal look for it).
 */
export const LOG_GAP_PREFIX = 'Log gap: ';

const GAP_LINES = /^Log gap: (\d+) line/;

/** Why shared storage refused a write, as an errno code and words for people. */
export interface StorageProblem {
  code: string;
  description: string;
}

const DESCRIPTIONS: Readonly<Record<string, string>> = {
  ENOSPC: 'shared storage full',
  EDQUOT: 'shared storage full',
  EROFS: 'shared storage read-only',
  EIO: 'shared storage I/O error',
};

export function storageProblemOf(error: unknown): StorageProblem {
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? 'UNKNOWN';
  return { code, description: DESCRIPTIONS[code] ?? 'shared storage error' };
}

/** "shared storage full (ENOSPC)": how a task's completion names the problem. */
export function describeStorageProblem(problem: StorageProblem): string {
  return `${problem.description} (${problem.code})`;
}

/** "Log gap: 758 line(s) could not be written here (shared storage full: ENOSPC)" */
export function logGapMessage(lines: number, problem: StorageProblem): string {
  return `${LOG_GAP_PREFIX}${lines} line(s) could not be written here (${problem.description}: ${problem.code})`;
}

/** The number of missing lines a gap marker accounts for, or undefined when it is not a marker. */
export function gapLinesOf(message: string): number | undefined {
  const match = GAP_LINES.exec(message);
  return match ? Number(match[1]) : undefined;
}
