import { MAX_RECOVERIES, OrphanedTask, recoveryDecision, recoveryRecord } from './recovery-decision';

describe(recoveryDecision.name, () => {
  const sut = recoveryDecision;
  const task: OrphanedTask = {
    id: 't-1',
    state: 'Executing',
    claim: 2,
    nodeName: 'node-b',
    nextStep: 1,
    cause: 'node-dead',
    nodeLastSeen: new Date('2030-01-02T03:04:05.678Z'),
    lastProgressAt: new Date('2030-01-02T03:04:05.012Z'),
    recoveries: 0,
    retryable: false,
  };
  const hungExecutor: OrphanedTask = {
    ...task,
    cause: 'progress-stopped',
    nodeLastSeen: new Date('2030-01-02T03:05:00.000Z'),
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
      note: 'node node-b stopped responding at 2030-01-02T03:04:05.678Z; re-queued to resume at step 2 (recovery 1 of 3)',
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

  it('blames the executor, with its last progress, when the node lives on but the executor went silent', () => {
    expect(sut(hungExecutor)).toEqual({
      action: 'finish',
      state: 'Failed',
      errorMessage:
        'the deployment executor on node node-b stopped reporting progress at 2030-01-02T03:04:05.012Z',
    });
    expect(sut({ ...hungExecutor, retryable: true })).toEqual({
      action: 'requeue',
      note:
        'the deployment executor on node node-b stopped reporting progress at 2030-01-02T03:04:05.012Z; ' +
        're-queued to resume at step 2 (recovery 1 of 3)',
    });
    expect(sut({ ...hungExecutor, state: 'Cancelling' })).toEqual({
      action: 'finish',
      state: 'Canceled',
      errorMessage:
        'the deployment executor on node node-b stopped reporting progress at 2030-01-02T03:04:05.012Z',
    });
  });

  it('re-queues a retryable task up to MAX_RECOVERIES times, then fails it saying why', () => {
    expect(MAX_RECOVERIES).toBe(3);
    expect(sut({ ...task, retryable: true, recoveries: MAX_RECOVERIES - 1 })).toEqual({
      action: 'requeue',
      note: 'node node-b stopped responding at 2030-01-02T03:04:05.678Z; re-queued to resume at step 2 (recovery 3 of 3)',
    });
    for (const recoveries of [MAX_RECOVERIES, MAX_RECOVERIES + 1])
      expect(sut({ ...task, retryable: true, recoveries })).toEqual({
        action: 'finish',
        state: 'Failed',
        errorMessage:
          'node node-b stopped responding at 2030-01-02T03:04:05.678Z; not re-queued again after 3 recoveries',
      });
    expect(sut({ ...hungExecutor, retryable: true, recoveries: MAX_RECOVERIES })).toEqual({
      action: 'finish',
      state: 'Failed',
      errorMessage:
        'the deployment executor on node node-b stopped reporting progress at 2030-01-02T03:04:05.012Z; ' +
        'not re-queued again after 3 recoveries',
    });
  });

  it('does not count recoveries against a process that is not retryable or a task being canceled', () => {
    expect(sut({ ...task, recoveries: MAX_RECOVERIES })).toMatchObject({
      errorMessage: 'node node-b stopped responding at 2030-01-02T03:04:05.678Z',
    });
    expect(sut({ ...task, state: 'Cancelling', recoveries: MAX_RECOVERIES })).toMatchObject({
      state: 'Canceled',
      errorMessage: 'node node-b stopped responding at 2030-01-02T03:04:05.678Z',
    });
  });
});

describe(recoveryRecord.name, () => {
  it('says why and that the task failed, as an error', () => {
    expect(
      recoveryRecord({
        action: 'finish',
        state: 'Failed',
        errorMessage: 'node node-2 stopped responding at 2030-01-02T03:04:05.678Z',
      }),
    ).toEqual([
      'Error',
      'Recovery: node node-2 stopped responding at 2030-01-02T03:04:05.678Z; the task failed.',
    ]);
  });

  it('says why and that the task was canceled, as an error', () => {
    expect(
      recoveryRecord({ action: 'finish', state: 'Canceled', errorMessage: 'node node-2 stopped responding' }),
    ).toEqual(['Error', 'Recovery: node node-2 stopped responding; the task was canceled.']);
  });

  it('says why and where the task resumes, as a warning', () => {
    expect(
      recoveryRecord({
        action: 'requeue',
        note: 'node node-2 stopped responding at 2030-01-02T03:04:05.678Z; re-queued to resume at step 2 (recovery 1 of 3)',
      }),
    ).toEqual([
      'Warning',
      'Recovery: node node-2 stopped responding at 2030-01-02T03:04:05.678Z; re-queued to resume at step 2 (recovery 1 of 3)',
    ]);
  });
});
