import type { CallerIdentity } from '@flotilla/platform/grpc';

import type { AuthUser } from './users/auth-user';

/** The actor of an audit event about a user acting for themselves (sign-in, sign-out). */
export function userActor(user: Pick<AuthUser, 'id' | 'username'>, clientIp: string): CallerIdentity {
  return { userId: user.id, username: user.username, clientIp, permissions: [] };
}

/** Someone not yet identified, e.g. a failed sign-in: only the address is known. */
export function anonymousActor(clientIp: string): CallerIdentity {
  return { userId: '', username: '', clientIp, permissions: [] };
}
