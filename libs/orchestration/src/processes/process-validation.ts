import type { orchestratorV1 } from '@flotilla/contracts';
import { RpcErrors } from '@flotilla/platform/grpc';

import { MAX_NAME_LENGTH } from '../shared/names';

export const MAX_STEPS = 50;
export const MAX_TIMEOUT_SECONDS = 86_400;
export const ACTION_TYPES = ['run-script', 'deploy-package'] as const;
export type ActionType = (typeof ACTION_TYPES)[number];

function invalid(message: string): never {
  throw RpcErrors.invalidArgument(message);
}

function validTimeout(raw: string | undefined, stepName: string): void {
  if (raw === undefined || raw.trim() === '') return;
  const seconds = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || seconds < 1 || seconds > MAX_TIMEOUT_SECONDS) {
    invalid(`step "${stepName}": timeoutSeconds must be a whole number from 1 to ${MAX_TIMEOUT_SECONDS}`);
  }
}

function validStep(step: orchestratorV1.DeploymentStep, index: number): orchestratorV1.DeploymentStep {
  const name = (step.name ?? '').trim();
  if (!name) invalid(`step ${index + 1} needs a name`);
  if (name.length > MAX_NAME_LENGTH)
    invalid(`step ${index + 1}: name must be at most ${MAX_NAME_LENGTH} characters`);
  const properties = { ...(step.properties ?? {}) };
  switch (step.actionType as ActionType) {
    case 'run-script':
      if (!properties['scriptBody']?.trim())
        invalid(`step "${name}": run-script needs a non-empty scriptBody`);
      validTimeout(properties['timeoutSeconds'], name);
      break;
    case 'deploy-package':
      if (!properties['packageId']?.trim()) invalid(`step "${name}": deploy-package needs a packageId`);
      properties['packageId'] = properties['packageId'].trim();
      break;
    default:
      invalid(
        `step "${name}": actionType must be one of ${ACTION_TYPES.join(', ')} (got "${step.actionType}")`,
      );
  }
  return { name, actionType: step.actionType, properties };
}

/** Checks a whole process and returns its steps normalised (trimmed names and package ids). */
export function validateSteps(
  steps: readonly orchestratorV1.DeploymentStep[] | undefined,
): orchestratorV1.DeploymentStep[] {
  const list = steps ?? [];
  if (list.length === 0) invalid('a deployment process needs at least one step');
  if (list.length > MAX_STEPS)
    invalid(`a deployment process has at most ${MAX_STEPS} steps (got ${list.length})`);
  const valid = list.map(validStep);
  const seen = new Set<string>();
  for (const step of valid) {
    const key = step.name.toLowerCase();
    if (seen.has(key)) invalid(`step names must be unique: "${step.name}" is used twice`);
    seen.add(key);
  }
  return valid;
}
