import type { orchestratorV1 } from '@flotilla/contracts';

import { HeartbeatLogger, NodeHeartbeat, NodeHeartbeatOptions } from './node-heartbeat';
import { NodeStatus } from './node-status';

const OPTIONS: NodeHeartbeatOptions = {
  nodeName: 'node-a',
  service: 'auth',
  version: '1.2.3',
  defaultTaskCap: 7,
  intervalMs: 60_000,
};

const NODE: orchestratorV1.ClusterNode = {
  name: 'node-a',
  state: 'Running',
  lastSeen: '2024-01-01T00:00:00.000Z',
  taskCap: 7,
  runningTasks: 0,
  isDraining: false,
  services: ['auth'],
  version: '1.2.3',
  startedAt: '2024-01-01T00:00:00.000Z',
  overLicenceLimit: false,
  statusMessage: '',
};

class RecordingLogger implements HeartbeatLogger {
  readonly warnings: string[] = [];
  readonly logs: string[] = [];
  log(message: string): void {
    this.logs.push(message);
  }
  warn(message: string): void {
    this.warnings.push(message);
  }
}

function setup(answer: (request: orchestratorV1.HeartbeatRequest) => Promise<orchestratorV1.ClusterNode>) {
  const requests: orchestratorV1.HeartbeatRequest[] = [];
  const cluster = {
    heartbeat: (request: orchestratorV1.HeartbeatRequest) => {
      requests.push(request);
      return answer(request);
    },
  };
  const status = new NodeStatus();
  const logger = new RecordingLogger();
  const sut = new NodeHeartbeat(OPTIONS, cluster, status, logger);
  return { sut, requests, status, logger };
}

describe(NodeHeartbeat.name, () => {
  it('heartbeats at start-up with the node, service, version and default task cap', async () => {
    const { sut, requests, status } = setup(() => Promise.resolve(NODE));
    sut.start();
    await sut.stop();
    expect(requests).toEqual([
      { nodeName: 'node-a', service: 'auth', version: '1.2.3', defaultTaskCap: 7, stopping: false },
    ]);
    expect(status.known()?.node).toEqual(NODE);
  });

  it('heartbeats again every interval', async () => {
    const requests: orchestratorV1.HeartbeatRequest[] = [];
    const cluster = {
      heartbeat: (request: orchestratorV1.HeartbeatRequest) => {
        requests.push(request);
        return Promise.resolve(NODE);
      },
    };
    const sut = new NodeHeartbeat(
      { ...OPTIONS, intervalMs: 20 },
      cluster,
      new NodeStatus(),
      new RecordingLogger(),
    );
    sut.start();
    // Polled rather than timed: a loaded CI machine may run the 20 ms timer late, but it must run.
    const deadline = Date.now() + 5000;
    while (requests.length < 3 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 10));
    await sut.stop();
    expect(requests.length).toBeGreaterThanOrEqual(3);
  });

  it('logs a failing orchestrator once at warn, never throws, and says when it recovers', async () => {
    let fail = true;
    const { sut, logger, status } = setup(() =>
      fail ? Promise.reject(new Error('14 UNAVAILABLE: no healthy upstream')) : Promise.resolve(NODE),
    );
    await expect(sut.beat()).resolves.toBeUndefined();
    await expect(sut.beat()).resolves.toBeUndefined();
    expect(logger.warnings).toHaveLength(1);
    expect(logger.warnings[0]).toContain('no healthy upstream');
    expect(status.known()).toBeUndefined();
    fail = false;
    await sut.beat();
    expect(logger.logs).toHaveLength(1);
    expect(status.known()?.node.name).toBe('node-a');
  });

  it('does not pile up heartbeats while one is still waiting for its answer', async () => {
    let release: (node: orchestratorV1.ClusterNode) => void = () => undefined;
    const { sut, requests } = setup(() => new Promise((resolve) => (release = resolve)));
    const first = sut.beat();
    const second = sut.beat();
    expect(requests).toHaveLength(1);
    release(NODE);
    await Promise.all([first, second]);
  });
});

describe(NodeStatus.name, () => {
  it('reports how long ago the node state arrived', () => {
    let now = 1000;
    const sut = new NodeStatus(() => now);
    expect(sut.known()).toBeUndefined();
    sut.record(NODE);
    now = 3500;
    expect(sut.known()).toEqual({ node: NODE, ageMs: 2500 });
  });
});
