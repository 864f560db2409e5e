import { ApiClient, FlotillaCluster } from '@flotilla/testing';

/**
 * Every node Running in GET /api/nodes and every node's own gateway answering its ping with 200.
 * `api`: signed in on one node's gateway directly, so HAProxy's own checks (a gateway comes back
 * into its pool two checks after its ping answers 200 again) do not count.
 */
export async function allNodesHealthy(cluster: FlotillaCluster, api: ApiClient): Promise<boolean> {
  const [listed, pings] = await Promise.all([
    api.get<{ items: { name: string; state: string }[] }>('/api/nodes').catch(() => undefined),
    Promise.all(
      cluster.nodes.map((node) =>
        new ApiClient(node.baseUrl).get('/api/health/ping').then(
          (response) => response.status,
          () => 0,
        ),
      ),
    ),
  ]);
  if (listed?.status !== 200 || pings.some((status) => status !== 200)) return false;
  const running = new Set(
    listed.body.items.filter((node) => node.state === 'Running').map((node) => node.name),
  );
  return cluster.nodes.every((node) => running.has(node.name));
}

/** Polls every `everyMs` until every node is healthy; resolves with the epoch ms it first was. */
export async function waitUntilAllNodesHealthy(
  cluster: FlotillaCluster,
  api: ApiClient,
  timeoutMs: number,
  everyMs = 100,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await allNodesHealthy(cluster, api)) return Date.now();
    if (Date.now() > deadline) throw new Error(`the nodes were not all healthy within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
