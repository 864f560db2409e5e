import { orchestratorV1 } from '@flotilla/contracts';

import { StrictOrchestrator } from './strict-orchestrator';
import { StepContext, StepExecutor, StepOutcome } from '../task-runner/step-executor';
import { TaskLogSink } from '../task-runner/task-log-sink';

/** Doubles for TaskRunner specs: a plan of fake steps, a scripted orchestrator, an in-memory log. */
export function plan(steps: string[], startAtStep = 0): orchestratorV1.TaskPlan {
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

/** An orchestrator double: progress answers are scripted, anything not scripted fails the test. */
export class FakeOrchestrator extends StrictOrchestrator {
  readonly progress: orchestratorV1.ReportProgressRequest[] = [];
  readonly completions: orchestratorV1.CompleteTaskRequest[] = [];
  progressAnswer: () => orchestratorV1.ReportProgressReply = () => ({ cancelRequested: false });

  override reportProgress(
    request: orchestratorV1.ReportProgressRequest,
  ): Promise<orchestratorV1.ReportProgressReply> {
    this.progress.push(request);
    return Promise.resolve().then(() => this.progressAnswer());
  }
  override completeTask(request: orchestratorV1.CompleteTaskRequest): Promise<orchestratorV1.ServerTask> {
    this.completions.push(request);
    return Promise.resolve({} as orchestratorV1.ServerTask);
  }
}

export class FakeLog implements TaskLogSink {
  readonly lines: string[] = [];
  state: 'open' | 'closed' | 'abandoned' = 'open';
  info = (message: string) => this.write('Info', message);
  warning = (message: string) => this.write('Warning', message);
  error = (message: string) => this.write('Error', message);
  verbose = (message: string) => this.write('Verbose', message);
  sync = () => Promise.resolve();
  integrity = () => ({ linesLost: 0, problem: '' });
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
export class FakeStep implements StepExecutor {
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
