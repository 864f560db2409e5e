import { Logger } from '@nestjs/common';
import { ServerErrorResponse, status } from '@grpc/grpc-js';
import { RpcException } from '@nestjs/microservices';

const logger = new Logger('ArtifactService');

/**
 * The gRPC status for an error raised while handling a raw (pass-through) call, where Nest's
 * exception filters do not run: RpcErrors keep their code and message, anything else is
 * logged and reported as INTERNAL without leaking details.
 */
export function toServiceError(error: unknown): ServerErrorResponse {
  if (error instanceof RpcException) {
    const { code, message } = error.getError() as { code?: unknown; message?: unknown };
    if (typeof code === 'number' && typeof message === 'string') {
      return Object.assign(new Error(message), { code, details: message });
    }
  }
  logger.error(`upload failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  return Object.assign(new Error('The package could not be stored'), {
    code: status.INTERNAL,
    details: 'The package could not be stored',
  });
}

export function cancelledError(): ServerErrorResponse {
  return Object.assign(new Error('Cancelled by the client'), {
    code: status.CANCELLED,
    details: 'Cancelled by the client',
  });
}
