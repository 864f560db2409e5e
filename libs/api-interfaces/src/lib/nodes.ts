export interface ClusterNode {
  name: string;
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
}

/** GET /api/health/ping: 200 while serving, 418 while draining (the load balancer's check). */
export interface PingResponse {
  name: string;
  isDraining: boolean;
  version: string;
  /** ISO-8601, this gateway's clock (informational only). */
  time: string;
}
