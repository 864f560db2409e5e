import { HttpStatus } from '@nestjs/common';
import { status } from '@grpc/grpc-js';

export interface HttpErrorMapping {
  statusCode: HttpStatus;
  /** What the HTTP client is told; internal details are replaced by a generic sentence. */
  message: string;
}

const GENERIC_INTERNAL = 'An unexpected error occurred';
const GENERIC_UNAVAILABLE = 'A backend service is temporarily unavailable; try again shortly';

/**
 * The one place where gRPC status codes become HTTP statuses. Services write their 4xx messages
 * for users, so those pass through; anything internal is replaced so nothing leaks.
 */
export function httpErrorForGrpc(code: status, message: string): HttpErrorMapping {
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
      // Size limits and rate limits share this code; the message says which.
      return pass(
        /too large|exceeds|size|bytes/i.test(message)
          ? HttpStatus.PAYLOAD_TOO_LARGE
          : HttpStatus.TOO_MANY_REQUESTS,
      );
    case status.UNIMPLEMENTED:
      return { statusCode: HttpStatus.NOT_IMPLEMENTED, message: 'Not implemented' };
    case status.UNAVAILABLE:
      return { statusCode: HttpStatus.SERVICE_UNAVAILABLE, message: GENERIC_UNAVAILABLE };
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

export const INTERNAL_ERROR_MESSAGE = GENERIC_INTERNAL;
