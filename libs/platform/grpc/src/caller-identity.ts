import { Metadata } from '@grpc/grpc-js';

import { isPermission, PermissionGrant } from '@flotilla/api-interfaces';

import { clientOrigin } from './caller-identity-origin';
import { CallerProvenance, shapedProvenance } from './caller-provenance';

export * from './caller-identity-origin';
export * from './caller-provenance';

/**
 * Who is calling, carried on every gRPC call as metadata so each service can authorise
 * and audit without calling auth again. The gateway builds it after it validated the user's
 * session or API key; on the wire only a signed caller token stands for a user (see
 * call-authorization/): a receiving service's interceptor strips every plain identity key and
 * sets them again from the verified token, or from the calling peer's certificate.
 */
export interface CallerIdentity extends CallerProvenance {
  userId: string;
  username: string;
  /** The client's address as resolved by the gateway (trusted X-Forwarded-For aware); '' if unknown. */
  clientIp: string;
  /**
   * The raw X-Forwarded-For of the request, bounded (see boundForwardedFor), for the audit trail
   * only. Absent when the request had none or the caller is a process acting on its own.
   */
  forwardedFor?: string;
  /** Every permission the user holds somewhere: what a route or call policy asks for by name. */
  permissions: readonly string[];
  /**
   * The user's grants when any is restricted to projects or environments (teams, issue 10): the
   * service owning a resource checks its project and environment against them (permits()).
   * Absent: every permission above holds everywhere. Travels only inside the signed caller token.
   */
  grants?: readonly PermissionGrant[];
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
/**
 * Metadata key of the grants inside one process: from the gateway's guard to its token minter,
 * and from a server's interceptor to the handler. Never sent: the caller interceptor takes it off
 * every outgoing call (the token carries the grants, and a wide scope is tens of KB).
 */
export const GRANTS_METADATA_KEY = 'x-flotilla-grants';
/** Every incoming metadata key with this prefix is identity: servers strip them all before verifying. */
export const IDENTITY_METADATA_PREFIX = 'x-flotilla-';
/** The request id: beside a caller token, the one identity key besides it a server reads. */
export const REQUEST_ID_METADATA_KEY = 'x-flotilla-request-id';

const KEYS = {
  userId: 'x-flotilla-user-id',
  username: 'x-flotilla-username',
  clientIp: 'x-flotilla-client-ip',
  forwardedFor: 'x-flotilla-forwarded-for',
  permissions: 'x-flotilla-permissions',
  grants: GRANTS_METADATA_KEY,
  requestId: REQUEST_ID_METADATA_KEY,
  callerToken: CALLER_TOKEN_METADATA_KEY,
  signInMethod: 'x-flotilla-sign-in-method',
  apiKeyId: 'x-flotilla-api-key-id',
  socketPeer: 'x-flotilla-socket-peer',
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

/** What a metadata value may hold as it is (grpc-js refuses anything else). */
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/**
 * The grants as a metadata value: their JSON as it is when it is printable ASCII (ids are UUIDs
 * nearly always), else percent-encoded. JSON of a list starts with '[', which encodeURIComponent
 * never leaves as it is, so the reader tells the two apart. Percent-encoding the grants of a
 * user scoped to 1,000 projects cost some 0.9 ms of CPU per call, in the gateway and again in the
 * service; the ASCII test costs a thirtieth of that.
 */
function grantsText(grants: readonly PermissionGrant[]): string {
  const json = JSON.stringify(grants);
  return PRINTABLE_ASCII.test(json) ? json : encodeURIComponent(json);
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
  if (identity.grants) metadata.set(KEYS.grants, grantsText(identity.grants));
  const requestId = validRequestId(identity.requestId);
  if (requestId) metadata.set(KEYS.requestId, requestId);
  if (identity.callerToken) metadata.set(KEYS.callerToken, identity.callerToken);
  const provenance = shapedProvenance(identity);
  if (provenance.signInMethod) metadata.set(KEYS.signInMethod, provenance.signInMethod);
  if (provenance.apiKeyId) metadata.set(KEYS.apiKeyId, provenance.apiKeyId);
  if (provenance.socketPeer) metadata.set(KEYS.socketPeer, provenance.socketPeer);
  return metadata;
}

function isTextList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((entry) => typeof entry === 'string');
}

/**
 * The grants key as written by identityToMetadata. It carries the grants from the gateway's guard
 * to its token minter, and from a server's interceptor (which set it from the verified token,
 * after stripping whatever reached the port) to the handler. A value that does not read as grants
 * gives nothing ([]), never "unrestricted".
 */
function grantsFrom(text: string): PermissionGrant[] | undefined {
  if (!text) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text.startsWith('[') ? text : decodeURIComponent(text));
  } catch {
    return [];
  }
  if (!Array.isArray(value)) return [];
  const grants: PermissionGrant[] = [];
  for (const entry of value as unknown[]) {
    const { permissions, projectIds, environmentIds } = (entry ?? {}) as Record<string, unknown>;
    if (!isTextList(permissions)) return [];
    if (projectIds !== undefined && !isTextList(projectIds)) return [];
    if (environmentIds !== undefined && !isTextList(environmentIds)) return [];
    grants.push({
      permissions: permissions.filter(isPermission),
      ...(projectIds ? { projectIds } : {}),
      ...(environmentIds ? { environmentIds } : {}),
    });
  }
  return grants;
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
  const grants = grantsFrom(first(metadata, KEYS.grants));
  const provenance = shapedProvenance({
    signInMethod: first(metadata, KEYS.signInMethod),
    apiKeyId: first(metadata, KEYS.apiKeyId),
    socketPeer: first(metadata, KEYS.socketPeer),
  });
  return {
    userId: first(metadata, KEYS.userId),
    username: decodeURIComponent(first(metadata, KEYS.username)),
    clientIp: origin.clientIp,
    ...(origin.forwardedFor ? { forwardedFor: origin.forwardedFor } : {}),
    permissions: permissions ? permissions.split(',') : [],
    ...(grants ? { grants } : {}),
    ...(requestId ? { requestId } : {}),
    ...(callerToken ? { callerToken } : {}),
    ...provenance,
  };
}
