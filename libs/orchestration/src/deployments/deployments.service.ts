import { randomUUID } from 'node:crypto';

import { Inject, Injectable } from '@nestjs/common';

import { Permission } from '@flotilla/api-interfaces';
import { AuditRecorder } from '@flotilla/audit/outbox';
import type { orchestratorV1 } from '@flotilla/contracts';
import { CallerIdentity, RpcErrors } from '@flotilla/platform/grpc';

import { EnvironmentsRepository } from '../environments/environments.repository';
import { ProjectsRepository } from '../projects/projects.repository';
import { ReleasesRepository } from '../releases/releases.repository';
import { CallerScope } from '../shared/caller-scope';
import { isForeignKeyViolation } from '../shared/constraint-violations';
import { requiredId } from '../shared/names';
import { Transactions } from '../shared/transactions';
import { TASK_SIGNALS, TaskSignals } from '../tasks/task-signals';
import { TasksRepository } from '../tasks/tasks.repository';
import { toDeployment } from './deployment.mapper';
import { DeploymentsRepository } from './deployments.repository';

export function concurrencyKeyOf(projectId: string, environmentId: string): string {
  return `${projectId}/${environmentId}`;
}

@Injectable()
export class DeploymentsService {
  constructor(
    @Inject(Transactions) private readonly transactions: Transactions,
    @Inject(ReleasesRepository) private readonly releases: ReleasesRepository,
    @Inject(ProjectsRepository) private readonly projects: ProjectsRepository,
    @Inject(EnvironmentsRepository) private readonly environments: EnvironmentsRepository,
    @Inject(DeploymentsRepository) private readonly deployments: DeploymentsRepository,
    @Inject(TasksRepository) private readonly tasks: TasksRepository,
    @Inject(TASK_SIGNALS) private readonly signals: TaskSignals,
    @Inject(AuditRecorder) private readonly audit: AuditRecorder,
  ) {}

  /** Queues a deployment: the deployment, its server task and the audit event commit together. */
  async create(
    actor: CallerIdentity,
    request: orchestratorV1.CreateDeploymentRequest,
  ): Promise<orchestratorV1.Deployment> {
    const releaseId = requiredId(request.releaseId, 'releaseId');
    const environmentId = requiredId(request.environmentId, 'environmentId');
    const scope = new CallerScope(actor);
    const releaseMissing = () => RpcErrors.notFound(`release ${releaseId} not found`);
    const environmentMissing = () => RpcErrors.notFound(`environment ${environmentId} not found`);
    const release = await this.releases.findById(releaseId);
    if (!release) throw releaseMissing();
    scope.requireVisible(Permission.ReleaseView, { projectId: release.projectId }, releaseMissing);
    const environment = await this.environments.findById(environmentId);
    if (!environment) throw environmentMissing();
    scope.requireVisible(Permission.EnvironmentView, { environmentId }, environmentMissing);
    const project = await this.projects.findById(release.projectId);
    if (!project) throw RpcErrors.notFound(`project ${release.projectId} not found`);
    // Both are visible here, so a refusal names them (PERMISSION_DENIED, not NOT_FOUND).
    scope.requireAllowed(
      Permission.DeploymentCreate,
      Permission.ReleaseView,
      { projectId: project.id, environmentId },
      `project "${project.name}" in environment "${environment.name}"`,
      releaseMissing,
    );
    const deploymentId = randomUUID();
    const taskId = randomUUID();
    let deployment;
    try {
      deployment = await this.transactions.run(async (manager) => {
        const created = await this.deployments.insert(manager, {
          id: deploymentId,
          projectId: project.id,
          releaseId,
          environmentId,
          taskId,
          createdBy: actor.username || actor.userId || 'anonymous',
        });
        await this.tasks.insertQueued(manager, {
          id: taskId,
          name: 'Deploy',
          description: `Deploy ${project.name} release ${release.version} to ${environment.name}`,
          deploymentId,
          projectId: project.id,
          environmentId,
          concurrencyKey: concurrencyKeyOf(project.id, environmentId),
        });
        await this.audit.record(manager, {
          actor,
          action: 'deployment.queued',
          resourceType: 'Deployment',
          resourceId: deploymentId,
          details: {
            projectId: project.id,
            releaseId,
            releaseVersion: release.version,
            environmentId,
            environmentName: environment.name,
            taskId,
          },
        });
        return created;
      });
    } catch (error) {
      // The environment was deleted between the check and the insert.
      if (isForeignKeyViolation(error))
        throw RpcErrors.notFound(`environment ${environmentId} or release ${releaseId} not found`);
      throw error;
    }
    this.signals.taskQueued(taskId);
    return toDeployment(deployment);
  }

  async get(caller: CallerIdentity, rawId: string): Promise<orchestratorV1.Deployment> {
    const id = requiredId(rawId, 'id');
    const missing = () => RpcErrors.notFound(`deployment ${id} not found`);
    const deployment = await this.deployments.findById(id);
    if (!deployment) throw missing();
    const { projectId, environmentId } = deployment;
    new CallerScope(caller).requireVisible(Permission.DeploymentView, { projectId, environmentId }, missing);
    return toDeployment(deployment);
  }

  async list(
    caller: CallerIdentity,
    request: orchestratorV1.ListDeploymentsRequest,
  ): Promise<orchestratorV1.DeploymentList> {
    const items = await this.deployments.list(
      {
        projectId: request.projectId?.trim(),
        environmentId: request.environmentId?.trim(),
      },
      new CallerScope(caller).filter(Permission.DeploymentView),
    );
    return { items: items.map(toDeployment) };
  }
}
