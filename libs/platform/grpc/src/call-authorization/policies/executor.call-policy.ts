import { Permission } from '@flotilla/api-interfaces';

import { gatewayUser, ServiceCallPolicies } from '../call-policy';

/**
 * ExecutorService: task logs, read by users through the gateway. The executors know no project or
 * environment: the gateway asks the orchestrator for the task as the user (GetTask, scope-checked)
 * before it reads or follows a log, so out of the user's scope the log is never asked for.
 */
export const EXECUTOR_CALL_POLICIES: ServiceCallPolicies = {
  ReadTaskLog: { callers: [gatewayUser(Permission.TaskView)], why: "a task's log page" },
  FollowTaskLog: { callers: [gatewayUser(Permission.TaskView)], why: "a task's live log" },
};
