import { orchestratorV1 } from '@flotilla/contracts';

import { toServerTask, toTaskLog } from './task-mapping';

const task: orchestratorV1.ServerTask = {
  id: 't1',
  name: 'Deploy',
  description: 'Deploy 1.0.0 to Test',
  state: 'Success',
  deploymentId: 'd1',
  projectId: 'p1',
  environmentId: 'e1',
  nodeName: 'node-a',
  claim: 1,
  queuedAt: '2024-05-01T12:00:00.000Z',
  startedAt: '2024-05-01T12:00:01.000Z',
  completedAt: '2024-05-01T12:00:09.000Z',
  errorMessage: '',
  nextStep: 2,
  hasWarningsOrErrors: true,
  logLinesLost: 758,
  logProblem: 'shared storage full (ENOSPC)',
};

describe(toServerTask.name, () => {
  it('says how many log lines were lost and why', () => {
    expect(toServerTask(task)).toEqual({ ...task, state: 'Success' });
  });

  it('reads a reply without the log fields (an orchestrator that predates them) as a complete log', () => {
    const { logLinesLost: _lost, logProblem: _problem, ...older } = task;
    expect(toServerTask(older as orchestratorV1.ServerTask)).toMatchObject({
      logLinesLost: 0,
      logProblem: '',
    });
  });
});

describe(toTaskLog.name, () => {
  it('passes gap markers through as Warning lines', () => {
    const marker = {
      timestamp: '2024-05-01T12:00:05.000Z',
      level: 'Warning',
      message: 'Log gap: 758 line(s) could not be written here (shared storage full: ENOSPC)',
    };
    expect(toTaskLog({ lines: [marker], nextOffset: 10, complete: true })).toEqual({
      lines: [marker],
      nextOffset: 10,
      complete: true,
    });
  });
});
