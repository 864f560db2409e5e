import { Permission } from '@flotilla/api-interfaces';

import { gatewayUser, onTheirOwn, PRODUCT_SERVICES, ServiceCallPolicies } from '../call-policy';

/**
 * OrchestratorService. User calls come through the gateway and need the same permission as the
 * REST route that makes them (libs/gateway-api controllers), checked again here so a call that
 * bypasses the gateway's guard gets nothing more. A policy checks the permission's name (held
 * somewhere); the orchestrator's services then check it against the resource's project and
 * environment (CallerScope in libs/orchestration: NOT_FOUND for what the caller may not see,
 * PERMISSION_DENIED for an action they may not take there). Nodes are cluster-wide. Task claims
 * and their progress come only from executors on their own account; heartbeats and node lookups
 * from every service of a node.
 * Draining, capping and removing a node need AdministerSystem, or the operator's certificate
 * (the cluster tool and the HA harness, holders of the cluster's PKI folder).
 */
export const ORCHESTRATOR_CALL_POLICIES: ServiceCallPolicies = {
  CreateProject: { callers: [gatewayUser(Permission.ProjectCreate)], why: 'POST /api/projects' },
  GetProject: { callers: [gatewayUser(Permission.ProjectView)], why: 'GET /api/projects/:id' },
  ListProjects: { callers: [gatewayUser(Permission.ProjectView)], why: 'GET /api/projects' },
  UpdateProject: { callers: [gatewayUser(Permission.ProjectEdit)], why: 'PUT /api/projects/:id' },
  DeleteProject: { callers: [gatewayUser(Permission.ProjectDelete)], why: 'DELETE /api/projects/:id' },

  CreateEnvironment: { callers: [gatewayUser(Permission.EnvironmentCreate)], why: 'POST /api/environments' },
  GetEnvironment: { callers: [gatewayUser(Permission.EnvironmentView)], why: 'GET /api/environments/:id' },
  ListEnvironments: { callers: [gatewayUser(Permission.EnvironmentView)], why: 'GET /api/environments' },
  DeleteEnvironment: {
    callers: [gatewayUser(Permission.EnvironmentDelete)],
    why: 'DELETE /api/environments/:id',
  },

  GetDeploymentProcess: {
    callers: [gatewayUser(Permission.ProjectView)],
    why: 'GET /api/projects/:id/deploymentprocess',
  },
  UpdateDeploymentProcess: {
    callers: [gatewayUser(Permission.ProcessEdit)],
    why: 'PUT /api/projects/:id/deploymentprocess',
  },

  GetVariables: { callers: [gatewayUser(Permission.VariableView)], why: 'GET /api/projects/:id/variables' },
  UpdateVariables: {
    callers: [gatewayUser(Permission.VariableEdit)],
    why: 'PUT /api/projects/:id/variables',
  },

  CreateRelease: { callers: [gatewayUser(Permission.ReleaseCreate)], why: 'POST /api/projects/:id/releases' },
  GetRelease: { callers: [gatewayUser(Permission.ReleaseView)], why: 'GET /api/releases/:id' },
  ListReleases: { callers: [gatewayUser(Permission.ReleaseView)], why: 'GET /api/projects/:id/releases' },

  CreateDeployment: { callers: [gatewayUser(Permission.DeploymentCreate)], why: 'POST /api/deployments' },
  GetDeployment: { callers: [gatewayUser(Permission.DeploymentView)], why: 'GET /api/deployments/:id' },
  ListDeployments: { callers: [gatewayUser(Permission.DeploymentView)], why: 'GET /api/deployments' },

  ListTasks: { callers: [gatewayUser(Permission.TaskView)], why: 'GET /api/tasks' },
  GetTask: {
    callers: [gatewayUser(Permission.TaskView), onTheirOwn('executor')],
    why: 'GET /api/tasks/:id; an executor checks whether its running task was cancelled',
  },
  CancelTask: { callers: [gatewayUser(Permission.TaskCancel)], why: 'POST /api/tasks/:id/cancel' },

  ClaimTask: { callers: [onTheirOwn('executor')], why: 'an executor picks up queued work' },
  ReportProgress: { callers: [onTheirOwn('executor')], why: 'the executor running a task reports a step' },
  CompleteTask: { callers: [onTheirOwn('executor')], why: 'the executor running a task ends it' },
  ReleaseTask: { callers: [onTheirOwn('executor')], why: 'a stopping executor hands its task back' },

  Heartbeat: { callers: [onTheirOwn(...PRODUCT_SERVICES)], why: 'every service reports its node alive' },
  GetNode: {
    callers: [onTheirOwn(...PRODUCT_SERVICES, 'operator'), gatewayUser(Permission.TaskView)],
    why: "a node's services read their node's state (draining, cap); GET /api/nodes/:name",
  },
  ListNodes: {
    callers: [gatewayUser(Permission.TaskView), onTheirOwn('operator')],
    why: 'GET /api/nodes; the cluster tool',
  },
  UpdateNode: {
    callers: [gatewayUser(Permission.AdministerSystem), onTheirOwn('operator')],
    why: 'PUT /api/nodes/:name (drain, task cap); the cluster tool and HA harness',
  },
  RemoveNode: {
    callers: [gatewayUser(Permission.AdministerSystem), onTheirOwn('operator')],
    why: 'DELETE /api/nodes/:name',
  },
};
