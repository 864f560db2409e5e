import type { ClusterCommand, ClusterSummary } from '@flotilla/cluster/protocol';

import type { LocalCluster } from './local-cluster';

export function summarise(cluster: LocalCluster): ClusterSummary {
  return {
    baseUrl: cluster.baseUrl,
    httpRedirectUrl: cluster.httpRedirectUrl,
    publicCertificatePem: cluster.publicCertificatePem,
    statsUrl: cluster.statsUrl,
    statsUsername: cluster.statsUsername,
    statsPassword: cluster.statsPassword,
    adminUsername: cluster.adminUsername,
    adminPassword: cluster.adminPassword,
    databaseUrl: cluster.databaseUrl,
    redisUrl: cluster.redisUrl,
    grpcUrls: { ...cluster.grpcUrls },
    redisControl: cluster.redis !== undefined,
    nodes: cluster.nodes.map((node) => ({
      name: node.name,
      baseUrl: node.baseUrl,
      pids: node.pids(),
      servicePids: node.servicePids(),
    })),
  };
}

const NODE_START_TIMEOUT_MS = 120_000;

/** Carries out one command against the running cluster. */
export async function runCommand(cluster: LocalCluster, message: ClusterCommand): Promise<void> {
  switch (message.command) {
    case 'stopNode':
    case 'startNode': {
      const node = cluster.nodes.find((candidate) => candidate.name === message.node);
      if (!node) throw new Error(`No node named ${message.node}`);
      if (message.command === 'stopNode') return node.stop();
      node.start();
      return node.waitUntilServing(NODE_START_TIMEOUT_MS);
    }
    case 'stopRedis':
    case 'startRedis':
      if (!cluster.redis) throw new Error('This cluster does not run its own redis-server');
      return message.command === 'stopRedis' ? cluster.redis.stop() : cluster.redis.start();
    case 'describe':
      return;
  }
}

export function isClusterCommand(message: unknown): message is ClusterCommand {
  return (
    typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'command'
  );
}
