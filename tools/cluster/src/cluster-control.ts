import type { LocalCluster } from './local-cluster';

/**
 * The IPC protocol between `tools/cluster/src/main.ts` and a parent that started it with an IPC
 * channel (tools/testing's startFlotillaCluster), so HA tests can stop, start and inspect nodes.
 */
export interface ClusterNodeSummary {
  name: string;
  baseUrl: string;
  pids: number[];
  /** The same processes by service (e.g. to SIGSTOP only a node's deployment-executor). */
  servicePids: Record<string, number>;
}

export interface ClusterSummary {
  baseUrl: string;
  statsUrl: string;
  adminUsername: string;
  adminPassword: string;
  databaseUrl: string;
  redisUrl: string | undefined;
  /** HAProxy's gRPC frontends (host:port) by service, e.g. for calling the orchestrator directly. */
  grpcUrls: Record<string, string>;
  /** True when this tool runs the redis-server, so stopRedis / startRedis work. */
  redisControl: boolean;
  nodes: ClusterNodeSummary[];
}

export type ClusterCommand =
  | { type: 'command'; id: number; command: 'stopNode' | 'startNode'; node: string }
  | { type: 'command'; id: number; command: 'stopRedis' | 'startRedis' | 'describe' };

export type ClusterMessage =
  | { type: 'ready'; cluster: ClusterSummary }
  | { type: 'failed'; error: string }
  | { type: 'reply'; id: number; ok: true; cluster: ClusterSummary }
  | { type: 'reply'; id: number; ok: false; error: string };

export function summarise(cluster: LocalCluster): ClusterSummary {
  return {
    baseUrl: cluster.baseUrl,
    statsUrl: cluster.statsUrl,
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
