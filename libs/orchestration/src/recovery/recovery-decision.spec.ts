import { OrphanedTask, recoveryDecision } from './recovery-decision';

describe(recoveryDecision.name, () => {
  const sut = recoveryDecision;
  const task: OrphanedTask = {
    id: 't-1',
    state: 'Executing',
    claim: 2,
    nodeName: 'node-b',
    nextStep: 1,
    nodeLastSeen: new Date('2030-01-02T03:04:05.678Z'),
    retryable: false,
  };

  it('fails a task of a process that is not retryable, naming the node and when it was last seen', () => {
    expect(sut(task)).toEqual({
      action: 'finish',
      state: 'Failed',
      errorMessage: 'node node-b stopped responding at 2030-01-02T03:04:05.678Z',
    });
  });

  it('re-queues an executing task of a retryable process, to resume at its next step', () => {
    expect(sut({ ...task, retryable: true })).toEqual({
      action: 'requeue',
      note: 'node node-b stopped responding at 2030-01-02T03:04:05.678Z; re-queued to resume at step 2',
    });
  });

  it('finishes a task that was being canceled as Canceled, retryable or not', () => {
    for (const retryable of [true, false])
      expect(sut({ ...task, state: 'Cancelling', retryable })).toMatchObject({
        action: 'finish',
        state: 'Canceled',
      });
  });

  it('says so when the dead node record is gone', () => {
    expect(sut({ ...task, nodeLastSeen: null })).toMatchObject({
      errorMessage: 'node node-b stopped responding (its node record was removed)',
    });
  });
});
