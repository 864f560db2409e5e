import { status } from '@grpc/grpc-js';

import { orchestratorV1 } from '@flotilla/contracts';

import { FakeLog, FakeOrchestrator, FakeStep, plan } from '../test-support/task-runner-doubles';
import { TaskRunnerOptions } from './task-run';
import { TaskRunner } from './task-runner';

function setup(extra: Partial<TaskRunnerOptions> = {}) {
  const orchestrator = new FakeOrchestrator();
  const log = new FakeLog();
  const step = new FakeStep();
  const warnings: string[] = [];
  const sut = new TaskRunner({
    orchestrator,
    steps: [step],
    openLog: () => Promise.resolve(log),
    logger: { log: () => undefined, warn: (message) => warnings.push(message) },
    progressIntervalMs: 20,
    completionRetryDelaysMs: [],
    ...extra,
  });
  return { sut, orchestrator, log, step, warnings };
}

const staleClaim = () =>
  Object.assign(new Error('stale'), { code: status.FAILED_PRECONDITION, details: 'claim 7 is stale' });

describe(TaskRunner.name, () => {
  it('runs every step in order and completes Success with the claim', async () => {
    const { sut, orchestrator, step, log } = setup();
    await expect(sut.run(plan(['a', 'b']))).resolves.toEqual({ state: 'Success', errorMessage: '' });
    expect(step.ran).toEqual(['a', 'b']);
    expect(orchestrator.completions).toEqual([
      { taskId: 'task-1', claim: 7, state: 'Success', errorMessage: '', nextStep: 2 },
    ]);
    expect(orchestrator.progress.map((request) => request.nextStep)).toEqual(
      expect.arrayContaining([0, 1, 2]),
    );
    expect(log.state).toBe('closed');
  });

  it('starts at start_at_step', async () => {
    const { sut, step, log } = setup();
    await sut.run(plan(['a', 'b', 'c'], 2));
    expect(step.ran).toEqual(['c']);
    expect(log.lines[0]).toBe('Info: Resuming at step 3 of 3');
  });

  it('stops at a failed step and completes Failed with its message', async () => {
    const { sut, orchestrator, step } = setup();
    step.outcomes.set('a', { kind: 'failed', message: 'Script exited with code 3' });
    await sut.run(plan(['a', 'b']));
    expect(step.ran).toEqual(['a']);
    expect(orchestrator.completions).toEqual([
      { taskId: 'task-1', claim: 7, state: 'Failed', errorMessage: 'Script exited with code 3', nextStep: 0 },
    ]);
  });

  it('completes TimedOut when a step timed out', async () => {
    const { sut, orchestrator, step } = setup();
    step.outcomes.set('a', { kind: 'timedOut', message: 'Script timed out after 1s and was killed' });
    await sut.run(plan(['a']));
    expect(orchestrator.completions[0]?.state).toBe('TimedOut');
  });

  it('fails a step with an unknown action type', async () => {
    const { sut, orchestrator } = setup();
    const odd = plan(['a']);
    odd.steps[0].actionType = 'teleport';
    await sut.run(odd);
    expect(orchestrator.completions[0]).toMatchObject({
      state: 'Failed',
      errorMessage: 'Unknown action type "teleport"',
    });
  });

  it('kills the running step and completes Canceled when cancel is requested', async () => {
    const { sut, orchestrator, step, log } = setup();
    step.outcomes.set('a', 'wait-for-abort');
    let ticks = 0;
    orchestrator.progressAnswer = () => ({ cancelRequested: ++ticks > 2 });
    await expect(sut.run(plan(['a', 'b']))).resolves.toMatchObject({ state: 'Canceled' });
    expect(step.ran).toEqual(['a']);
    expect(orchestrator.completions).toEqual([
      { taskId: 'task-1', claim: 7, state: 'Canceled', errorMessage: 'The task was canceled', nextStep: 0 },
    ]);
    expect(log.lines).toContain('Warning: The task was canceled');
  });

  it('stops at once on a stale claim and writes nothing more about the task', async () => {
    const { sut, orchestrator, step, log, warnings } = setup();
    step.outcomes.set('a', 'wait-for-abort');
    let ticks = 0;
    orchestrator.progressAnswer = () => {
      if (++ticks > 2)
        throw Object.assign(new Error('stale'), {
          code: status.FAILED_PRECONDITION,
          details: 'claim 7 is stale',
        });
      return { cancelRequested: false };
    };
    await expect(sut.run(plan(['a', 'b']))).resolves.toMatchObject({ state: 'Abandoned' });
    const reportsAtStop = orchestrator.progress.length;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(step.ran).toEqual(['a']);
    expect(orchestrator.completions).toEqual([]);
    expect(orchestrator.progress).toHaveLength(reportsAtStop);
    expect(log.state).toBe('abandoned');
    expect(warnings.join('\n')).toContain('stale');
  });

  it('keeps running when a progress report fails for a transient reason', async () => {
    const { sut, orchestrator, step, warnings } = setup();
    step.outcomes.set('a', { kind: 'success' });
    orchestrator.progressAnswer = () => {
      throw Object.assign(new Error('down'), { code: status.UNAVAILABLE, details: 'orchestrator down' });
    };
    await expect(sut.run(plan(['a']))).resolves.toMatchObject({ state: 'Success' });
    expect(warnings.some((warning) => warning.includes('orchestrator down'))).toBe(true);
  });

  it('retries CompleteTask while the orchestrator is unavailable', async () => {
    const orchestrator = new FakeOrchestrator();
    let attempts = 0;
    orchestrator.completeTask = (request) => {
      orchestrator.completions.push(request);
      if (++attempts < 3)
        return Promise.reject(Object.assign(new Error('down'), { code: status.UNAVAILABLE }));
      return Promise.resolve({} as orchestratorV1.ServerTask);
    };
    const sut = new TaskRunner({
      orchestrator,
      steps: [new FakeStep()],
      openLog: () => Promise.resolve(new FakeLog()),
      logger: { log: () => undefined, warn: () => undefined },
      completionRetryDelaysMs: [1, 1, 1],
    });
    await expect(sut.run(plan(['a']))).resolves.toMatchObject({ state: 'Success' });
    expect(orchestrator.completions).toHaveLength(3);
  });

  it('reports progress at least every interval while a step runs', async () => {
    const { sut, orchestrator, step } = setup();
    step.outcomes.set('a', 'wait-for-abort');
    let ticks = 0;
    orchestrator.progressAnswer = () => ({ cancelRequested: ++ticks >= 6 });
    const started = Date.now();
    await sut.run(plan(['a']));
    // 6 reports at a 20 ms interval: well under a second, so the ticker (not step ends) drove them.
    expect(Date.now() - started).toBeLessThan(1000);
    expect(orchestrator.progress.length).toBeGreaterThanOrEqual(6);
  });

  it('hands a task back: kills the running step, says so in its log and does not complete it', async () => {
    const { sut, orchestrator, step, log } = setup();
    step.outcomes.set('b', 'wait-for-abort');
    const run = sut.run(plan(['a', 'b', 'c']));
    while (!step.ran.includes('b')) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(sut.runningTaskIds()).toEqual(['task-1']);
    await expect(sut.handBack('task-1', 'Node n1 is stopping')).resolves.toEqual({
      taskId: 'task-1',
      claim: 7,
      nextStep: 1,
    });
    await expect(run).resolves.toMatchObject({ state: 'HandedBack', nextStep: 1 });
    expect(step.ran).toEqual(['a', 'b']);
    expect(log.lines[log.lines.length - 1]).toBe(
      'Warning: Node n1 is stopping: task handed back to the queue at step 2',
    );
    expect(log.state).toBe('closed');
    expect(orchestrator.completions).toEqual([]);
    expect(sut.runningTaskIds()).toEqual([]);
  });

  it('hands nothing back for a task it does not run', async () => {
    const { sut } = setup();
    await expect(sut.handBack('other', 'stopping')).resolves.toBeUndefined();
    expect(sut.reportProgressNow('other')).toBe(false);
  });

  it('reports progress at once when asked (a cancel signal), and the reply decides', async () => {
    const { sut, orchestrator, step } = setup({ progressIntervalMs: 60_000 });
    step.outcomes.set('a', 'wait-for-abort');
    const run = sut.run(plan(['a']));
    while (!step.ran.includes('a')) await new Promise((resolve) => setTimeout(resolve, 5));
    const before = orchestrator.progress.length;
    expect(sut.reportProgressNow('task-1')).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(orchestrator.progress.length).toBe(before + 1);
    orchestrator.progressAnswer = () => ({ cancelRequested: true });
    sut.reportProgressNow('task-1');
    await expect(run).resolves.toMatchObject({ state: 'Canceled' });
  });

  it('after a pause longer than the claim lease holds log lines until the claim is confirmed', async () => {
    let now = 0;
    const { sut, orchestrator, step, log } = setup({ claimLeaseMs: 1000, now: () => now });
    let logFromStep: ((line: string) => void) | undefined;
    step.run = ({ log: stepLog, signal }) => {
      logFromStep = (line) => stepLog.info(line);
      return new Promise((resolve) =>
        signal.addEventListener('abort', () => resolve({ kind: 'failed', message: 'stopped' })),
      );
    };
    const run = sut.run(plan(['a']));
    while (!logFromStep) await new Promise((resolve) => setTimeout(resolve, 5));
    logFromStep('before the pause');
    expect(log.lines).toContain('Info: before the pause');
    // The node was stopped for 5 s; meanwhile another node took the task over.
    now += 5000;
    orchestrator.progressAnswer = () => {
      throw staleClaim();
    };
    logFromStep('written while paused');
    await expect(run).resolves.toMatchObject({ state: 'Abandoned' });
    expect(log.lines.join('\n')).not.toContain('written while paused');
    expect(log.state).toBe('abandoned');
    expect(orchestrator.completions).toEqual([]);
  });

  it('writes the held lines once a progress report confirms the claim', async () => {
    let now = 0;
    const { sut, step, log } = setup({ claimLeaseMs: 1000, now: () => now });
    let logFromStep: ((line: string) => void) | undefined;
    step.run = ({ log: stepLog }) =>
      new Promise((resolve) => {
        logFromStep = (line) => {
          stepLog.info(line);
          resolve({ kind: 'success' });
        };
      });
    const run = sut.run(plan(['a']));
    while (!logFromStep) await new Promise((resolve) => setTimeout(resolve, 5));
    now += 5000;
    logFromStep('held, then written');
    await expect(run).resolves.toMatchObject({ state: 'Success' });
    expect(log.lines).toContain('Info: held, then written');
  });
});
