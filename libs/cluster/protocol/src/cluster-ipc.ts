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
  /** HAProxy's HTTPS frontend for users (`https://...`). */
  baseUrl: string;
  /** HAProxy's plain HTTP frontend: it answers every request with a 308 to the same URL on baseUrl. */
  httpRedirectUrl: string;
  /**
   * The certificate baseUrl presents (PEM, never its key): self-signed for a local cluster, so a
   * client must trust exactly it (tools/testing's public-tls.ts does, per origin).
   */
  publicCertificatePem: string;
  /** HAProxy's stats page, on the internal address, behind HTTP basic authentication. */
  statsUrl: string;
  statsUsername: string;
  statsPassword: string;
  adminUsername: string;
  adminPassword: string;
  databaseUrl: string;
  redisUrl: string | undefined;
  /** HAProxy's gRPC frontends (internal host:port) by service, e.g. for calling the orchestrator directly. */
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
