import { identityToMetadata } from '@flotilla/platform/grpc';

import { BackendClients, unary } from '../grpc/backend-clients';
import type { RequestCaller } from '../security/gateway-request';

/**
 * A task's log lives with the executors, which know nothing of projects and environments: before
 * a log is read, streamed or a stream ticket minted, the orchestrator (which owns the task) is asked
 * for the task as the caller. Out of the caller's scope it answers NOT_FOUND (404 here), like a
 * task that does not exist, and the log is never opened.
 */
export async function requireVisibleTask(
  backends: BackendClients,
  caller: RequestCaller,
  taskId: string,
): Promise<void> {
  await unary(backends.orchestrator.getTask({ id: taskId }, identityToMetadata(caller.identity)));
}
