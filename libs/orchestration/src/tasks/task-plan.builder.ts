import type { orchestratorV1 } from '@flotilla/contracts';

/** Everything frozen or named that a claimed task's plan is made of. */
export interface TaskPlanParts {
  task: orchestratorV1.ServerTask;
  project: { name: string; slug: string };
  environment: { id: string; name: string; slug: string };
  release: {
    version: string;
    steps: orchestratorV1.DeploymentStep[];
    variables: orchestratorV1.Variable[];
    packages: orchestratorV1.ReleasePackage[];
  };
}

/**
 * The variables that apply in one environment: unscoped ones, and ones scoped to it. Where a name
 * has both, the scoped value wins (names compare case-insensitively, as in Octopus); among equally
 * specific values the first defined wins. Order of first appearance is kept.
 */
export function scopeVariables(
  variables: readonly orchestratorV1.Variable[],
  environmentId: string,
): orchestratorV1.Variable[] {
  const chosen = new Map<string, orchestratorV1.Variable>();
  for (const variable of variables) {
    const scoped = variable.environmentIds.length > 0;
    if (scoped && !variable.environmentIds.includes(environmentId)) continue;
    const key = variable.name.toLowerCase();
    const current = chosen.get(key);
    if (!current || (scoped && current.environmentIds.length === 0)) chosen.set(key, variable);
  }
  return [...chosen.values()];
}

/** What an executor needs to run the deployment without calling back for more. */
export function buildTaskPlan(parts: TaskPlanParts): orchestratorV1.TaskPlan {
  return {
    task: parts.task,
    projectName: parts.project.name,
    projectSlug: parts.project.slug,
    environmentName: parts.environment.name,
    environmentSlug: parts.environment.slug,
    releaseVersion: parts.release.version,
    steps: parts.release.steps,
    variables: scopeVariables(parts.release.variables, parts.environment.id),
    packages: parts.release.packages,
    startAtStep: parts.task.nextStep,
  };
}
