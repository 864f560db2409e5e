import { Permission } from '@flotilla/api-interfaces';

import { gatewayUser, ServiceCallPolicies } from '../call-policy';

/**
 * ExecutorService: task logs, read by users through the gateway. The permission's name is checked
 * here; its scope (the task's project and environment, which the executor asks the orchestrator
 * for) by the executor's TaskLogService before a line is read. The gateway also asks the
 * orchestrator for the task as the user first (GetTask, scope-checked).
 */
export const EXECUTOR_CALL_POLICIES: ServiceCallPolicies = {
  ReadTaskLog: { callers: [gatewayUser(Permission.TaskView)], why: "a task's log page" },
  FollowTaskLog: { callers: [gatewayUser(Permission.TaskView)], why: "a task's live log" },
};
