export interface ClusterNode {
  name: string;
  /** Running, Draining or Offline. */
  state: string;
  /** ISO-8601, database time. */
  lastSeen: string;
  taskCap: number;
  runningTasks: number;
  isDraining: boolean;
  services: string[];
  version: string;
  /** ISO-8601 */
  startedAt: string;
  /** Beyond the licence's node limit: the node serves users but refuses tasks. */
  overLicenceLimit: boolean;
  /** Why the node does (not) take tasks, e.g. which licence limit it is over; empty when all is well. */
  statusMessage: string;
}

/** PUT /api/nodes/:name — only the fields given change. */
export interface UpdateNodeRequest {
  /** 0–1000; 0 means the node takes no tasks. */
  taskCap?: number;
  isDraining?: boolean;
}

/**
 * GET /api/health/ping: 200 while serving, 418 while draining / over the licence limit / stopping,
 * 503 when cut off from the cluster (the load balancer's check). The body is the node either way.
 */
export interface PingResponse extends ClusterNode {
  /** ISO-8601, this gateway's clock (informational only). */
  time: string;
}
