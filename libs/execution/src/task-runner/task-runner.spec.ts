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
    retryBackoff: { initialMs: 1, maxMs: 4 },
    ...extra,
  });
  return { sut, orchestrator, log, step, warnings };
}

const staleClaim = () =>
  Object.assign(new Error('stale'), { code: status.FAILED_PRECONDITION, details: 'claim 7 is stale' });
const unavailable = (details = 'orchestrator down') =>
  Object.assign(new Error(details), { code: status.UNAVAILABLE, details });

describe(TaskRunner.name, () => {
  it('runs every step in order and completes Success with the claim', async () => {
    const { sut, orchestrator, step, log } = setup();
    await expect(sut.run(plan(['a', 'b']))).resolves.toEqual({ state: 'Success', errorMessage: '' });
    expect(step.ran).toEqual(['a', 'b']);
    expect(orchestrator.completions).toEqual([
      {
        taskId: 'task-1',
        claim: 7,
        state: 'Success',
        errorMessage: '',
        nextStep: 2,
        logLinesLost: 0,
        logProblem: '',
      },
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
      expect.objectContaining({ state: 'Failed', errorMessage: 'Script exited with code 3', nextStep: 0 }),
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
      expect.objectContaining({ state: 'Canceled', errorMessage: 'The task was canceled', nextStep: 0 }),
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

  it('keeps running a step while progress reports fail, warning without a flood', async () => {
    const { sut, orchestrator, step, warnings } = setup();
    step.outcomes.set('a', 'wait-for-abort');
    orchestrator.progressAnswer = () => {
      if (orchestrator.progress.length < 12) throw unavailable('orchestrator down');
      return { cancelRequested: true };
    };
    await expect(sut.run(plan(['a']))).resolves.toMatchObject({ state: 'Canceled' });
    expect(warnings.filter((warning) => warning.includes('orchestrator down'))).toHaveLength(1);
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

  describe('when the orchestrator is unreachable or slow to answer', () => {
    const failWith = (code: status, details: string) => Object.assign(new Error(details), { code, details });
    const timeout = () => Object.assign(new Error('Timeout has occurred'), { name: 'TimeoutError' });

    /** Completions answered by `answer` (its nth call); the requests are recorded as sent. */
    function answerCompletions(orchestrator: FakeOrchestrator, answer: (attempt: number) => void) {
      orchestrator.completeTask = (request) => {
        orchestrator.completions.push(request);
        const attempt = orchestrator.completions.length;
        return Promise.resolve().then(() => {
          answer(attempt);
          return {} as orchestratorV1.ServerTask;
        });
      };
    }

    it('retries the completion through any outage error until it is acknowledged, keeping the result', async () => {
      const { sut, orchestrator, step, warnings } = setup();
      step.outcomes.set('a', { kind: 'failed', message: 'Script exited with code 3' });
      // A long outage: the orchestrator's own errors while its database is away, then the network.
      const errors = [
        () => failWith(status.UNKNOWN, 'Internal server error'),
        () => failWith(status.INTERNAL, 'connection terminated'),
        timeout,
        ...Array.from({ length: 40 }, () => () => failWith(status.UNAVAILABLE, 'database unavailable')),
        () => failWith(status.DEADLINE_EXCEEDED, 'deadline'),
        () => failWith(status.RESOURCE_EXHAUSTED, 'busy'),
      ];
      answerCompletions(orchestrator, (attempt) => {
        if (attempt <= errors.length) throw errors[attempt - 1]();
      });
      await expect(sut.run(plan(['a']))).resolves.toEqual({
        state: 'Failed',
        errorMessage: 'Script exited with code 3',
      });
      expect(orchestrator.completions).toHaveLength(errors.length + 1);
      for (const request of orchestrator.completions)
        expect(request).toMatchObject({
          state: 'Failed',
          errorMessage: 'Script exited with code 3',
          nextStep: 0,
        });
      // One warning for the first failure (then at most one per 5 s), not one per attempt.
      expect(warnings.filter((warning) => warning.includes('reporting completion'))).toHaveLength(1);
    });

    it('gives up a completion the orchestrator refuses outright, loudly', async () => {
      const errors: string[] = [];
      const { sut, orchestrator } = setup({
        logger: { log: () => undefined, warn: () => undefined, error: (message) => errors.push(message) },
      });
      answerCompletions(orchestrator, () => {
        throw failWith(status.INVALID_ARGUMENT, 'state must be one of …');
      });
      await expect(sut.run(plan(['a']))).resolves.toMatchObject({ state: 'Success' });
      expect(orchestrator.completions).toHaveLength(1);
      expect(errors.join('\n')).toContain(
        'REFUSED by the orchestrator and not retried: state must be one of',
      );
    });

    it('ends Abandoned when the completion is refused as stale', async () => {
      const { sut, orchestrator, warnings } = setup();
      answerCompletions(orchestrator, () => {
        throw staleClaim();
      });
      await expect(sut.run(plan(['a']))).resolves.toMatchObject({ state: 'Abandoned' });
      expect(orchestrator.completions).toHaveLength(1);
      expect(warnings.join('\n')).toContain('completion refused, claim 7 is stale');
    });

    it('keeps its result when "stale" only means an earlier attempt got through and its reply was lost', async () => {
      const { sut, orchestrator } = setup();
      answerCompletions(orchestrator, (attempt) => {
        if (attempt === 1) throw timeout();
        throw staleClaim();
      });
      orchestrator.getTask = () =>
        Promise.resolve({
          id: 'task-1',
          claim: 7,
          state: 'Success',
          errorMessage: '',
        } as orchestratorV1.ServerTask);
      await expect(sut.run(plan(['a']))).resolves.toEqual({ state: 'Success', errorMessage: '' });
      expect(orchestrator.completions).toHaveLength(2);
    });

    it('keeps reporting progress while the completion is retried, and stops once it is acknowledged', async () => {
      const { sut, orchestrator } = setup();
      let progressAtFirstAttempt = -1;
      answerCompletions(orchestrator, (attempt) => {
        if (attempt === 1) progressAtFirstAttempt = orchestrator.progress.length;
        // Acknowledged only after three ticks went out meanwhile: the ticker, not step ends, sent them.
        if (orchestrator.progress.length < progressAtFirstAttempt + 3)
          throw failWith(status.UNKNOWN, 'db down');
      });
      await expect(sut.run(plan(['a']))).resolves.toMatchObject({ state: 'Success' });
      const afterAck = orchestrator.progress.length;
      expect(afterAck).toBeGreaterThanOrEqual(progressAtFirstAttempt + 3);
      expect(orchestrator.progress.slice(progressAtFirstAttempt).every((p) => p.nextStep === 1)).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 80));
      expect(orchestrator.progress).toHaveLength(afterAck);
    });

    it('starts the next step only once the previous step is acknowledged, and completes only after the last', async () => {
      const { sut, orchestrator, step } = setup({ progressIntervalMs: 60_000 });
      const events: string[] = [];
      const run = step.run.bind(step);
      step.run = (context) => {
        events.push(`run ${context.step.name}`);
        return run(context);
      };
      const outageAt = new Set<number>();
      let refusalsLeft = 0;
      orchestrator.progressAnswer = () => {
        const { nextStep } = orchestrator.progress[orchestrator.progress.length - 1];
        // Each step boundary is met by an outage of five failed reports.
        if (nextStep > 0 && !outageAt.has(nextStep)) {
          outageAt.add(nextStep);
          refusalsLeft = 5;
        }
        if (refusalsLeft > 0) {
          refusalsLeft -= 1;
          events.push(`fail ${nextStep}`);
          throw unavailable();
        }
        events.push(`ack ${nextStep}`);
        return { cancelRequested: false };
      };
      answerCompletions(orchestrator, () => events.push('complete'));
      await expect(sut.run(plan(['a', 'b']))).resolves.toMatchObject({ state: 'Success' });
      const compact = events.filter((event, index) => event !== events[index - 1]);
      expect(compact).toEqual(['ack 0', 'run a', 'fail 1', 'ack 1', 'run b', 'fail 2', 'ack 2', 'complete']);
      expect(events.filter((event) => event === 'fail 1')).toHaveLength(5);
    });

    it('honours a cancel that arrives with the step-boundary acknowledgement', async () => {
      const { sut, orchestrator, step } = setup({ progressIntervalMs: 60_000 });
      orchestrator.progressAnswer = () => {
        const { nextStep } = orchestrator.progress[orchestrator.progress.length - 1];
        return { cancelRequested: nextStep === 1 };
      };
      await expect(sut.run(plan(['a', 'b']))).resolves.toMatchObject({ state: 'Canceled' });
      expect(step.ran).toEqual(['a']);
      expect(orchestrator.completions[0]).toMatchObject({ state: 'Canceled', nextStep: 1 });
    });

    it('resumed after its last step was recorded, ends Success without running anything', async () => {
      const { sut, orchestrator, step, log } = setup();
      await expect(sut.run(plan(['a', 'b'], 2))).resolves.toEqual({ state: 'Success', errorMessage: '' });
      expect(step.ran).toEqual([]);
      expect(log.lines).toEqual([
        'Info: All 2 steps completed before the task was recovered; nothing left to run',
        'Info: Deployment completed successfully',
      ]);
      expect(orchestrator.completions).toEqual([expect.objectContaining({ state: 'Success', nextStep: 2 })]);
    });

    it('says so in words that fit a one-step task', async () => {
      const { sut, log } = setup();
      await sut.run(plan(['a'], 1));
      expect(log.lines[0]).toBe(
        'Info: The only step completed before the task was recovered; nothing left to run',
      );
    });

    it('hands over a stopping node within a bounded grace, though the completion never got through', async () => {
      const { sut, orchestrator } = setup({ stoppingCompletionGraceMs: 50 });
      answerCompletions(orchestrator, () => {
        throw unavailable();
      });
      const run = sut.run(plan(['a']));
      while (orchestrator.completions.length < 3) await new Promise((resolve) => setTimeout(resolve, 5));
      const started = Date.now();
      // Nothing to hand back: every step ran; the orchestrator recovers it from step 2 of 1.
      await expect(sut.handBack('task-1', 'Node n1 is stopping')).resolves.toBeUndefined();
      expect(Date.now() - started).toBeLessThan(1000);
      await expect(run).resolves.toMatchObject({ state: 'Success' });
      expect(orchestrator.progress.at(-1)?.nextStep).toBe(1);
    });
  });

  describe('log integrity', () => {
    it('sends the lines its log lost with the completion; the task still succeeds', async () => {
      const { sut, orchestrator, log } = setup();
      log.integrity = () => ({ linesLost: 758, problem: 'shared storage full (ENOSPC)' });
      await expect(sut.run(plan(['a']))).resolves.toMatchObject({ state: 'Success' });
      expect(orchestrator.completions[0]).toMatchObject({
        state: 'Success',
        logLinesLost: 758,
        logProblem: 'shared storage full (ENOSPC)',
      });
    });

    it('fails a task whose log cannot be opened, without running it, and says so', async () => {
      const { sut, orchestrator, step } = setup({
        openLog: () =>
          Promise.reject(Object.assign(new Error('EROFS: read-only file system'), { code: 'EROFS' })),
      });
      await expect(sut.run(plan(['a']))).resolves.toMatchObject({ state: 'Failed' });
      expect(step.ran).toEqual([]);
      expect(orchestrator.completions[0]).toMatchObject({
        state: 'Failed',
        errorMessage: 'Could not open the task log: EROFS: read-only file system',
        logProblem: 'Could not open the task log: EROFS: read-only file system',
      });
    });
  });

  describe('while the cluster cannot confirm the claim (database or orchestrator away past the heartbeat timeout)', () => {
    it('keeps the script running, holds its lines, and writes them in order once a report confirms the claim', async () => {
      let now = 0;
      let alive = true;
      const { sut, orchestrator, step, log } = setup({
        claimLeaseMs: 1000,
        now: () => now,
        nodeIsAlive: () => alive,
      });
      let logFromStep: ((line: string) => void) | undefined;
      let finishStep: (() => void) | undefined;
      step.run = ({ log: stepLog, signal }) =>
        new Promise((resolve) => {
          logFromStep = (line) => stepLog.info(line);
          finishStep = () => resolve({ kind: 'success' });
          signal.addEventListener('abort', () => resolve({ kind: 'failed', message: 'killed' }));
        });
      const run = sut.run(plan(['a']));
      while (!logFromStep) await new Promise((resolve) => setTimeout(resolve, 5));
      // The outage: no heartbeat or progress report gets through for longer than the timeout.
      orchestrator.progressAnswer = () => {
        throw unavailable('database unavailable');
      };
      alive = false;
      now += 30_000;
      for (let line = 1; line <= 50; line += 1) logFromStep(`line ${line}`);
      const reportsDuringOutage = orchestrator.progress.length;
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(orchestrator.progress.length).toBeGreaterThan(reportsDuringOutage);
      expect(log.lines.filter((line) => line.startsWith('Info: line'))).toEqual([]);
      // Back: heartbeats and progress reports get through again.
      orchestrator.progressAnswer = () => ({ cancelRequested: false });
      alive = true;
      while (!log.lines.includes('Info: line 50')) await new Promise((resolve) => setTimeout(resolve, 5));
      finishStep?.();
      await expect(run).resolves.toMatchObject({ state: 'Success' });
      expect(log.lines.filter((line) => line.startsWith('Info: line'))).toEqual(
        Array.from({ length: 50 }, (_, index) => `Info: line ${index + 1}`),
      );
      expect(orchestrator.completions[0]).toMatchObject({ logLinesLost: 0 });
    });
  });
});
