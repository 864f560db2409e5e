import { InterceptingCall, Interceptor, Metadata, RequesterBuilder, status } from '@grpc/grpc-js';

import { CALLER_TOKEN_METADATA_KEY, GRANTS_METADATA_KEY, identityFromMetadata } from '../caller-identity';
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

/**
 * The metadata without the in-process grants key: the token carries the grants, the receiver
 * would strip the key anyway, and with a team scoped to a thousand projects it is some 50 KB
 * more header on every call. A copy: callers reuse metadata objects across calls.
 */
function withoutGrants(metadata: Metadata): Metadata {
  if (metadata.get(GRANTS_METADATA_KEY).length === 0) return metadata;
  const outgoing = metadata.clone();
  outgoing.remove(GRANTS_METADATA_KEY);
  return outgoing;
}

/**
 * What goes out with a call to `target`: a received token is forwarded as it is (identityToMetadata
 * put it there); in the gateway, an identity naming a user (not a process, not anonymous) gets a
 * token minted for `target` from that identity. The small plain identity keys travel too but count
 * for nothing (the receiver strips them); the grants key is not sent at all.
 */
export function withCallerToken(
  metadata: Metadata,
  target: string,
  minter: CallerTokenMinter | undefined = processMinter,
): Metadata {
  if (metadata.get(CALLER_TOKEN_METADATA_KEY).length > 0 || !minter) return withoutGrants(metadata);
  const identity = identityFromMetadata(metadata);
  if (!identity.userId || identity.userId.startsWith('system:')) return withoutGrants(metadata);
  // A copy: callers reuse metadata objects across calls, and a token baked into one would be
  // sent again after it expired (or to another target).
  const outgoing = withoutGrants(metadata);
  const token = minter.mint(identity, target);
  const copy = outgoing === metadata ? metadata.clone() : outgoing;
  copy.set(CALLER_TOKEN_METADATA_KEY, token);
  return copy;
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
