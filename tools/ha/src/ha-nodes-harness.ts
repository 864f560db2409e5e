import { ApiClient, Deployer, FlotillaCluster, Identified } from '@flotilla/testing';

export interface NodeJson {
  name: string;
  state: string;
  isDraining: boolean;
  overLicenceLimit: boolean;
  statusMessage: string;
}

export interface TimedTask {
  nodeName: string;
  state: string;
  queuedAt: string;
  startedAt: string;
}

/** A node's own ping, bypassing HAProxy (no credentials: the load balancer has none). */
export async function ping(baseUrl: string): Promise<{ status: number; body: NodeJson }> {
  return new ApiClient(baseUrl).get<NodeJson>('/api/health/ping');
}

export async function listNodes(api: ApiClient): Promise<NodeJson[]> {
  const response = await api.get<{ items: NodeJson[] }>('/api/nodes');
  if (response.status !== 200) throw new Error(`nodes: ${response.status}`);
  return response.body.items;
}

/** HAProxy's view of the gateways backend: server name → status (UP, DOWN, "DOWN 1/2"...). */
export async function gatewayStatuses(cluster: FlotillaCluster): Promise<Record<string, string>> {
  const response = await fetch(`${cluster.statsUrl};csv`, {
    headers: { authorization: cluster.statsAuthorization },
  });
  const [header, ...rows] = (await response.text()).split('\n');
  const columns = header.replace(/^# /, '').split(',');
  const at = (name: string): number => columns.indexOf(name);
  const statuses: Record<string, string> = {};
  for (const row of rows) {
    const cells = row.split(',');
    const server = cells[at('svname')];
    if (cells[at('pxname')] === 'gateways' && server !== 'FRONTEND' && server !== 'BACKEND') {
      statuses[server] = cells[at('status')];
    }
  }
  return statuses;
}

/**
 * Deploys one at a time (each waits for the previous to finish) and returns the finished tasks.
 * `jitterMs`: a random pause before each deployment, so that against a polling node the deployments
 * land at random points of its poll interval instead of in step with it.
 */
export async function deploySequentially(
  deployer: Deployer,
  release: Identified,
  environments: Identified[],
  count: number,
  jitterMs = 0,
): Promise<TimedTask[]> {
  const tasks: TimedTask[] = [];
  for (let index = 0; index < count; index += 1) {
    if (jitterMs) await new Promise((resolve) => setTimeout(resolve, Math.random() * jitterMs));
    const taskId = await deployer.deploy(release, environments[index % environments.length]);
    await deployer.waitForTask(taskId, (task) => task.state === 'Success', 30_000, 'to succeed');
    tasks.push((await deployer.api.get<TimedTask>(`/api/tasks/${taskId}`)).body);
  }
  return tasks;
}

/** queuedAt → startedAt of each task, in ms (both are database times). */
export function pickupDelays(tasks: TimedTask[]): number[] {
  return tasks.map((task) => Date.parse(task.startedAt) - Date.parse(task.queuedAt));
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
