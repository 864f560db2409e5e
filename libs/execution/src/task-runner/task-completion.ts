import { status } from '@grpc/grpc-js';

import { rpcErrorDetails } from '@flotilla/platform/grpc';

/** Another node owns the task now: every write about it is refused. */
export function isStaleClaim(error: unknown): boolean {
  return rpcErrorDetails(error)?.code === status.FAILED_PRECONDITION;
}

/** Failures worth retrying: the orchestrator is restarting or unreachable for a moment. */
export function isTransient(error: unknown): boolean {
  const code = rpcErrorDetails(error)?.code;
  if (code === undefined) return error instanceof Error && error.name === 'TimeoutError';
  return (
    code === status.UNAVAILABLE || code === status.DEADLINE_EXCEEDED || code === status.RESOURCE_EXHAUSTED
  );
}

export function errorMessage(error: unknown): string {
  return rpcErrorDetails(error)?.message || (error instanceof Error ? error.message : String(error));
}
