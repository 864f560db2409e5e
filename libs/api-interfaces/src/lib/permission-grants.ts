import { ALL_PERMISSIONS, Permission, permissionsOfRoles } from './permissions';

/**
 * Scoped permissions (teams, issue 10): a grant holds permissions, optionally restricted to some
 * projects and/or environments ("Deployer for project Shop in Staging only"). Octopus scopes team
 * roles the same way. Absent restriction: every project / environment; an empty list: none.
 */
export interface PermissionGrant {
  permissions: readonly Permission[];
  projectIds?: readonly string[];
  environmentIds?: readonly string[];
}

/** The resource a permission is checked against: the project and environment it belongs to. */
export interface ResourceScope {
  projectId?: string;
  environmentId?: string;
}

type Dimension = 'project' | 'environment';

/**
 * Which restrictions apply to which permission. A restriction on a dimension a permission does
 * not have leaves it alone (a Deployer restricted to Staging still sees project Shop), except for
 * the permissions with no dimension at all: system power (users, settings, creating projects,
 * pushing packages, the audit trail) cannot be scoped, so a restricted grant never gives it.
 */
const DIMENSIONS: Readonly<Record<Permission, readonly Dimension[]>> = {
  AdministerSystem: [],
  ProjectView: ['project'],
  ProjectCreate: [],
  ProjectEdit: ['project'],
  ProjectDelete: ['project'],
  EnvironmentView: ['environment'],
  EnvironmentCreate: [],
  EnvironmentEdit: ['environment'],
  EnvironmentDelete: ['environment'],
  ProcessEdit: ['project'],
  // A variable applies in some environments (none listed: all), like Octopus's variable scopes:
  // "VariableEdit on Shop in Staging" must not reach Shop's Production values (variableAccess).
  VariableView: ['project', 'environment'],
  VariableEdit: ['project', 'environment'],
  ReleaseView: ['project'],
  ReleaseCreate: ['project'],
  DeploymentView: ['project', 'environment'],
  DeploymentCreate: ['project', 'environment'],
  TaskView: ['project', 'environment'],
  TaskCancel: ['project', 'environment'],
  FeedView: [],
  BuiltInFeedPush: [],
  BuiltInFeedAdminister: [],
  EventView: [],
  UserView: [],
  UserEdit: [],
  ApiKeyEdit: [],
};

/**
 * System permissions a restricted grant still gives: reading the package feed (needed to pick a
 * release's package versions) and managing one's own API keys. Neither reaches another user's data.
 */
const HARMLESS_UNSCOPED: readonly Permission[] = [Permission.FeedView, Permission.ApiKeyEdit];

export function dimensionsOf(permission: Permission): readonly Dimension[] {
  return DIMENSIONS[permission];
}

function isRestricted(grant: PermissionGrant): boolean {
  return grant.projectIds !== undefined || grant.environmentIds !== undefined;
}

function allows(restriction: readonly string[] | undefined, id: string | undefined): boolean {
  return restriction === undefined || (id !== undefined && restriction.includes(id));
}

/** Whether this grant gives `permission` on a resource in `scope`. */
export function grantPermits(grant: PermissionGrant, permission: Permission, scope: ResourceScope): boolean {
  if (!grant.permissions.includes(permission)) return false;
  if (!isRestricted(grant)) return true;
  const dimensions = DIMENSIONS[permission];
  if (dimensions.length === 0) return HARMLESS_UNSCOPED.includes(permission);
  return (
    (!dimensions.includes('project') || allows(grant.projectIds, scope.projectId)) &&
    (!dimensions.includes('environment') || allows(grant.environmentIds, scope.environmentId))
  );
}

/** Whether any grant gives `permission` on a resource in `scope`. */
export function permits(
  grants: readonly PermissionGrant[],
  permission: Permission,
  scope: ResourceScope = {},
): boolean {
  return grants.some((grant) => grantPermits(grant, permission, scope));
}

/**
 * Whether `permission` is given anywhere: on at least one project / environment, or everywhere.
 * The gateway's route guard and the portal ask this; the service owning the resource then
 * checks the resource's own scope with permits().
 */
