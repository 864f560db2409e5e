import { status } from '@grpc/grpc-js';
import { RpcException } from '@nestjs/microservices';

import { FailureReason, rpcErrorWithReason } from '@flotilla/platform/grpc';
import { StorageFailure } from '@flotilla/platform/storage';

/**
 * The gRPC error for a shared-storage failure of the Packages folder, worded for the user who
 * made the request: what state the folder is in, what it meant for their request
 * (`consequence`, e.g. "the package was not stored") and what can be done. No path, no stack:
 * those go to the service log. A full folder is RESOURCE_EXHAUSTED (HTTP 507 at the gateway);
 * the others are UNAVAILABLE (503): nothing the caller changes in the request will help.
 */
export function storageRpcError(failure: StorageFailure, consequence: string): RpcException {
  switch (failure.kind) {
    case 'full':
      return rpcErrorWithReason(
        status.RESOURCE_EXHAUSTED,
        `Shared storage is full (Packages folder: ${failure.description}); ${consequence}. ` +
          'Free space or ask your administrator.',
        FailureReason.StorageFull,
      );
    case 'read-only':
      return rpcErrorWithReason(
        status.UNAVAILABLE,
        `Shared storage is read-only (Packages folder); ${consequence}. ` +
          'Ask your administrator to make it writable again.',
        FailureReason.StorageReadOnly,
      );
    case 'not-writable':
      return rpcErrorWithReason(
        status.UNAVAILABLE,
        `Shared storage is not writable (Packages folder: ${failure.description}); ${consequence}. ` +
          "Ask your administrator to check the folder's permissions.",
        FailureReason.StorageUnavailable,
      );
    case 'io-error':
      return rpcErrorWithReason(
        status.UNAVAILABLE,
        `Shared storage failed (Packages folder: ${failure.description}); ${consequence}. ` +
          'Try again later or ask your administrator.',
        FailureReason.StorageUnavailable,
      );
  }
}
