/**
 * Permission names (Octopus-compatible strings). The gateway checks them on every route; the
 * portal reads them from GET /api/users/me to show or hide actions.
 */
export const Permission = {
  AdministerSystem: 'AdministerSystem',
  ProjectView: 'ProjectView',
  ProjectCreate: 'ProjectCreate',
  ProjectEdit: 'ProjectEdit',
  ProjectDelete: 'ProjectDelete',
  EnvironmentView: 'EnvironmentView',
  EnvironmentCreate: 'EnvironmentCreate',
  EnvironmentEdit: 'EnvironmentEdit',
  EnvironmentDelete: 'EnvironmentDelete',
  ProcessEdit: 'ProcessEdit',
  VariableView: 'VariableView',
  VariableEdit: 'VariableEdit',
  ReleaseView: 'ReleaseView',
  ReleaseCreate: 'ReleaseCreate',
  DeploymentView: 'DeploymentView',
  DeploymentCreate: 'DeploymentCreate',
  TaskView: 'TaskView',
  TaskCancel: 'TaskCancel',
  /** List and download packages. */
  FeedView: 'FeedView',
  /** Upload packages. */
  BuiltInFeedPush: 'BuiltInFeedPush',
  /** Delete packages. */
  BuiltInFeedAdminister: 'BuiltInFeedAdminister',
  /** Read the audit trail. */
  EventView: 'EventView',
  UserView: 'UserView',
  UserEdit: 'UserEdit',
  /** Manage one's own API keys. */
  ApiKeyEdit: 'ApiKeyEdit',
} as const;

export type Permission = (typeof Permission)[keyof typeof Permission];

export const ALL_PERMISSIONS: readonly Permission[] = Object.values(Permission);

export function isPermission(value: string): value is Permission {
  return (ALL_PERMISSIONS as readonly string[]).includes(value);
}

/** The *View permissions: everything a read-only user may look at. */
export const VIEW_PERMISSIONS: readonly Permission[] = ALL_PERMISSIONS.filter((p) => p.endsWith('View'));

export const Role = {
  Administrator: 'Administrator',
  Deployer: 'Deployer',
  Auditor: 'Auditor',
} as const;

export type Role = (typeof Role)[keyof typeof Role];

export const ALL_ROLES: readonly Role[] = Object.values(Role);

export interface RoleDefinition {
  name: Role;
  description: string;
  permissions: readonly Permission[];
}

export const ROLE_DEFINITIONS: Readonly<Record<Role, RoleDefinition>> = {
  Administrator: {
    name: Role.Administrator,
    description: 'Everything, including users and system settings.',
    permissions: ALL_PERMISSIONS,
  },
  Deployer: {
    name: Role.Deployer,
    description:
      'Sees everything; creates and edits projects, environments, releases and deployments; pushes packages.',
    permissions: [
      ...VIEW_PERMISSIONS,
      Permission.ReleaseCreate,
      Permission.DeploymentCreate,
      Permission.TaskCancel,
      Permission.BuiltInFeedPush,
      Permission.ApiKeyEdit,
      Permission.ProcessEdit,
      Permission.VariableEdit,
      Permission.ProjectCreate,
      Permission.ProjectEdit,
      Permission.EnvironmentCreate,
      Permission.EnvironmentEdit,
    ],
  },
  Auditor: {
    name: Role.Auditor,
    // Reviewers read the trail and everything around it, but never secrets and never change anything.
    description: 'Read only: the audit trail and every view except variables.',
    permissions: [...VIEW_PERMISSIONS.filter((p) => p !== Permission.VariableView), Permission.ApiKeyEdit],
  },
};

/** The union of the permissions of the given roles; unknown role names grant nothing. */
export function permissionsOfRoles(roles: readonly string[]): Permission[] {
  const granted = new Set<Permission>();
  for (const role of roles) {
    const definition = (ROLE_DEFINITIONS as Readonly<Record<string, RoleDefinition | undefined>>)[role];
    definition?.permissions.forEach((p) => granted.add(p));
  }
  return ALL_PERMISSIONS.filter((p) => granted.has(p));
}
