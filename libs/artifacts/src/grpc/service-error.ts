import { Logger } from '@nestjs/common';
import { Metadata, ServerErrorResponse, status } from '@grpc/grpc-js';
import { RpcException } from '@nestjs/microservices';

import { DATABASE_UNAVAILABLE_MESSAGE, FailureReason, failureReasonMetadata } from '@flotilla/platform/grpc';
import { isDatabaseUnavailableError } from '@flotilla/platform/persistence';
import { storageFailureOf } from '@flotilla/platform/storage';

import { storageRpcError } from '../storage/storage-rpc-error';

const logger = new Logger('ArtifactService');

function describe(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

function statusError(code: status, message: string, metadata?: Metadata): ServerErrorResponse {
  return Object.assign(new Error(message), { code, details: message, ...(metadata ? { metadata } : {}) });
}

function fromRpcException(error: RpcException): ServerErrorResponse | undefined {
  const { code, message, metadata } = error.getError() as {
    code?: unknown;
    message?: unknown;
    metadata?: unknown;
  };
  if (typeof code !== 'number' || typeof message !== 'string') return undefined;
  return statusError(code, message, metadata instanceof Metadata ? metadata : undefined);
}

/**
 * The gRPC status for an error raised while handling a raw (pass-through) call, where Nest's
 * exception filters do not run. RpcErrors keep their code, message and reason trailers; a
 * shared-storage failure says what state the Packages folder is in (RESOURCE_EXHAUSTED when
 * full, UNAVAILABLE when read-only or failing); a lost database connection is UNAVAILABLE so
 * callers retry instead of reporting a failure; anything else is logged and reported as INTERNAL
 * without leaking details.
 */
export function toServiceError(error: unknown): ServerErrorResponse {
  if (error instanceof RpcException) {
    const answer = fromRpcException(error);
    if (answer) return answer;
  }
  const storage = storageFailureOf(error);
  if (storage) {
    logger.warn(`upload refused, shared storage ${storage.kind}: ${describe(error)}`);
    const mapped = fromRpcException(storageRpcError(storage, 'the package was not stored'));
    if (mapped) return mapped;
  }
  if (isDatabaseUnavailableError(error)) {
    logger.warn(`upload refused, database unavailable: ${describe(error)}`);
    return statusError(
      status.UNAVAILABLE,
      DATABASE_UNAVAILABLE_MESSAGE,
      failureReasonMetadata(FailureReason.DatabaseUnavailable),
    );
  }
  logger.error(`upload failed: ${describe(error)}`);
  return statusError(status.INTERNAL, 'The package could not be stored');
}

export function cancelledError(): ServerErrorResponse {
  return statusError(status.CANCELLED, 'Cancelled by the client');
}
