import { isPermission, PermissionGrant } from '@flotilla/api-interfaces';
import type { authV1 } from '@flotilla/contracts';

/**
 * Grants on the wire (auth.v1.PermissionGrant) and back. proto3 cannot tell an absent list from an
 * empty one, so a restriction travels wrapped (IdList): absent means everywhere, present but
 * empty means nowhere, and a mix-up can never widen a grant.
 */
export function grantsToWire(grants: readonly PermissionGrant[]): authV1.PermissionGrant[] {
  return grants.map((grant) => ({
    permissions: [...grant.permissions],
    ...(grant.projectIds ? { projects: { ids: [...grant.projectIds] } } : {}),
    ...(grant.environmentIds ? { environments: { ids: [...grant.environmentIds] } } : {}),
  }));
}

/** The grants of a principal; undefined when it has none (its permissions hold everywhere). */
export function grantsFromWire(grants: readonly authV1.PermissionGrant[]): PermissionGrant[] | undefined {
  if (grants.length === 0) return undefined;
  return grants.map((grant) => ({
    permissions: grant.permissions.filter(isPermission),
    ...(grant.projects ? { projectIds: [...grant.projects.ids] } : {}),
    ...(grant.environments ? { environmentIds: [...grant.environments.ids] } : {}),
  }));
}
