export interface Deployment {
  id: string;
  projectId: string;
  releaseId: string;
  environmentId: string;
  /** The server task that runs this deployment: GET /api/tasks/:taskId. */
  taskId: string;
  /** ISO-8601 */
  createdAt: string;
  createdBy: string;
}

export interface CreateDeploymentRequest {
  releaseId: string;
  environmentId: string;
}

export interface ListDeploymentsQuery {
  projectId?: string;
  environmentId?: string;
}
