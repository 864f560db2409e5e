export interface Project {
  id: string;
  name: string;
  slug: string;
  description: string;
  /** ISO-8601 */
  createdAt: string;
  /** ISO-8601 */
  updatedAt: string;
}

export interface CreateProjectRequest {
  name: string;
  description?: string;
}

export interface UpdateProjectRequest {
  name: string;
  description?: string;
}

export const StepActionType = {
  RunScript: 'run-script',
  DeployPackage: 'deploy-package',
} as const;

export type StepActionType = (typeof StepActionType)[keyof typeof StepActionType];

export interface DeploymentStep {
  name: string;
  actionType: StepActionType;
  /** run-script: scriptBody, timeoutSeconds (default 3600). deploy-package: packageId. */
  properties: Record<string, string>;
}

export interface DeploymentProcess {
  projectId: string;
  version: number;
  steps: DeploymentStep[];
  /** Whether a task of this process may be resumed on another node after its node dies. */
  retryable: boolean;
}

export interface UpdateDeploymentProcessRequest {
  steps: DeploymentStep[];
  retryable: boolean;
}

export interface Variable {
  name: string;
  value: string;
  /** Empty: applies to every environment. */
  environmentIds: string[];
  isSensitive: boolean;
}

export interface VariableSet {
  projectId: string;
  version: number;
  variables: Variable[];
}

export interface UpdateVariablesRequest {
  variables: Variable[];
}
