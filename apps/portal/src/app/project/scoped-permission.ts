import {
  environmentReach,
  EnvironmentReach,
  grantsOfCaller,
  Permission,
  permits,
  ResourceScope,
  VariableAccess,
  variableAccess,
} from '@flotilla/api-interfaces';

import type { SessionService } from '../core/session.service';

/**
 * Whether the signed-in user may do `permission` on a resource in `scope` (their team grants may
 * restrict it to some projects / environments; GET /api/users/me carries them). session.can()
 * says only "somewhere": a page about one project or task asks this, so it shows only what the
 * user may do there. Reactive in a template or computed (reads the session's user signal). The
 * API checks the same again.
 */
export function permittedIn(session: SessionService, permission: Permission, scope: ResourceScope): boolean {
  const user = session.user();
  return user !== null && permits(grantsOfCaller(user), permission, scope);
}

/**
 * The environments of project `projectId` where the user holds `permission` (VariableView/Edit
 * are scoped by environment: "on this project" means "in at least one of its environments").
 */
export function reachIn(
  session: SessionService,
  permission: Permission,
  projectId: string,
): EnvironmentReach {
  const user = session.user();
  if (user === null) return { everywhere: false, environmentIds: new Set() };
  return environmentReach(grantsOfCaller(user), permission, projectId);
}

/** Whether `permission` reaches at least one environment of the project. */
export function permittedInSomeEnvironment(
  session: SessionService,
  permission: Permission,
  projectId: string,
): boolean {
  const reach = reachIn(session, permission, projectId);
  return reach.everywhere || reach.environmentIds.size > 0;
}

/** What the user may do with one variable of the project (the server's rule, variableAccess). */
export function variableAccessIn(
  session: SessionService,
  projectId: string,
  environmentIds: readonly string[],
): VariableAccess {
  const user = session.user();
  if (user === null) return { visible: false, editable: false };
  return variableAccess(grantsOfCaller(user), projectId, environmentIds);
}
