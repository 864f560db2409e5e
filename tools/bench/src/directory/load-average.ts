import { cpus, loadavg } from 'node:os';

/** "1-min 3.12, 5-min 2.80, 15-min 2.10 on 2 CPUs": the machine's load, printed with every figure. */
export function formatLoadAverage(load: readonly number[] = loadavg(), cpuCount = cpus().length): string {
  const [one = 0, five = 0, fifteen = 0] = load;
  return `1-min ${one.toFixed(2)}, 5-min ${five.toFixed(2)}, 15-min ${fifteen.toFixed(2)} on ${cpuCount} CPUs`;
}
