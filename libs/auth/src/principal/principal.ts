import { Permission, permissionsOfRoles } from '@flotilla/api-interfaces';
import type { authV1 } from '@flotilla/contracts';
import { CallerIdentity, RpcErrors } from '@flotilla/platform/grpc';

import type { AuthUser } from '../users/auth-user';

/** How the caller proved who they are, as reported in Principal.credential. */
export type CredentialKind = 'session' | 'api-key';

/** What a valid token stands for: the user and the permissions their roles grant. */
export function buildPrincipal(user: AuthUser, credential: CredentialKind): authV1.Principal {
  return {
    userId: user.id,
    username: user.username,
    displayName: user.displayName,
    permissions: permissionsOfRoles(user.roles),
    credential,
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
