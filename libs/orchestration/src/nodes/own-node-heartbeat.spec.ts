import type { orchestratorV1 } from '@flotilla/contracts';

import { OwnNodeHeartbeat } from './own-node-heartbeat';

const config = { nodeName: 'node-a', version: '1.2.3', taskCap: 7, heartbeatIntervalMs: 60_000 };

describe(OwnNodeHeartbeat.name, () => {
  it('records its own node as the task-orchestrator service, with the configured task cap', async () => {
    const sent: orchestratorV1.HeartbeatRequest[] = [];
    const sut = new OwnNodeHeartbeat(
      {
        heartbeat: (request) => {
          sent.push(request);
          return Promise.resolve({} as orchestratorV1.ClusterNode);
        },
      },
      config,
    );
    sut.onApplicationBootstrap();
    await sut.onApplicationShutdown();
    expect(sent).toEqual([
      {
        nodeName: 'node-a',
        service: 'task-orchestrator',
        version: '1.2.3',
        defaultTaskCap: 7,
        stopping: false,
      },
    ]);
  });

  it('survives a failing database and beats again on the next tick', async () => {
    let calls = 0;
    const sut = new OwnNodeHeartbeat(
      {
        heartbeat: () => {
          calls += 1;
          return calls === 1
            ? Promise.reject(new Error('connection refused'))
            : Promise.resolve({} as orchestratorV1.ClusterNode);
        },
      },
      config,
    );
    await expect(sut.beat()).resolves.toBeUndefined();
    await expect(sut.beat()).resolves.toBeUndefined();
    expect(calls).toBe(2);
  });
});
