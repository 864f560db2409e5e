import {
  allStepsRecorded,
  canceledDecision,
  MAX_RECOVERIES,
  OrphanedTask,
  recoveryDecision,
  recoveryRecord,
} from './recovery-decision';

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
    stepCount: 3,
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

  it('finishes as Success with a note a task whose every step was recorded, one-shot or retryable, however often recovered', () => {
    const note =
      'node node-b stopped responding at 2030-01-02T03:04:05.678Z after all 3 step(s) had completed; ' +
      'its completion was lost with the node, so the task is recorded as Success';
    for (const retryable of [false, true])
      for (const recoveries of [0, MAX_RECOVERIES])
        for (const nextStep of [3, 4])
          expect(sut({ ...task, nextStep, retryable, recoveries })).toEqual({
            action: 'finish',
            state: 'Success',
            errorMessage: note,
          });
    expect(sut({ ...task, stepCount: 1, nextStep: 1 })).toMatchObject({
      errorMessage: expect.stringContaining(' after all 1 step(s) had completed; ') as string,
    });
  });

  it('says the completion was never reported when the executor, not the node, went silent after the last step', () => {
    expect(sut({ ...hungExecutor, nextStep: 3 })).toEqual({
      action: 'finish',
      state: 'Success',
      errorMessage:
        'the deployment executor on node node-b stopped reporting progress at 2030-01-02T03:04:05.012Z ' +
        'after all 3 step(s) had completed; its completion was never reported, so the task is recorded as Success',
    });
  });

  it('still finishes a task being canceled as Canceled after its last step', () => {
    expect(sut({ ...task, state: 'Cancelling', nextStep: 3, retryable: true })).toEqual({
      action: 'finish',
      state: 'Canceled',
      errorMessage: 'node node-b stopped responding at 2030-01-02T03:04:05.678Z',
    });
  });

  it('recovers as before a task with a step left, or whose step count is unknown or zero', () => {
    expect(sut({ ...task, nextStep: 2 })).toMatchObject({ action: 'finish', state: 'Failed' });
    expect(sut({ ...task, nextStep: 2, retryable: true })).toMatchObject({ action: 'requeue' });
    expect(sut({ ...task, nextStep: 3, stepCount: null })).toMatchObject({
      action: 'finish',
      state: 'Failed',
    });
    expect(sut({ ...task, nextStep: 3, stepCount: null, retryable: true })).toMatchObject({
      action: 'requeue',
    });
    expect(sut({ ...task, nextStep: 0, stepCount: 0 })).toMatchObject({ action: 'finish', state: 'Failed' });
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

describe(allStepsRecorded.name, () => {
  it('holds only when next_step reached a known, non-zero step count', () => {
    expect(allStepsRecorded({ nextStep: 1, stepCount: 1 })).toBe(true);
    expect(allStepsRecorded({ nextStep: 2, stepCount: 1 })).toBe(true);
    expect(allStepsRecorded({ nextStep: 0, stepCount: 1 })).toBe(false);
    expect(allStepsRecorded({ nextStep: 0, stepCount: 0 })).toBe(false);
    expect(allStepsRecorded({ nextStep: 5, stepCount: null })).toBe(false);
  });
});

describe(canceledDecision.name, () => {
  it('finishes as Canceled with why the owner is gone', () => {
    expect(
      canceledDecision({
        cause: 'node-dead',
        nodeName: 'node-2',
        nodeLastSeen: null,
        lastProgressAt: null,
      }),
    ).toEqual({
      action: 'finish',
      state: 'Canceled',
      errorMessage: 'node node-2 stopped responding (its node record was removed)',
    });
  });
});

describe(recoveryRecord.name, () => {
  it('says the task is recorded as Success though its completion was lost, as a warning', () => {
    expect(
      recoveryRecord({
        action: 'finish',
        state: 'Success',
        errorMessage:
          'node node-1 stopped responding at 2030-01-02T03:04:05.678Z after all 1 step(s) had completed; ' +
          'its completion was lost with the node, so the task is recorded as Success',
      }),
    ).toEqual([
      'Warning',
      'Recovery: node node-1 stopped responding at 2030-01-02T03:04:05.678Z after all 1 step(s) had completed; ' +
        'its completion was lost with the node, so the task is recorded as Success.',
    ]);
  });

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
