import type { DeploymentProcess, DeploymentStep, StepActionType } from '@flotilla/api-interfaces';
import { orchestratorV1 } from '@flotilla/contracts';

/** The orchestrator validates action types; the REST type narrows its string to the known values. */
export function toDeploymentStep(step: orchestratorV1.DeploymentStep): DeploymentStep {
  return { name: step.name, actionType: step.actionType as StepActionType, properties: step.properties };
}

export function toDeploymentProcess(process: orchestratorV1.DeploymentProcess): DeploymentProcess {
  return {
    projectId: process.projectId,
    version: process.version,
    steps: process.steps.map(toDeploymentStep),
    retryable: process.retryable,
  };
}
