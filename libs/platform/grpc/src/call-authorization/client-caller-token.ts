import { InterceptingCall, Interceptor, Metadata, RequesterBuilder, status } from '@grpc/grpc-js';

import { CALLER_TOKEN_METADATA_KEY, identityFromMetadata } from '../caller-identity';
import type { CallerTokenMinter } from './caller-token-minter';

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
 * What goes out with a call to `target`: a received token is forwarded as it is (identityToMetadata
 * put it there); in the gateway, an identity naming a user (not a process, not anonymous) gets a
 * token minted for `target` from that identity. Plain identity keys travel too but count for
 * nothing: the receiver strips them.
 */
export async function withCallerToken(
  metadata: Metadata,
  target: string,
  minter: CallerTokenMinter | undefined = processMinter,
): Promise<Metadata> {
  if (metadata.get(CALLER_TOKEN_METADATA_KEY).length > 0 || !minter) return metadata;
  const identity = identityFromMetadata(metadata);
  if (!identity.userId || identity.userId.startsWith('system:')) return metadata;
  // A copy: callers reuse metadata objects across calls, and a token baked into one would be
  // sent again after it expired (or to another target).
  const outgoing = metadata.clone();
  outgoing.set(CALLER_TOKEN_METADATA_KEY, await minter.mint(identity, target));
  return outgoing;
}

/** The client interceptor: mints or forwards before the call starts (signing is asynchronous). */
export function callerTokenInterceptor(target: string): Interceptor {
  return (options, nextCall) =>
    new InterceptingCall(
      nextCall(options),
      new RequesterBuilder()
        .withStart((metadata, listener, next) => {
          withCallerToken(metadata, target).then(
            (outgoing) => next(outgoing, listener),
            (error: unknown) => {
              // The call cannot go without the token it needs; fail it here with the reason.
              listener.onReceiveStatus({
                code: status.INTERNAL,
                details: `Could not sign the caller token for ${target}: ${error instanceof Error ? error.message : String(error)}`,
                metadata: new Metadata(),
              });
            },
          );
        })
        .build(),
    );
}
