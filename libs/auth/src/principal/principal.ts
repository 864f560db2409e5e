import {
  Permission,
  PermissionGrant,
  permissionsGrantedSomewhere,
  permissionsOfRoles,
  unrestrictedGrant,
} from '@flotilla/api-interfaces';
import type { authV1 } from '@flotilla/contracts';
import { CallerIdentity, grantsToWire, RpcErrors } from '@flotilla/platform/grpc';

import type { GrantedRole } from '../teams/teams.repository';
import type { AuthUser } from '../users/auth-user';

/** How the caller proved who they are, as reported in Principal.credential. */
export type CredentialKind = 'session' | 'api-key';

/**
 * A user's grants: their account's own roles, everywhere, then each role each of their teams
 * grants (directly or through a directory group), restricted as the team says. A grant that gives
 * no permission (no roles, a role that no longer exists) is left out.
 */
export function grantsOfUser(
  accountRoles: readonly string[],
  teamRoles: readonly GrantedRole[],
): PermissionGrant[] {
  const grants: PermissionGrant[] = [unrestrictedGrant(accountRoles)];
  for (const granted of teamRoles) {
    grants.push({
      permissions: permissionsOfRoles([granted.role]),
      ...(granted.projectIds ? { projectIds: granted.projectIds } : {}),
      ...(granted.environmentIds ? { environmentIds: granted.environmentIds } : {}),
    });
  }
  return grants.filter((grant) => grant.permissions.length > 0);
}

/**
 * What a valid token stands for: the user, every permission they hold somewhere, and (only when
 * some grant is restricted to projects or environments) the grants themselves; without them each
 * permission holds everywhere, so a principal of global roles alone travels as it always did.
 */
export function buildPrincipal(
  user: AuthUser,
  credential: CredentialKind,
  teamRoles: readonly GrantedRole[] = [],
): authV1.Principal {
  const grants = grantsOfUser(user.roles, teamRoles);
  const restricted = grants.some(
    (grant) => grant.projectIds !== undefined || grant.environmentIds !== undefined,
  );
  return {
    userId: user.id,
    username: user.username,
    displayName: user.displayName,
    permissions: permissionsGrantedSomewhere(grants),
    credential,
    grants: restricted ? grantsToWire(grants) : [],
  };
}

/**
 * Services trust the identity the gateway put in metadata, but auth re-checks the permission
 * because a missed check here would hand out accounts or keys.
 */
export function requirePermission(caller: CallerIdentity, permission: Permission): void {
  if (!caller.userId) throw RpcErrors.unauthenticated('Sign in first');
  if (!caller.permissions.includes(permission)) {
    throw RpcErrors.permissionDenied(`This needs the ${permission} permission`);
  }
}

export function hasPermission(caller: CallerIdentity, permission: Permission): boolean {
  return caller.permissions.includes(permission);
}
