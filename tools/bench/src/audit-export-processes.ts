import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

import type { FlotillaNode } from '@flotilla/testing';

/** The process id of one of the node's services (the launcher names each by its entry file). */
export async function serviceProcessId(node: FlotillaNode, service: 'gateway' | 'audit'): Promise<number> {
  const nodeName = `FLOTILLA_NODE_NAME=test-node-${new URL(node.baseUrl).port}`;
  const entry = join('apps', service, 'src', 'main.ts');
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const command = await readFile(`/proc/${name}/cmdline`, 'utf8');
      if (!command.includes(entry)) continue;
      const environment = (await readFile(`/proc/${name}/environ`, 'utf8')).split('\0');
      if (environment.includes(nodeName)) return Number(name);
    } catch {
      // A process that ended meanwhile, or another user's.
    }
  }
  throw new Error(`no ${service} process of ${nodeName} found in /proc`);
}

/** Resident memory of a process in bytes (VmRSS). */
export async function residentBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
  if (!kb) throw new Error(`no VmRSS for process ${pid}`);
  return Number(kb) * 1024;
}

/** Samples the peak RSS of processes every `everyMs` until stopped. */
export function sampleResidentPeak(pids: readonly number[], everyMs = 50) {
  const peaks = new Map<number, number>(pids.map((pid) => [pid, 0]));
  let running = true;
  const loop = (async () => {
    while (running) {
      for (const pid of pids) peaks.set(pid, Math.max(peaks.get(pid) ?? 0, await residentBytes(pid)));
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  })();
  return {
    async stop(): Promise<Map<number, number>> {
      running = false;
      await loop;
      return peaks;
    },
  };
}

/** CPU time a process has used so far, user and system, in milliseconds (/proc/<pid>/stat). */
export async function cpuMilliseconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th, in ticks.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  // Linux's USER_HZ is 100 on every architecture Node runs on.
  return ticks * 10;
}
