import { writeFile } from 'node:fs/promises';

import type { FlotillaCluster } from '@flotilla/testing';

/**
 * Stops an HA spec's cluster; with HA_CLUSTER_OUTPUT=<file>, first keeps what the cluster's
 * processes printed there, for diagnosing failures.
 */
export async function stopKeepingOutput(cluster: FlotillaCluster | undefined): Promise<void> {
  const outputFile = process.env['HA_CLUSTER_OUTPUT'];
  if (outputFile && cluster) await writeFile(outputFile, cluster.output());
  await cluster?.stop();
}
