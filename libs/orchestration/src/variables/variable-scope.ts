import {
  environmentReach,
  grantsOfCaller,
  Permission,
  VariableAccess,
  variableAccess,
} from '@flotilla/api-interfaces';
import type { orchestratorV1 } from '@flotilla/contracts';
import { CallerIdentity, RpcErrors } from '@flotilla/platform/grpc';
import type { EntityManager } from 'typeorm';

import type { ProjectEntity } from '../projects/project.entity';
import type { ProjectsRepository } from '../projects/projects.repository';
import { CallerScope } from '../shared/caller-scope';
import { keepSensitiveValues, sameVariable, scopeKey } from './variable-rules';

/** How one caller may use each variable of one project, by the variable's environments. */
export type VariableAccessOf = (variable: orchestratorV1.Variable) => VariableAccess;

/**
 * The project whose variables a caller reads (VariableView) or replaces (VariableEdit), with the
 * rule for each variable: NOT_FOUND as a missing project when the caller may not see the project,
 * PERMISSION_DENIED when the permission reaches none of its environments. VariableView/Edit are
 * scoped by environment too, so "given on the project" means "in at least one environment" here;
 * which variables that covers is variableAccess's rule.
 */
export async function projectVariablesAllowing(
  projects: ProjectsRepository,
  caller: CallerIdentity,
  permission: typeof Permission.VariableView | typeof Permission.VariableEdit,
  projectId: string,
  manager?: EntityManager,
): Promise<{ project: ProjectEntity; accessOf: VariableAccessOf }> {
  const missing = () => RpcErrors.notFound(`project ${projectId} not found`);
  const project = await projects.findById(projectId, manager);
  if (!project) throw missing();
  new CallerScope(caller).requireVisible(Permission.ProjectView, { projectId }, missing);
  const grants = grantsOfCaller(caller);
  const reach = environmentReach(grants, permission, projectId);
  if (!reach.everywhere && reach.environmentIds.size === 0)
    throw RpcErrors.permissionDenied(`${permission} is not given to you on project "${project.name}"`);
  return {
    project,
    accessOf: (variable) => variableAccess(grants, projectId, variable.environmentIds),
  };
}

function described(variable: orchestratorV1.Variable): string {
  const where =
    variable.environmentIds.length === 0
      ? 'every environment'
      : `environment${variable.environmentIds.length === 1 ? '' : 's'} ${variable.environmentIds.join(', ')}`;
  return `variable "${variable.name}" (${where})`;
}

function outOfScope(variable: orchestratorV1.Variable, change: string) {
  return RpcErrors.permissionDenied(
    `you may not ${change} ${described(variable)}: VariableEdit is not given to you in all of its ` +
      'environments (a variable for every environment needs VariableEdit unrestricted by environment)',
  );
}

/**
 * The variable set after a caller's update, which replaces the variables the caller can see
 * (`incoming`, validated) and nothing else:
 * - a variable the caller cannot see was not in their copy, so its absence is no removal: it is
 *   kept exactly as stored (unless the request names it, name and environments, and may edit it);
 * - a variable added, changed or removed must be editable by the caller (PERMISSION_DENIED naming
 *   it otherwise); a visible one sent back unchanged needs nothing, so a read-only row can be
 *   round-tripped. Sending one the caller cannot see counts as adding it, whether or not it exists
 *   (the answer must not tell). Changing a variable's environments is removing it from its old
 *   scope and adding it to the new one.
 * A sensitive value sent back blank keeps its stored value (keepSensitiveValues); values are never
 * shown, so this discloses nothing. The result: the incoming variables in their order, then the
 * kept hidden ones.
 */
export function mergeWithinScope(
  incoming: readonly orchestratorV1.Variable[],
  stored: readonly orchestratorV1.Variable[],
  accessOf: VariableAccessOf,
): orchestratorV1.Variable[] {
  const next = keepSensitiveValues(incoming, stored);
  const storedByKey = new Map(stored.map((variable) => [scopeKey(variable), variable]));
  const nextKeys = new Set(next.map(scopeKey));
  for (const variable of next) {
    const before = storedByKey.get(scopeKey(variable));
    const seen = before !== undefined && accessOf(before).visible;
    if (seen && sameVariable(before, variable)) continue;
    if (!accessOf(variable).editable) throw outOfScope(variable, seen ? 'change' : 'add');
  }
  const kept: orchestratorV1.Variable[] = [];
  for (const variable of stored) {
    if (nextKeys.has(scopeKey(variable))) continue;
    const access = accessOf(variable);
    if (!access.visible) kept.push(variable);
    else if (!access.editable) throw outOfScope(variable, 'remove');
  }
  return [...next, ...kept];
}
