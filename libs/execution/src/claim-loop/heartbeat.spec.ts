import { orchestratorV1 } from '@flotilla/contracts';

import { TaskOrchestrator } from '../collaborators/task-orchestrator';
import { Heartbeat } from './heartbeat';

/** Records heartbeat requests; every other call is unexpected here. */
function recordingOrchestrator(requests: orchestratorV1.HeartbeatRequest[]): TaskOrchestrator {
  const unexpected = () => Promise.reject(new Error('unexpected call'));
  return {
    claimTask: unexpected,
    reportProgress: unexpected,
    completeTask: unexpected,
    releaseTask: unexpected,
    getTask: unexpected,
    heartbeat: (request) => {
      requests.push(request);
      return Promise.resolve({ name: request.nodeName } as orchestratorV1.ClusterNode);
    },
  };
}

describe(Heartbeat.name, () => {
  it('tells the orchestrator whether the node is stopping, as of each beat', async () => {
    const requests: orchestratorV1.HeartbeatRequest[] = [];
    let stopping = false;
    const sut = new Heartbeat({
      nodeName: 'node-a',
      version: '1.2.3',
      defaultTaskCap: 5,
      intervalMs: 60_000,
      orchestrator: recordingOrchestrator(requests),
      onReply: () => undefined,
      isStopping: () => stopping,
      logger: { warn: () => undefined, log: () => undefined },
    });
    await sut.beat();
    stopping = true;
    await sut.beat();
    expect(requests).toEqual([
      {
        nodeName: 'node-a',
        service: 'deployment-executor',
        version: '1.2.3',
        defaultTaskCap: 5,
        stopping: false,
      },
      {
        nodeName: 'node-a',
        service: 'deployment-executor',
        version: '1.2.3',
        defaultTaskCap: 5,
        stopping: true,
      },
    ]);
  });
});
