import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { cpuSnapshot } from './process-cpu';

/**
 * `perf record -a -g` beside one measured round (security-one-node.ts --perf): Linux's sampler sees
 * every process at little cost, where the inspector's profiler slowed these services 2-5 times on
 * the 2-core machine. The services run with --perf-basic-prof, so JIT frames have names.
 */
export const PERF_NODE_OPTIONS = '--perf-basic-prof';

/** Fails early, naming the package, when perf is not installed. */
export function checkPerfInstalled(): void {
  try {
    execFileSync('perf', ['--version'], { stdio: 'ignore' });
  } catch {
    throw new Error('--perf needs Linux perf on PATH (Debian: apt-get install linux-perf)');
  }
}

/** A recording in progress; `done` resolves once perf has written its file. */
export interface PerfRecording {
  file: string;
  done: Promise<void>;
}

export function startPerfRecording(dir: string, name: string, seconds: number): PerfRecording {
  const file = join(dir, `${name}.perf.data`);
  const perf: ChildProcess = spawn(
    'perf',
    ['record', '-a', '-g', '-F', '999', '-o', file, '--', 'sleep', String(seconds)],
    { stdio: 'ignore' },
  );
  const done = new Promise<void>((resolve, reject) => {
    perf.once('error', reject);
    perf.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`perf record exited with ${code}`)),
    );
  });
  return { file, done };
}

/**
 * A process's /tmp/perf-<pid>.map as it should be read for samples taken until now: V8 reuses
 * code space after a collection and the map only grows, so where entries overlap the newest one
 * holds and older ones are dropped. perf reads the first entry it finds: without this, some 13 %
 * of one gateway's samples were named after module-loader functions that ran at start-up only.
 */
export function currentPerfMap(mapText: string): string {
  type Entry = { start: number; end: number; line: string };
  const kept: Entry[] = []; // sorted by start, never overlapping
  /** The index of the first kept entry ending after `start`. */
  const firstEndingAfter = (start: number): number => {
    let low = 0;
    let high = kept.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (kept[middle].end <= start) low = middle + 1;
      else high = middle;
    }
    return low;
  };
  const lines = mapText.split('\n');
  for (let index = lines.length - 1; index >= 0; index -= 1) {
    const [start, size] = lines[index].split(' ', 2).map((field) => Number.parseInt(field, 16));
    if (!Number.isFinite(start) || !Number.isFinite(size)) continue;
    const at = firstEndingAfter(start);
    if (at < kept.length && kept[at].start < start + size) continue; // a newer entry holds this code
    kept.splice(at, 0, { start, end: start + size, line: lines[index] });
  }
  return `${kept.map((entry) => entry.line).join('\n')}\n`;
}

/**
 * Writes `<name>.pids.json` (process group → pids) and each process's current perf map beside the
 * recording, and returns the commands that read one service's own time by function.
 */
export function describeRecording(
  recording: PerfRecording,
  name: string,
  groups: readonly string[],
): string[] {
  const pids = new Map<string, number[]>();
  for (const [pid, { group }] of cpuSnapshot()) {
    if (groups.includes(group)) pids.set(group, [...(pids.get(group) ?? []), pid]);
  }
  const base = recording.file.replace(/\.perf\.data$/, '');
  writeFileSync(`${base}.pids.json`, JSON.stringify(Object.fromEntries(pids), null, 2));
  const commands: string[] = [];
  for (const [group, ids] of pids) {
    const mapped = ids.filter((pid) => existsSync(`/tmp/perf-${pid}.map`));
    for (const pid of mapped)
      writeFileSync(`${base}.perf-${pid}.map`, currentPerfMap(readFileSync(`/tmp/perf-${pid}.map`, 'utf8')));
    // perf reads /tmp/perf-<pid>.map only: the snapshot goes back there before reading.
    const restore = mapped.map((pid) => `cp ${base}.perf-${pid}.map /tmp/perf-${pid}.map && `).join('');
    commands.push(
      `  ${name} ${group}: ${restore}perf report -i ${recording.file} --pid ${ids.join(',')} --no-children --sort sym --stdio`,
    );
  }
  return commands;
}
