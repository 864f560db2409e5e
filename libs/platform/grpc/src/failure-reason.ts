import { Metadata, status } from '@grpc/grpc-js';
import { RpcException } from '@nestjs/microservices';

/**
 * Why a call failed, beyond its status code, carried as trailing metadata so the gateway never has
 * to guess from message wording (a status alone cannot tell a full disk from a size limit, or a
 * read-only share from an unreachable service whose message names its address).
 */
export const FAILURE_REASON_KEY = 'x-flotilla-reason';

export const FailureReason = {
  /** RESOURCE_EXHAUSTED: shared storage has no space (ENOSPC) or the quota is used up (EDQUOT). */
  StorageFull: 'storage-full',
  /** UNAVAILABLE: shared storage is mounted read-only (EROFS). */
  StorageReadOnly: 'storage-read-only',
  /** UNAVAILABLE: shared storage refuses writes (EACCES/EPERM) or fails them (EIO). */
  StorageUnavailable: 'storage-unavailable',
  /** UNAVAILABLE: the database cannot be reached (restart, failover); retrying soon helps. */
  DatabaseUnavailable: 'database-unavailable',
  /** UNAVAILABLE: no domain controller answered a directory sign-in; local accounts still sign in. */
  DirectoryUnavailable: 'directory-unavailable',
  /** RESOURCE_EXHAUSTED: the request is over a configured size limit. */
  TooLarge: 'too-large',
  /** RESOURCE_EXHAUSTED: too many attempts (sign-in throttling); the trailers say how long to wait (rate-limited.ts). */
  RateLimited: 'rate-limited',
} as const;
export type FailureReason = (typeof FailureReason)[keyof typeof FailureReason];

const KNOWN_REASONS: ReadonlySet<string> = new Set(Object.values(FailureReason));

/** Trailing metadata naming the reason (grpc-js sends an error's `metadata` as the trailers). */
export function failureReasonMetadata(reason: FailureReason): Metadata {
  const metadata = new Metadata();
  metadata.set(FAILURE_REASON_KEY, reason);
  return metadata;
}

/** An RpcException whose status carries `reason` in its trailers; Nest passes the object to grpc-js as is. */
export function rpcErrorWithReason(code: status, message: string, reason: FailureReason): RpcException {
  return new RpcException({ code, message, details: message, metadata: failureReasonMetadata(reason) });
}

/** The reason a gRPC error's trailers name, if any a gateway of this version knows. */
export function failureReasonOf(error: unknown): FailureReason | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const metadata = (error as { metadata?: unknown }).metadata;
  if (!(metadata instanceof Metadata)) return undefined;
  const value = metadata.get(FAILURE_REASON_KEY)[0];
  return typeof value === 'string' && KNOWN_REASONS.has(value) ? (value as FailureReason) : undefined;
}
