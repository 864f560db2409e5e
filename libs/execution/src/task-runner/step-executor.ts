import { orchestratorV1 } from '@flotilla/contracts';

import { TaskLog } from '../task-log/task-log-writer';
import { TaskOutputLimiter } from '../task-log/task-output-limits';
import { DeploymentVariables } from '../variables/deployment-variables';

export interface StepContext {
  plan: orchestratorV1.TaskPlan;
  step: orchestratorV1.DeploymentStep;
  stepIndex: number;
  variables: DeploymentVariables;
  log: TaskLog;
  /** Aborted when the task is cancelled or another node took it over: stop at once. */
  signal: AbortSignal;
  /** The task's budget for script output (masking, line and total caps), shared by its steps. */
  output?: TaskOutputLimiter;
}

export type StepOutcome =
  | { kind: 'success' }
  | { kind: 'failed'; message: string }
  | { kind: 'timedOut'; message: string };

/** Runs one kind of step (action type). Throwing counts as a failed step. */
export interface StepExecutor {
  readonly actionType: string;
  run(context: StepContext): Promise<StepOutcome>;
  /** For a step skipped because the task resumes after it: restore the variables it would have set. */
  restoreOutputs?(context: Omit<StepContext, 'log' | 'signal'>): void;
}

export const STEP_EXECUTORS = Symbol('STEP_EXECUTORS');
