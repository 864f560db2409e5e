import { status } from '@grpc/grpc-js';

import { rpcErrorDetails } from '@flotilla/platform/grpc';

/** Codes with which the orchestrator judged the request itself: sending it again cannot help. */
const REFUSALS: ReadonlySet<status> = new Set([
  status.INVALID_ARGUMENT,
  status.NOT_FOUND,
  status.PERMISSION_DENIED,
  status.UNAUTHENTICATED,
]);

/**
 * What a failed call about a claimed task means:
 * - `stale`: another node owns the task (FAILED_PRECONDITION); stop touching it.
 * - `refused`: the orchestrator refused the request itself (bad argument, unknown task, not
 *   allowed); a bug or a misconfiguration, never an outage, so retrying would only hide it.
 * - `retryable`: anything else. The orchestrator may be restarting, unreachable, or waiting for its
 *   database (UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, but also UNKNOWN or INTERNAL
 *   from an orchestrator that does not yet map a database outage, and client-side timeouts);
 *   dropping a report for any of these loses work that already happened.
 */
export type RpcFailure = 'stale' | 'refused' | 'retryable';

export function classifyRpcFailure(error: unknown): RpcFailure {
  const code = rpcErrorDetails(error)?.code;
  if (code === status.FAILED_PRECONDITION) return 'stale';
  if (code !== undefined && REFUSALS.has(code)) return 'refused';
  return 'retryable';
}

export function errorMessage(error: unknown): string {
  return rpcErrorDetails(error)?.message || (error instanceof Error ? error.message : String(error));
}
