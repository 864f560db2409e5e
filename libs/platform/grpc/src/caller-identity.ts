import { Metadata } from '@grpc/grpc-js';

/**
 * Who is calling, carried on every gRPC call as metadata so each service can authorise
 * and audit without calling auth again. Set by the gateway after it validated the token.
 */
export interface CallerIdentity {
  userId: string;
  username: string;
  /** The client's address as resolved by the gateway (trusted X-Forwarded-For aware). */
  clientIp: string;
  permissions: readonly string[];
}

const KEYS = {
  userId: 'x-flotilla-user-id',
  username: 'x-flotilla-username',
  clientIp: 'x-flotilla-client-ip',
  permissions: 'x-flotilla-permissions',
} as const;

/** The identity of a process acting on its own (heartbeats, relays, recovery). */
export function systemIdentity(service: string): CallerIdentity {
  return { userId: `system:${service}`, username: `system:${service}`, clientIp: '', permissions: [] };
}

export function identityToMetadata(identity: CallerIdentity, metadata = new Metadata()): Metadata {
  metadata.set(KEYS.userId, identity.userId);
  metadata.set(KEYS.username, encodeURIComponent(identity.username));
  metadata.set(KEYS.clientIp, identity.clientIp);
  metadata.set(KEYS.permissions, identity.permissions.join(','));
  return metadata;
}

function first(metadata: Metadata | undefined, key: string): string {
  const value = metadata?.get(key)[0];
  return typeof value === 'string' ? value : '';
}

/** Reads the caller from metadata; anonymous when absent (e.g. the sign-in call itself). */
export function identityFromMetadata(metadata: Metadata | undefined): CallerIdentity {
  const permissions = first(metadata, KEYS.permissions);
  return {
    userId: first(metadata, KEYS.userId),
    username: decodeURIComponent(first(metadata, KEYS.username)),
    clientIp: first(metadata, KEYS.clientIp),
    permissions: permissions ? permissions.split(',') : [],
  };
}
