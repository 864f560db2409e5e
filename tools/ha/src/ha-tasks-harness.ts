import type { RunRecord } from '@flotilla/testing';

export function signalProcessGroup(processGroup: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-processGroup, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** Runs of one task never overlap in time; a run without an end ended at `killedAt` (or is still on). */
export function overlappingRuns(runs: RunRecord[], killedAt = Number.POSITIVE_INFINITY): RunRecord[][] {
  const clashes: RunRecord[][] = [];
  const sorted = [...runs].sort((a, b) => a.startedAt - b.startedAt);
  for (let index = 1; index < sorted.length; index += 1) {
    const before = sorted[index - 1];
    if (sorted[index].startedAt < (before.endedAt ?? killedAt)) clashes.push([before, sorted[index]]);
  }
  return clashes;
}
