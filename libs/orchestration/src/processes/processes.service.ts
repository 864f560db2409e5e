import { Inject, Injectable } from '@nestjs/common';

import { Permission } from '@flotilla/api-interfaces';
import { AuditRecorder } from '@flotilla/audit/outbox';
import type { orchestratorV1 } from '@flotilla/contracts';
import { CallerIdentity, RpcErrors } from '@flotilla/platform/grpc';
import { isUniqueViolation } from '@flotilla/platform/persistence';

import { projectAllowing } from '../projects/project-access';
import { ProjectsRepository } from '../projects/projects.repository';
import { requiredId } from '../shared/names';
import { Transactions } from '../shared/transactions';
import { validateSteps } from './process-validation';
import { ProcessesRepository } from './processes.repository';

const concurrentChange = () =>
  RpcErrors.aborted('the deployment process was changed concurrently; try again');

@Injectable()
export class ProcessesService {
  constructor(
    @Inject(Transactions) private readonly transactions: Transactions,
    @Inject(ProjectsRepository) private readonly projects: ProjectsRepository,
    @Inject(ProcessesRepository) private readonly processes: ProcessesRepository,
    @Inject(AuditRecorder) private readonly audit: AuditRecorder,
  ) {}

  async get(caller: CallerIdentity, rawProjectId: string): Promise<orchestratorV1.DeploymentProcess> {
    const projectId = requiredId(rawProjectId, 'id');
    await projectAllowing(this.projects, caller, Permission.ProjectView, projectId);
    return this.processes.find(projectId);
  }

  async update(
    actor: CallerIdentity,
    request: orchestratorV1.UpdateDeploymentProcessRequest,
  ): Promise<orchestratorV1.DeploymentProcess> {
    const projectId = requiredId(request.projectId, 'projectId');
    const steps = validateSteps(request.steps);
    try {
      return await this.transactions.run(async (manager) => {
        await projectAllowing(this.projects, actor, Permission.ProcessEdit, projectId, manager);
        const current = await this.processes.find(projectId, manager);
        const next = { projectId, version: current.version + 1, steps, retryable: request.retryable };
        if (!(await this.processes.save(manager, next))) throw concurrentChange();
        await this.audit.record(manager, {
          actor,
          action: 'process.modified',
          resourceType: 'Project',
          resourceId: projectId,
          details: {
            version: next.version,
            steps: steps.map((step) => ({ name: step.name, actionType: step.actionType })),
            retryable: next.retryable,
          },
        });
        return next;
      });
    } catch (error) {
      // Two first saves raced; the second one did not see the first.
      if (isUniqueViolation(error)) throw concurrentChange();
      throw error;
    }
  }
}
