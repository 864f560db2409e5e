import type { CallerIdentity } from '@flotilla/platform/grpc';

import type { AuthUser } from './users/auth-user';

/** Where a sign-in or sign-out came from, as the gateway resolved it (caller metadata). */
export type RequestOrigin = Pick<CallerIdentity, 'clientIp' | 'forwardedFor'>;

/** The actor of an audit event about a user acting for themselves (sign-in, sign-out). */
export function userActor(user: Pick<AuthUser, 'id' | 'username'>, origin: RequestOrigin): CallerIdentity {
  return { userId: user.id, username: user.username, ...originOf(origin), permissions: [] };
}

/** Someone not yet identified, e.g. a failed sign-in: only where the attempt came from is known. */
export function anonymousActor(origin: RequestOrigin): CallerIdentity {
  return { userId: '', username: '', ...originOf(origin), permissions: [] };
}

function originOf(origin: RequestOrigin): RequestOrigin {
  return { clientIp: origin.clientIp, forwardedFor: origin.forwardedFor ?? '' };
}
