import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;

/** User + system CPU of every process on the machine, in seconds, by a name saying what it is. */
export type CpuByProcessGroup = Map<string, number>;

/** What a process is, from its command line: a Flotilla service by name, else the program. */
export function processGroup(commandLine: string, ownPid: number, pid: number): string {
  if (pid === ownPid) return 'load generator (this process)';
  const service = /apps\/([a-z-]+)\/src\/main\.ts/.exec(commandLine)?.[1];
  if (service) return service;
  const program = commandLine.split('\0')[0] ?? '';
  if (/postgres/.test(program) || /^postgres:/.test(program)) return 'postgres';
  return program.replace(/^.*\//, '') || '(unnamed)';
}

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return ''; // the process ended between the listing and the read
  }
}

/**
 * A snapshot of /proc: CPU seconds per process (all threads), grouped. Processes that end between
 * two snapshots lose their CPU from the difference; the short-lived ones here (psql, git) do not
 * matter beside the servers.
 */
export function cpuSnapshot(): Map<number, { group: string; seconds: number }> {
  const snapshot = new Map<number, { group: string; seconds: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const stat = readOrEmpty(`/proc/${pid}/stat`);
    if (!stat) continue;
    const fields = stat.replace(/^.*\) /, '').split(' ');
    const seconds = (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
    const commandLine = readOrEmpty(`/proc/${pid}/cmdline`);
    snapshot.set(pid, { group: processGroup(commandLine, process.pid, pid), seconds });
  }
  return snapshot;
}

/** CPU seconds spent between two snapshots, per group; a process new in `to` counts from zero. */
export function cpuBetween(
  from: Map<number, { group: string; seconds: number }>,
  to: Map<number, { group: string; seconds: number }>,
): CpuByProcessGroup {
  const spent: CpuByProcessGroup = new Map();
  for (const [pid, { group, seconds }] of to) {
    const delta = seconds - (from.get(pid)?.seconds ?? 0);
    if (delta > 0) spent.set(group, (spent.get(group) ?? 0) + delta);
  }
  return spent;
}

/** Busy CPU seconds of the whole machine (every core, idle and iowait excluded) from /proc/stat. */
export function machineBusySeconds(): number {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = fields;
  return (user + nice + system + irq + softirq + steal) / TICKS_PER_SECOND;
}
