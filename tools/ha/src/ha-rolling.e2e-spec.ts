import { createHash } from 'node:crypto';

import {
  ApiClient,
  Deployer,
  eventually,
  FINISHED,
  FlotillaCluster,
  Identified,
  startFlotillaCluster,
  Task,
  trustingFetch,
} from '@flotilla/testing';

import { ClientLoad, describeRequest, LOAD_KINDS, LoadKind, LoadRequest } from './client-load';
import { stopKeepingOutput } from './ha-cluster-teardown';

const stage = (what: string): void =>
  void process.stdout.write(`[ha-rolling] ${new Date().toISOString()} ${what}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Each restart window must have seen at least this many requests of each kind (so an idle load cannot pass). */
const MIN_DURING_RESTART: Record<LoadKind, number> = { read: 30, write: 30, upload: 10, download: 10 };

/** HAProxy's status of every server of `node` in every backend (gateways and each gRPC service). */
async function haproxyStatusesOf(
  cluster: Pick<FlotillaCluster, 'statsUrl' | 'statsAuthorization'>,
  node: string,
): Promise<Record<string, string>> {
  const response = await fetch(`${cluster.statsUrl};csv`, {
    headers: { authorization: cluster.statsAuthorization },
  });
  const [header, ...rows] = (await response.text()).trim().split('\n');
  const columns = header.replace(/^# /, '').split(',');
  const at = (name: string): number => columns.indexOf(name);
  const statuses: Record<string, string> = {};
  for (const row of rows) {
    const cells = row.split(',');
    if (cells[at('svname')] === node) statuses[cells[at('pxname')]] = cells[at('status')];
  }
  return statuses;
}

interface RestartWindow {
  node: string;
  from: number;
  to: number;
  stopMs: number;
  startMs: number;
  /** From start() resolving (gateway answers its ping) until HAProxy had every server of the node UP. */
  backInHaproxyMs: number;
}

/**
 * Rolling restart (issue 3, test 4): three nodes behind real HAProxy, a steady client load through
 * HAProxy (REST reads and writes, package uploads and downloads), every node stopped gracefully
 * (SIGTERM) and started again in turn. Not one client request may fail; the client never retries.
 */
describe('rolling restart of a three-node cluster under client load', () => {
  let cluster: FlotillaCluster;
  let api: ApiClient;
  let environments: Identified[];

  beforeAll(async () => {
    cluster = await startFlotillaCluster({
      nodes: 3,
      licence: { nodeLimit: 'Unlimited' },
      env: {
        FLOTILLA_HEARTBEAT_INTERVAL_MS: '1000',
        FLOTILLA_HEARTBEAT_TIMEOUT_MS: '6000',
        FLOTILLA_TASK_CAP: '5',
      },
    });
    api = new ApiClient(cluster.baseUrl);
    expect((await api.login(cluster.adminUsername, cluster.adminPassword)).status).toBe(200);
    environments = await new Deployer(api).environments(3, 'Rolling env');
  }, 300_000);

  afterAll(async () => {
    await stopKeepingOutput(cluster);
  }, 60_000);

  it('restarts every node in turn while clients keep working: zero failed requests', async () => {
    const token = (await api.login(cluster.adminUsername, cluster.adminPassword)).body.token;
    const load = new ClientLoad({
      baseUrl: cluster.baseUrl,
      token,
      environmentIds: environments.map((environment) => environment.id),
      scriptBody: 'echo "rolling on $CLUSTER_NODE_NAME"',
    });
    const origin = Date.now();
    const windows: RestartWindow[] = [];
    load.start();
    try {
      await sleep(3000);
      for (const node of cluster.nodes) {
        const from = Date.now();
        stage(`stopping ${node.name}`);
        await node.stop();
        const stopMs = Date.now() - from;
        await sleep(2000);
        stage(`starting ${node.name}`);
        const startFrom = Date.now();
        await node.start();
        const startMs = Date.now() - startFrom;
        const upFrom = Date.now();
        await eventually(
          async () => {
            const statuses = await haproxyStatusesOf(cluster, node.name);
            const values = Object.values(statuses);
            return values.length === 6 && values.every((status) => status === 'UP') ? statuses : undefined;
          },
          60_000,
          `HAProxy to have every server of ${node.name} UP`,
        );
        const window = {
          node: node.name,
          from,
          to: Date.now(),
          stopMs,
          startMs,
          backInHaproxyMs: Date.now() - upFrom,
        };
        windows.push(window);
        stage(
          `${node.name} back: stop ${stopMs} ms, start ${startMs} ms, UP in HAProxy ${window.backInHaproxyMs} ms later`,
        );
      }
      await sleep(5000);
    } finally {
      await load.stop();
    }

    const countByKind = (requests: LoadRequest[]): Record<LoadKind, number> =>
      Object.fromEntries(
        LOAD_KINDS.map((kind) => [kind, requests.filter((request) => request.kind === kind).length]),
      ) as Record<LoadKind, number>;
    const total = countByKind(load.requests);
    const durations = load.requests
      .map((request) => request.endedAt - request.startedAt)
      .sort((a, b) => a - b);
    stage(
      `requests: ${load.requests.length} (${LOAD_KINDS.map((kind) => `${kind} ${total[kind]}`).join(', ')}), ` +
        `p50 ${durations[Math.floor(durations.length / 2)]} ms, p99 ${durations[Math.floor(durations.length * 0.99)]} ms, ` +
        `max ${durations.at(-1)} ms; deployments ${load.taskIds.length}, packages ${load.packages.length}`,
    );
    for (const window of windows) {
      const during = countByKind(load.during(window.from, window.to));
      stage(
        `${window.node}: restart window ${window.to - window.from} ms (stop ${window.stopMs}, start ${window.startMs}, ` +
          `back in HAProxy ${window.backInHaproxyMs}); requests ${LOAD_KINDS.map((kind) => `${kind} ${during[kind]}`).join(', ')}`,
      );
    }

    const failures = load.failures().map((request) => describeRequest(request, origin));
    if (failures.length) stage(`FAILED requests:\n${failures.join('\n')}`);
    expect(failures).toEqual([]);

    const idle: string[] = [];
    for (const window of windows) {
      const during = countByKind(load.during(window.from, window.to));
      for (const kind of LOAD_KINDS)
        if (during[kind] < MIN_DURING_RESTART[kind])
          idle.push(
            `${window.node}: ${during[kind]} ${kind} requests (at least ${MIN_DURING_RESTART[kind]})`,
          );
    }
    expect(idle).toEqual([]);

    // Every deployment created during the run finished, and finished well.
    const deployer = new Deployer(api);
    const tasks: Task[] = [];
    for (const taskId of load.taskIds)
      tasks.push(
        await deployer.waitForTask(taskId, (task) => FINISHED.includes(task.state), 120_000, 'to finish'),
      );
    expect(
      tasks
        .filter((task) => task.state !== 'Success')
        .map((task) => `${task.id} ${task.state} ${task.errorMessage}`),
    ).toEqual([]);

    // Every uploaded package is there, byte for byte.
    const mismatched: string[] = [];
    for (const uploaded of load.packages) {
      const response = await trustingFetch(
        `${cluster.baseUrl}/api/packages/${uploaded.packageId}/${uploaded.version}/raw`,
        {
          headers: { authorization: `Bearer ${token}` },
        },
      );
      const bytes = new Uint8Array(await response.arrayBuffer());
      const sha = createHash('sha256').update(bytes).digest('hex');
      if (response.status !== 200 || sha !== uploaded.sha256)
        mismatched.push(`${uploaded.packageId} ${uploaded.version}: ${response.status} ${sha}`);
    }
    expect(mismatched).toEqual([]);
  }, 420_000);
});
