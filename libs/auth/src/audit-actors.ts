import type { CallerIdentity } from '@flotilla/platform/grpc';

import type { AuthUser } from './users/auth-user';

/** Where a sign-in or sign-out came from, as the gateway resolved it (caller metadata). */
export type RequestOrigin = Pick<CallerIdentity, 'clientIp' | 'forwardedFor' | 'socketPeer' | 'requestId'>;

/** The actor of an audit event about a user acting for themselves (sign-in, sign-out). */
export function userActor(
  user: Pick<AuthUser, 'id' | 'username'> & { source?: AuthUser['source'] },
  origin: RequestOrigin,
): CallerIdentity {
  // A sign-in's method is its account's: a directory account signs in only through the directory.
  const signInMethod =
    user.source === undefined
      ? {}
      : ({ signInMethod: user.source === 'directory' ? 'directory' : 'password' } as const);
  return { userId: user.id, username: user.username, ...originOf(origin), permissions: [], ...signInMethod };
}

/** Someone not yet identified, e.g. a failed sign-in: only where the attempt came from is known. */
export function anonymousActor(origin: RequestOrigin): CallerIdentity {
  return { userId: '', username: '', ...originOf(origin), permissions: [] };
}

function originOf(origin: RequestOrigin): RequestOrigin {
  // The socket peer and request id too: the audit trail records them beside the client IP.
  return {
    clientIp: origin.clientIp,
    forwardedFor: origin.forwardedFor ?? '',
    ...(origin.socketPeer ? { socketPeer: origin.socketPeer } : {}),
    ...(origin.requestId ? { requestId: origin.requestId } : {}),
  };
}
