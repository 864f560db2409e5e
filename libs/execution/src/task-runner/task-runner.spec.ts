import { status } from '@grpc/grpc-js';

import { orchestratorV1 } from '@flotilla/contracts';

import { TaskOrchestrator } from '../collaborators/task-orchestrator';
import { StepContext, StepExecutor, StepOutcome } from './step-executor';
import { TaskLogSink, TaskRunner } from './task-runner';

function plan(steps: string[], startAtStep = 0): orchestratorV1.TaskPlan {
  return {
    task: { id: 'task-1', claim: 7, deploymentId: 'dep-1' } as orchestratorV1.ServerTask,
    projectName: 'P',
    projectSlug: 'p',
    environmentName: 'E',
    environmentSlug: 'e',
    releaseVersion: '1.0.0',
    steps: steps.map((name) => ({ name, actionType: 'fake', properties: {} })),
    variables: [],
    packages: [],
    startAtStep,
  };
}

function unexpected(name: string): never {
  throw new Error(`unexpected call: ${name}`);
}

/** An orchestrator double: progress answers are scripted, anything not scripted fails the test. */
class FakeOrchestrator implements TaskOrchestrator {
  readonly progress: orchestratorV1.ReportProgressRequest[] = [];
  readonly completions: orchestratorV1.CompleteTaskRequest[] = [];
  progressAnswer: () => orchestratorV1.ReportProgressReply = () => ({ cancelRequested: false });

  reportProgress(request: orchestratorV1.ReportProgressRequest): Promise<orchestratorV1.ReportProgressReply> {
    this.progress.push(request);
    return Promise.resolve().then(() => this.progressAnswer());
  }
  completeTask(request: orchestratorV1.CompleteTaskRequest): Promise<orchestratorV1.ServerTask> {
    this.completions.push(request);
    return Promise.resolve({} as orchestratorV1.ServerTask);
  }
  claimTask(): Promise<orchestratorV1.ClaimTaskReply> {
    return unexpected('claimTask');
  }
  heartbeat(): Promise<orchestratorV1.ClusterNode> {
    return unexpected('heartbeat');
  }
  getTask(): Promise<orchestratorV1.ServerTask> {
    return unexpected('getTask');
  }
}

class FakeLog implements TaskLogSink {
  readonly lines: string[] = [];
  state: 'open' | 'closed' | 'abandoned' = 'open';
  info = (message: string) => this.write('Info', message);
  warning = (message: string) => this.write('Warning', message);
  error = (message: string) => this.write('Error', message);
  verbose = (message: string) => this.write('Verbose', message);
  sync = () => Promise.resolve();
  close = () => {
    this.state = 'closed';
    return Promise.resolve();
  };
  abandon = () => {
    this.state = 'abandoned';
    return Promise.resolve();
  };
  private write(level: string, message: string): void {
    if (this.state === 'open') this.lines.push(`${level}: ${message}`);
  }
}

/** A step that runs until it is told to stop (or resolves with the scripted outcome). */
class FakeStep implements StepExecutor {
  readonly actionType = 'fake';
  readonly ran: string[] = [];
  outcomes = new Map<string, StepOutcome | 'wait-for-abort'>();

  run({ step, signal }: StepContext): Promise<StepOutcome> {
    this.ran.push(step.name);
    const outcome = this.outcomes.get(step.name) ?? { kind: 'success' };
    if (outcome !== 'wait-for-abort') return Promise.resolve(outcome);
    return new Promise((resolve) =>
      signal.addEventListener('abort', () => resolve({ kind: 'failed', message: 'stopped' })),
    );
  }
}

function setup() {
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
  });
  return { sut, orchestrator, log, step, warnings };
}

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
});