export function permitsSomewhere(grants: readonly PermissionGrant[], permission: Permission): boolean {
  return grants.some((grant) => {
    if (!grant.permissions.includes(permission)) return false;
    if (!isRestricted(grant)) return true;
    if (DIMENSIONS[permission].length === 0) return HARMLESS_UNSCOPED.includes(permission);
    const lists = [
      DIMENSIONS[permission].includes('project') ? grant.projectIds : undefined,
      DIMENSIONS[permission].includes('environment') ? grant.environmentIds : undefined,
    ];
    return lists.every((list) => list === undefined || list.length > 0);
  });
}

/** The environments of one project where a permission is given: all of them, or these (maybe none). */
export type EnvironmentReach =
  | { everywhere: true }
  | { everywhere: false; environmentIds: ReadonlySet<string> };

/**
 * Where in project `projectId` the grants give `permission`, environment by environment. A
 * permission without the environment dimension reaches all of a project's environments or none.
 */
export function environmentReach(
  grants: readonly PermissionGrant[],
  permission: Permission,
  projectId: string,
): EnvironmentReach {
  const dimensions = DIMENSIONS[permission];
  const environmentIds = new Set<string>();
  for (const grant of grants) {
    if (!dimensions.includes('environment')) {
      if (grantPermits(grant, permission, { projectId })) return { everywhere: true };
      continue;
    }
    if (!grant.permissions.includes(permission)) continue;
    if (dimensions.includes('project') && !allows(grant.projectIds, projectId)) continue;
    if (grant.environmentIds === undefined) return { everywhere: true };
    for (const id of grant.environmentIds) environmentIds.add(id);
  }
  return { everywhere: false, environmentIds };
}

function reachesAny(reach: EnvironmentReach, environmentIds: readonly string[]): boolean {
  return reach.everywhere || environmentIds.some((id) => reach.environmentIds.has(id));
}

function reachesAll(reach: EnvironmentReach, environmentIds: readonly string[]): boolean {
  return reach.everywhere || environmentIds.every((id) => reach.environmentIds.has(id));
}

/** What a caller may do with one project variable (variableAccess). */
export interface VariableAccess {
  visible: boolean;
  editable: boolean;
}

/**
 * The environment rule of project variables (issue 10; Octopus scopes them the same way). A
 * variable scoped to environments E (none: it applies in every environment):
 * - is visible when VariableView on its project reaches at least one environment of E: whoever may
 *   read the project's variables for Staging sees what applies in Staging, even if it also applies
 *   in Production. An unscoped variable applies in every environment, so anyone holding
 *   VariableView on the project anywhere sees it (values of sensitive ones stay masked for all);
 * - is editable when VariableEdit on its project reaches every environment of E (changing it
 *   changes it everywhere it applies), so an unscoped one needs VariableEdit on the project not
 *   restricted by environment. Editing does not need seeing (VariableEdit alone, as before scopes);
 *   an update never deletes what its caller cannot see (mergeWithinScope in orchestration).
 */
export function variableAccess(
  grants: readonly PermissionGrant[],
  projectId: string,
  environmentIds: readonly string[],
): VariableAccess {
  const view = environmentReach(grants, Permission.VariableView, projectId);
  const edit = environmentReach(grants, Permission.VariableEdit, projectId);
  const visible =
    environmentIds.length === 0
      ? view.everywhere || view.environmentIds.size > 0
      : reachesAny(view, environmentIds);
  const editable = environmentIds.length === 0 ? edit.everywhere : reachesAll(edit, environmentIds);
  return { visible, editable };
}

/** Every permission given somewhere, in ALL_PERMISSIONS order (GET /api/users/me, route checks). */
export function permissionsGrantedSomewhere(grants: readonly PermissionGrant[]): Permission[] {
  return ALL_PERMISSIONS.filter((permission) => permitsSomewhere(grants, permission));
}

/** The grant of global roles (an account's own roles): their permissions, unrestricted. */
export function unrestrictedGrant(roles: readonly string[]): PermissionGrant {
  return { permissions: permissionsOfRoles(roles) };
}

/**
 * A caller's grants: the scoped ones if it carries any, else its permissions unrestricted
 * (an identity from before teams, a service's own, an account whose roles are all global).
 */
export function grantsOfCaller(caller: {
  permissions: readonly string[];
  grants?: readonly PermissionGrant[];
}): readonly PermissionGrant[] {
  if (caller.grants) return caller.grants;
  return [{ permissions: ALL_PERMISSIONS.filter((p) => caller.permissions.includes(p)) }];
}
