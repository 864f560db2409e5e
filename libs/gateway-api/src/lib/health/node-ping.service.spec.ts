import type { orchestratorV1 } from '@flotilla/contracts';
import { NodeStatus } from '@flotilla/cluster/heartbeat';

import { NodePingService, PING_REFRESH_MS, PING_REFRESH_WAIT_MS } from './node-ping.service';

const NODE: orchestratorV1.ClusterNode = {
  name: 'node-a',
  state: 'Running',
  lastSeen: '',
  taskCap: 5,
  runningTasks: 0,
  isDraining: false,
  services: [],
  version: '1.0.0',
  startedAt: '',
  overLicenceLimit: false,
  statusMessage: '',
};

function setup(getNode: (name: string) => Promise<orchestratorV1.ClusterNode>) {
  let now = 10_000;
  const status = new NodeStatus(() => now);
  const calls: string[] = [];
  const cluster = {
    getNode: (name: string) => {
      calls.push(name);
      return getNode(name);
    },
  };
  const config = { nodeName: 'node-a', version: '1.0.0', heartbeatTimeoutMs: 5000 };
  const sut = new NodePingService(config, status, cluster);
  return { sut, status, calls, advance: (ms: number) => (now += ms) };
}

describe(NodePingService.name, () => {
  it('asks the orchestrator for the node when it knows nothing fresher than a second', async () => {
    const { sut, calls } = setup(() => Promise.resolve({ ...NODE, isDraining: true, state: 'Draining' }));
    await expect(sut.ping()).resolves.toMatchObject({ status: 418 });
    expect(calls).toEqual(['node-a']);
  });

  it('answers from a heartbeat reply younger than a second without calling', async () => {
    const { sut, status, calls, advance } = setup(() => Promise.reject(new Error('unexpected GetNode')));
    status.record(NODE);
    advance(PING_REFRESH_MS - 1);
    await expect(sut.ping()).resolves.toMatchObject({ status: 200 });
    expect(calls).toEqual([]);
  });

  it('rides out an unreachable orchestrator until the heartbeat timeout, then answers 503', async () => {
    const { sut, status, advance } = setup(() => Promise.reject(new Error('14 UNAVAILABLE')));
    status.record(NODE);
    advance(4000);
    await expect(sut.ping()).resolves.toMatchObject({ status: 200 });
    advance(2000);
    await expect(sut.ping()).resolves.toMatchObject({ status: 503 });
  });

  it('answers from the last known state when the orchestrator does not answer in time', async () => {
    // A GetNode that never settles: a call routed to a frozen orchestrator replica.
    const { sut, status, advance } = setup(() => new Promise<orchestratorV1.ClusterNode>(() => undefined));
    status.record(NODE);
    advance(PING_REFRESH_MS + 500);
    const startedAt = Date.now();
    await expect(sut.ping()).resolves.toMatchObject({ status: 200 });
    expect(Date.now() - startedAt).toBeLessThan(PING_REFRESH_WAIT_MS + 500);
  });

  it('shares one GetNode call between concurrent pings', async () => {
    const { sut, calls } = setup(() => Promise.resolve(NODE));
    await Promise.all([sut.ping(), sut.ping(), sut.ping()]);
    expect(calls).toHaveLength(1);
  });

  it('answers 418 without asking anyone once stopping', async () => {
    const { sut, calls } = setup(() => Promise.reject(new Error('unexpected GetNode')));
    sut.beginStopping();
    await expect(sut.ping()).resolves.toMatchObject({ status: 418 });
    expect(calls).toEqual([]);
  });
});
