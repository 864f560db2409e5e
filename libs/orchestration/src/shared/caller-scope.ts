import {
  dimensionsOf,
  grantsOfCaller,
  Permission,
  PermissionGrant,
  permits,
  ResourceScope,
} from '@flotilla/api-interfaces';
import { CallerIdentity, RpcErrors } from '@flotilla/platform/grpc';

/**
 * The rows of a list a caller may see: every row, or those matching one of the clauses (a clause's
 * absent list leaves that column free). No clause at all: nothing.
 */
export type ScopeFilter =
  | { everything: true }
  | { everything: false; clauses: Array<{ projectIds?: string[]; environmentIds?: string[] }> };

/**
 * What a caller may do where (teams with scoped roles, issue 10). The call policy has already
 * checked the permission's name ("held somewhere"); the service owning a resource checks it here
 * against the resource's project and environment, on the loaded row.
 *
 * Out-of-scope answers, the same for every method:
 * - a resource the caller may not see (its view permission is not given in its scope) answers
 *   NOT_FOUND with the same text as a missing one: its existence is not disclosed;
 * - an action on a resource the caller may see but where the action's permission is not given in
 *   its scope answers PERMISSION_DENIED;
 * - lists hold only what the caller may see, filtered in SQL so totals and paging count only that.
 */
export class CallerScope {
  private readonly grants: readonly PermissionGrant[];

  constructor(readonly caller: CallerIdentity) {
    this.grants = grantsOfCaller(caller);
  }

  /**
   * A process on its own (an executor checking whether its task was cancelled): only the call
   * policy admits one, by its certificate; a caller token never names a 'system:' user.
   */
  get isOwnProcess(): boolean {
    return this.caller.userId.startsWith('system:');
  }

  permits(permission: Permission, scope: ResourceScope): boolean {
    return permits(this.grants, permission, scope);
  }

  /** NOT_FOUND (`notFound`, the missing resource's own refusal) unless `view` is given in `scope`. */
  requireVisible(view: Permission, scope: ResourceScope, notFound: () => Error): void {
    if (!this.permits(view, scope)) throw notFound();
  }

  /**
   * `permission` on a resource: NOT_FOUND as a missing one when the caller may not even see it
   * (`view`), PERMISSION_DENIED when they see it but may not do this there.
   */
  requireAllowed(
    permission: Permission,
    view: Permission,
    scope: ResourceScope,
    what: string,
    notFound: () => Error,
  ): void {
    this.requireVisible(view, scope, notFound);
    if (!this.permits(permission, scope))
      throw RpcErrors.permissionDenied(`${permission} is not given to you on ${what}`);
  }

  /** A system permission (creating projects, environments): a restricted grant never gives it. */
  requireEverywhere(permission: Permission): void {
    if (!this.permits(permission, {}))
      throw RpcErrors.permissionDenied(
        `${permission} is a system permission that a scoped grant does not give`,
      );
  }

  /** Which rows a list filtered by `permission` may hold. */
  filter(permission: Permission): ScopeFilter {
    const dimensions = dimensionsOf(permission);
    const clauses: Array<{ projectIds?: string[]; environmentIds?: string[] }> = [];
    for (const grant of this.grants) {
      if (!grant.permissions.includes(permission)) continue;
      const projectIds = dimensions.includes('project') ? grant.projectIds : undefined;
      const environmentIds = dimensions.includes('environment') ? grant.environmentIds : undefined;
      const restricted = grant.projectIds !== undefined || grant.environmentIds !== undefined;
      if (restricted && dimensions.length === 0) {
        if (permits([grant], permission, {})) return { everything: true };
        continue;
      }
      if (projectIds === undefined && environmentIds === undefined) return { everything: true };
      if (projectIds?.length === 0 || environmentIds?.length === 0) continue;
      clauses.push({
        ...(projectIds ? { projectIds: [...projectIds] } : {}),
        ...(environmentIds ? { environmentIds: [...environmentIds] } : {}),
      });
    }
    return { everything: false, clauses };
  }
}
