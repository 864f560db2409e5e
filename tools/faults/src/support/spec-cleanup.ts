import { writeFile } from 'node:fs/promises';

import type { FlotillaCluster } from '@flotilla/testing';

/**
 * FAULTS_CLUSTER_OUTPUT=<file> keeps what a spec's cluster processes printed, as `<file>-<spec>`,
 * for diagnosing a failure after the fact.
 */
export async function keepClusterOutput(cluster: FlotillaCluster | undefined, spec: string): Promise<void> {
  const outputFile = process.env['FAULTS_CLUSTER_OUTPUT'];
  if (outputFile && cluster) await writeFile(`${outputFile}-${spec}`, cluster.output());
}

/**
 * Runs every clean-up step in order even when one fails (a mount that will not come off must not
 * leave a cluster running, nor a failed database drop a server), then throws the first failure.
 */
export async function cleanUpAll(steps: readonly (() => Promise<unknown>)[]): Promise<void> {
  const failures: unknown[] = [];
  for (const step of steps) {
    try {
      await step();
    } catch (error) {
      failures.push(error);
    }
  }
  if (failures.length > 0) throw failures[0];
}
