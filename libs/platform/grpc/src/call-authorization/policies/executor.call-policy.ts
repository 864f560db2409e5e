import { Permission } from '@flotilla/api-interfaces';

import { gatewayUser, ServiceCallPolicies } from '../call-policy';

/** ExecutorService: task logs, read by users through the gateway. */
export const EXECUTOR_CALL_POLICIES: ServiceCallPolicies = {
  ReadTaskLog: { callers: [gatewayUser(Permission.TaskView)], why: "a task's log page" },
  FollowTaskLog: { callers: [gatewayUser(Permission.TaskView)], why: "a task's live log" },
};
