import { Metadata } from '@grpc/grpc-js';

import { clientOrigin } from './caller-identity-origin';

export * from './caller-identity-origin';

/**
 * Who is calling, carried on every gRPC call as metadata so each service can authorise
 * and audit without calling auth again. Set by the gateway after it validated the token.
 */
export interface CallerIdentity {
  userId: string;
  username: string;
  /** The client's address as resolved by the gateway (trusted X-Forwarded-For aware); '' if unknown. */
  clientIp: string;
  /**
   * The raw X-Forwarded-For of the request, bounded (see boundForwardedFor), for the audit trail
   * only. Absent when the request had none or the caller is a process acting on its own.
   */
  forwardedFor?: string;
  permissions: readonly string[];
}

const KEYS = {
  userId: 'x-flotilla-user-id',
  username: 'x-flotilla-username',
  clientIp: 'x-flotilla-client-ip',
  forwardedFor: 'x-flotilla-forwarded-for',
  permissions: 'x-flotilla-permissions',
} as const;

/** The identity of a process acting on its own (heartbeats, relays, recovery). */
export function systemIdentity(service: string): CallerIdentity {
  return { userId: `system:${service}`, username: `system:${service}`, clientIp: '', permissions: [] };
}

export function identityToMetadata(identity: CallerIdentity, metadata = new Metadata()): Metadata {
  // Shaped again on the way out: grpc-js throws on a value that is not printable ASCII, and a
  // caller that built the identity by hand must not turn a strange header into a failed call.
  const origin = clientOrigin(identity.clientIp, identity.forwardedFor);
  metadata.set(KEYS.userId, identity.userId);
  metadata.set(KEYS.username, encodeURIComponent(identity.username));
  metadata.set(KEYS.clientIp, origin.clientIp);
  if (origin.forwardedFor) metadata.set(KEYS.forwardedFor, origin.forwardedFor);
  metadata.set(KEYS.permissions, identity.permissions.join(','));
  return metadata;
}

function first(metadata: Metadata | undefined, key: string): string {
  const value = metadata?.get(key)[0];
  return typeof value === 'string' ? value : '';
}

/**
 * Reads the caller from metadata; anonymous when absent (e.g. the sign-in call itself). Metadata
 * is whatever reached the port, so the origin is validated and bounded here again: clientIp is
 * a valid address or '', forwardedFor bounded text, present only when the call carried one.
 */
export function identityFromMetadata(metadata: Metadata | undefined): CallerIdentity {
  const permissions = first(metadata, KEYS.permissions);
  const origin = clientOrigin(first(metadata, KEYS.clientIp), first(metadata, KEYS.forwardedFor));
  return {
    userId: first(metadata, KEYS.userId),
    username: decodeURIComponent(first(metadata, KEYS.username)),
    clientIp: origin.clientIp,
    ...(origin.forwardedFor ? { forwardedFor: origin.forwardedFor } : {}),
    permissions: permissions ? permissions.split(',') : [],
  };
}
