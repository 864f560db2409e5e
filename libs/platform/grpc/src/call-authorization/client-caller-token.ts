import { InterceptingCall, Interceptor, Metadata, RequesterBuilder, status } from '@grpc/grpc-js';

import {
  CALLER_TOKEN_METADATA_KEY,
  GRANTS_METADATA_KEY,
  IDENTITY_METADATA_PREFIX,
  identityFromMetadata,
  REQUEST_ID_METADATA_KEY,
} from '../caller-identity';
import type { CallerTokenMinter } from './caller-token-minter';
import { CallerTokenTooLarge } from './caller-token-scope';

/**
 * The process's minter: set by the gateway at start (enableCallerTokenMinting), the only process
 * that signs; in every other process it stays unset, so they can only forward a token they were
 * given. Process-wide because the clients are built by shared wiring (GrpcClientsModule) that
 * cannot tell which process it runs in.
 */
let processMinter: CallerTokenMinter | undefined;

export function enableCallerTokenMinting(minter: CallerTokenMinter): void {
  processMinter = minter;
}

/** Tests only: back to a process that cannot mint. */
export function disableCallerTokenMinting(): void {
  processMinter = undefined;
}

export function callerTokenMintingEnabled(): boolean {
  return processMinter !== undefined;
}

/** The identity keys a server reads when a caller token comes with the call. */
const SENT_WITH_TOKEN: ReadonlySet<string> = new Set([CALLER_TOKEN_METADATA_KEY, REQUEST_ID_METADATA_KEY]);

/**
 * The metadata of a call that carries `token`: the token, the request id, and none of the plain
 * identity keys. The receiver strips those on arrival and takes the user from the token, so they
 * would only cost encoding and parsing on both sides; the grants key alone is some 50 KB for a team
 * scoped to a thousand projects. A copy: callers reuse metadata objects across calls, and a token
 * baked into one would be sent again after it expired (or to another target).
 */
function forTokenCall(metadata: Metadata, token: string): Metadata {
  const outgoing = metadata.clone();
  for (const key of Object.keys(outgoing.getMap())) {
    if (key.startsWith(IDENTITY_METADATA_PREFIX) && !SENT_WITH_TOKEN.has(key)) outgoing.remove(key);
  }
  outgoing.set(CALLER_TOKEN_METADATA_KEY, token);
  return outgoing;
}

/** Without the in-process grants key, which is never sent (a call without a token has no user). */
function withoutGrants(metadata: Metadata): Metadata {
  if (metadata.get(GRANTS_METADATA_KEY).length === 0) return metadata;
  const outgoing = metadata.clone();
  outgoing.remove(GRANTS_METADATA_KEY);
  return outgoing;
}

/**
 * What goes out with a call to `target`: a received token is forwarded as it is (identityToMetadata
 * put it there); in the gateway, an identity naming a user (not a process, not anonymous) gets a
 * token minted for `target` from that identity. Beside a token only the request id travels; a
 * call without one keeps its plain identity keys (the gateway's word on where a sign-in came from),
 * never the grants.
 */
export function withCallerToken(
  metadata: Metadata,
  target: string,
  minter: CallerTokenMinter | undefined = processMinter,
): Metadata {
  const received = metadata.get(CALLER_TOKEN_METADATA_KEY)[0];
  if (typeof received === 'string' && received) return forTokenCall(metadata, received);
  if (!minter) return withoutGrants(metadata);
  const identity = identityFromMetadata(metadata);
  if (!identity.userId || identity.userId.startsWith('system:')) return withoutGrants(metadata);
  return forTokenCall(metadata, minter.mint(identity, target));
}

/** The client interceptor: mints or forwards before the call starts (signing is synchronous). */
export function callerTokenInterceptor(target: string): Interceptor {
  return (options, nextCall) =>
    new InterceptingCall(
      nextCall(options),
      new RequesterBuilder()
        .withStart((metadata, listener, next) => {
          let outgoing: Metadata;
          try {
            outgoing = withCallerToken(metadata, target);
          } catch (error) {
            // The call cannot go without the token it needs; fail it here with the reason. Grants
            // too wide for a token are the account's configuration, not a fault (the gateway's
            // guard refuses such a user before any call; this is the second line).
            listener.onReceiveStatus({
              code: error instanceof CallerTokenTooLarge ? status.PERMISSION_DENIED : status.INTERNAL,
              details: `Could not sign the caller token for ${target}: ${error instanceof Error ? error.message : String(error)}`,
              metadata: new Metadata(),
            });
            return;
          }
          next(outgoing, listener);
        })
        .build(),
    );
}
