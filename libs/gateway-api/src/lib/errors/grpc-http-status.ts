import { HttpStatus } from '@nestjs/common';
import { status } from '@grpc/grpc-js';

import { FailureReason } from '@flotilla/platform/grpc';

export interface HttpErrorMapping {
  statusCode: HttpStatus;
  /** What the HTTP client is told; internal details are replaced by a generic sentence. */
  message: string;
  /** Sent as `Retry-After` (seconds): the failure is expected to pass without the client changing anything. */
  retryAfterSeconds?: number;
}

const GENERIC_INTERNAL = 'An unexpected error occurred';
const GENERIC_UNAVAILABLE = 'A backend service is temporarily unavailable; try again shortly';
const DATABASE_UNAVAILABLE =
  'The database is temporarily unavailable (restarting or failing over); try again shortly';

/** A restarting service or a database failover is back within seconds. */
export const RETRY_AFTER_SECONDS = 2;
/** Read-only or failing shared storage needs an administrator; retrying every 2 s would only add load. */
export const STORAGE_RETRY_AFTER_SECONDS = 30;

/**
 * The one place where gRPC status codes become HTTP statuses. Services write their 4xx messages
 * for users, so those pass through; anything internal is replaced so nothing leaks. `reason` is
 * the service's x-flotilla-reason trailer: it, not the wording of a message, tells a full disk
 * from a size limit and a read-only share (whose message is written for users) from an
 * unreachable service (whose message is grpc-js's and may name internal addresses).
 */
export function httpErrorForGrpc(
  code: status,
  message: string,
  reason?: FailureReason,
  retryAfterSeconds?: number,
): HttpErrorMapping {
  const pass = (statusCode: HttpStatus): HttpErrorMapping => ({
    statusCode,
    message: message || HttpStatus[statusCode],
  });
  switch (code) {
    case status.INVALID_ARGUMENT:
    case status.OUT_OF_RANGE:
      return pass(HttpStatus.BAD_REQUEST);
    case status.UNAUTHENTICATED:
      return pass(HttpStatus.UNAUTHORIZED);
    case status.PERMISSION_DENIED:
      return pass(HttpStatus.FORBIDDEN);
    case status.NOT_FOUND:
      return pass(HttpStatus.NOT_FOUND);
    case status.ALREADY_EXISTS:
    case status.FAILED_PRECONDITION:
    case status.ABORTED:
      return pass(HttpStatus.CONFLICT);
    case status.RESOURCE_EXHAUSTED:
      return resourceExhausted(message, reason, retryAfterSeconds);
    case status.UNIMPLEMENTED:
      return { statusCode: HttpStatus.NOT_IMPLEMENTED, message: 'Not implemented' };
    case status.UNAVAILABLE:
      return unavailable(message, reason);
    case status.DEADLINE_EXCEEDED:
      return { statusCode: HttpStatus.GATEWAY_TIMEOUT, message: 'A backend service did not answer in time' };
    case status.OK:
    case status.CANCELLED:
    case status.UNKNOWN:
    case status.INTERNAL:
    case status.DATA_LOSS:
      return { statusCode: HttpStatus.INTERNAL_SERVER_ERROR, message: GENERIC_INTERNAL };
  }
}

function resourceExhausted(
  message: string,
  reason: FailureReason | undefined,
  retryAfterSeconds: number | undefined,
): HttpErrorMapping {
  if (reason === FailureReason.StorageFull) return { statusCode: HttpStatus.INSUFFICIENT_STORAGE, message };
  if (reason === FailureReason.TooLarge) return { statusCode: HttpStatus.PAYLOAD_TOO_LARGE, message };
  // A rate limit (sign-in throttling): the service says how long until it lets the client in again.
  if (reason === FailureReason.RateLimited)
    return {
      statusCode: HttpStatus.TOO_MANY_REQUESTS,
      message: message || 'Too many requests',
      ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
    };
  // No reason: a service from before the trailer existed (a rolling upgrade runs old and new side
  // by side), whose size-limit messages say so; anything else is a rate or quota limit.
  const tooLarge = /too large|larger than|exceeds|size|bytes/i.test(message);
  return {
    statusCode: tooLarge ? HttpStatus.PAYLOAD_TOO_LARGE : HttpStatus.TOO_MANY_REQUESTS,
    message: message || 'Too many requests',
  };
}

function unavailable(message: string, reason: FailureReason | undefined): HttpErrorMapping {
  const statusCode = HttpStatus.SERVICE_UNAVAILABLE;
  switch (reason) {
    case FailureReason.StorageReadOnly:
    case FailureReason.StorageUnavailable:
      // Written by the service for users: it names the folder's state, never its path.
      return { statusCode, message, retryAfterSeconds: STORAGE_RETRY_AFTER_SECONDS };
    case FailureReason.DatabaseUnavailable:
      return { statusCode, message: DATABASE_UNAVAILABLE, retryAfterSeconds: RETRY_AFTER_SECONDS };
    case FailureReason.DirectoryUnavailable:
      // Auth's words for users ("the directory cannot be reached; local accounts can still sign
      // in"), never a controller's address (that goes to auth's log).
      return { statusCode, message, retryAfterSeconds: RETRY_AFTER_SECONDS };
    case FailureReason.StorageFull:
    case FailureReason.TooLarge:
    case FailureReason.RateLimited:
    case undefined:
      return { statusCode, message: GENERIC_UNAVAILABLE, retryAfterSeconds: RETRY_AFTER_SECONDS };
  }
}

export const INTERNAL_ERROR_MESSAGE = GENERIC_INTERNAL;
export const UNAVAILABLE_ERROR_MESSAGE = GENERIC_UNAVAILABLE;
export const DATABASE_UNAVAILABLE_ERROR_MESSAGE = DATABASE_UNAVAILABLE;
