import { readFile } from 'node:fs/promises';

import { executorV1, orchestratorV1 } from '@flotilla/contracts';

import { StepContext } from '../task-runner/step-executor';
import { parseWholeLines } from '../task-log/task-log-line';
import { TaskLogWriter } from '../task-log/task-log-writer';
import { DeploymentVariables } from '../variables/deployment-variables';

/** A plan for step tests: one project, one environment, the given steps and packages. */
export function testPlan(overrides: Partial<orchestratorV1.TaskPlan> = {}): orchestratorV1.TaskPlan {
  return {
    task: { id: 'task-1', claim: 1, deploymentId: 'deployment-1' } as orchestratorV1.ServerTask,
    projectName: 'Web Shop',
    projectSlug: 'web-shop',
    environmentName: 'Production',
    environmentSlug: 'production',
    releaseVersion: '1.0.0',
    steps: [],
    variables: [],
    packages: [],
    startAtStep: 0,
    ...overrides,
  };
}

/** The context a step runs in, writing a real task log file. */
export async function stepContext(
  logPath: string,
  step: orchestratorV1.DeploymentStep,
  plan = testPlan({ steps: [step] }),
  signal = new AbortController().signal,
): Promise<{ context: StepContext; log: TaskLogWriter }> {
  const log = await TaskLogWriter.open(logPath);
  const variables = DeploymentVariables.forPlan(plan);
  return { context: { plan, step, stepIndex: 0, variables, log, signal }, log };
}

export async function readLogLines(path: string): Promise<executorV1.TaskLogLine[]> {
  return parseWholeLines(await readFile(path)).lines;
}
