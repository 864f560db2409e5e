import { Metadata } from '@grpc/grpc-js';

import { clientOrigin } from './caller-identity-origin';

export * from './caller-identity-origin';

/**
 * Who is calling, carried on every gRPC call as metadata so each service can authorise
 * and audit without calling auth again. The gateway builds it after it validated the user's
 * session or API key; on the wire only a signed caller token stands for a user (see
 * call-authorization/): a receiving service's interceptor strips every plain identity key and
 * sets them again from the verified token, or from the calling peer's certificate.
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
  /** One id per user request (set by the gateway), so the audit trail and logs can join its calls. */
  requestId?: string;
  /**
   * The verified caller token this identity was read from, forwarded as-is when the service
   * acts onward for the same user (the next service accepts it because its audience is this
   * service, the mTLS peer). Absent for a process acting on its own.
   */
  callerToken?: string;
}

/** Metadata key of the signed caller token (a JWT; see call-authorization/caller-token-claims.ts). */
export const CALLER_TOKEN_METADATA_KEY = 'x-flotilla-caller-token';
/** Every incoming metadata key with this prefix is identity: servers strip them all before verifying. */
export const IDENTITY_METADATA_PREFIX = 'x-flotilla-';

const KEYS = {
  userId: 'x-flotilla-user-id',
  username: 'x-flotilla-username',
  clientIp: 'x-flotilla-client-ip',
  forwardedFor: 'x-flotilla-forwarded-for',
  permissions: 'x-flotilla-permissions',
  requestId: 'x-flotilla-request-id',
  callerToken: CALLER_TOKEN_METADATA_KEY,
} as const;

/** A request id is an opaque correlation key: printable, short, no separators of other formats. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The request id if it is one a log line or an audit column can hold as-is, else undefined. */
export function validRequestId(value: string | undefined): string | undefined {
  return value && REQUEST_ID.test(value) ? value : undefined;
}

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
  const requestId = validRequestId(identity.requestId);
  if (requestId) metadata.set(KEYS.requestId, requestId);
  if (identity.callerToken) metadata.set(KEYS.callerToken, identity.callerToken);
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
  const requestId = validRequestId(first(metadata, KEYS.requestId));
  const callerToken = first(metadata, KEYS.callerToken);
  return {
    userId: first(metadata, KEYS.userId),
    username: decodeURIComponent(first(metadata, KEYS.username)),
    clientIp: origin.clientIp,
    ...(origin.forwardedFor ? { forwardedFor: origin.forwardedFor } : {}),
    permissions: permissions ? permissions.split(',') : [],
    ...(requestId ? { requestId } : {}),
    ...(callerToken ? { callerToken } : {}),
  };
}
