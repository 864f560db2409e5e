import { readdirSync, readFileSync } from 'node:fs';

/**
 * Whether any process of the group still runs (Linux /proc). Zombies are ignored: this
 * container's PID 1 does not reap orphans, so a killed script's children can linger as zombies
 * although they run nothing, and `kill(-group, 0)` would still find them.
 */
export function processGroupAlive(pgid: number): boolean {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    const [state, , group] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(group) === pgid && state !== 'Z') return true;
  }
  return false;
}
