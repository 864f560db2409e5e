import { status } from '@grpc/grpc-js';
import { RpcException } from '@nestjs/microservices';

/** gRPC errors with the status codes the gateway maps to HTTP in one place. */
function rpcError(code: status, message: string): RpcException {
  return new RpcException({ code, message });
}

export const RpcErrors = {
  invalidArgument: (message: string) => rpcError(status.INVALID_ARGUMENT, message),
  notFound: (message: string) => rpcError(status.NOT_FOUND, message),
  alreadyExists: (message: string) => rpcError(status.ALREADY_EXISTS, message),
  failedPrecondition: (message: string) => rpcError(status.FAILED_PRECONDITION, message),
  permissionDenied: (message: string) => rpcError(status.PERMISSION_DENIED, message),
  unauthenticated: (message: string) => rpcError(status.UNAUTHENTICATED, message),
  resourceExhausted: (message: string) => rpcError(status.RESOURCE_EXHAUSTED, message),
  aborted: (message: string) => rpcError(status.ABORTED, message),
};

/** The code and message of a gRPC error as seen by a client (grpc-js ServiceError or Nest's shape). */
export function rpcErrorDetails(error: unknown): { code: status; message: string } | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, details, message } = error as { code?: unknown; details?: unknown; message?: unknown };
  if (typeof code !== 'number') return undefined;
  const text = typeof details === 'string' && details ? details : typeof message === 'string' ? message : '';
  return { code: code as status, message: text };
}
