import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

import { AuditRecorder } from '@flotilla/audit/outbox';
import type { orchestratorV1 } from '@flotilla/contracts';
import { CallerIdentity, RpcErrors } from '@flotilla/platform/grpc';
import { isUniqueViolation } from '@flotilla/platform/persistence';

import { EnvironmentsRepository } from '../environments/environments.repository';
import { ProjectsRepository } from '../projects/projects.repository';
import { requiredId } from '../shared/names';
import { Transactions } from '../shared/transactions';
import { keepSensitiveValues, maskSensitive, validateVariables } from './variable-rules';
import { VariablesRepository } from './variables.repository';

const concurrentChange = () => RpcErrors.aborted('the variables were changed concurrently; try again');

@Injectable()
export class VariablesService {
  constructor(
    @Inject(Transactions) private readonly transactions: Transactions,
    @Inject(ProjectsRepository) private readonly projects: ProjectsRepository,
    @Inject(EnvironmentsRepository) private readonly environments: EnvironmentsRepository,
    @Inject(VariablesRepository) private readonly variables: VariablesRepository,
    @Inject(AuditRecorder) private readonly audit: AuditRecorder,
  ) {}

  async get(rawProjectId: string): Promise<orchestratorV1.VariableSet> {
    const projectId = requiredId(rawProjectId, 'id');
    await this.requireProject(projectId);
    const set = await this.variables.find(projectId);
    return { ...set, variables: maskSensitive(set.variables) };
  }

  async update(
    actor: CallerIdentity,
    request: orchestratorV1.UpdateVariablesRequest,
  ): Promise<orchestratorV1.VariableSet> {
    const projectId = requiredId(request.projectId, 'projectId');
    const incoming = validateVariables(request.variables);
    const unknown = await this.environments.unknownIds([
      ...new Set(incoming.flatMap((v) => v.environmentIds)),
    ]);
    if (unknown.length > 0)
      throw RpcErrors.invalidArgument(`unknown environment id(s): ${unknown.join(', ')}`);
    try {
      const saved = await this.transactions.run(async (manager) => {
        await this.requireProject(projectId, manager);
        const current = await this.variables.findInClear(projectId, manager);
        const next = {
          projectId,
          version: current.version + 1,
          variables: keepSensitiveValues(incoming, current.variables),
        };
        if (!(await this.variables.save(manager, next))) throw concurrentChange();
        await this.audit.record(manager, {
          actor,
          action: 'variables.modified',
          resourceType: 'Project',
          resourceId: projectId,
          // Names and scopes only: values (sensitive or not) stay out of the audit trail.
          details: {
            version: next.version,
            variables: next.variables.map((v) => ({
              name: v.name,
              environmentIds: v.environmentIds,
              isSensitive: v.isSensitive,
            })),
          },
        });
        return next;
      });
      return { ...saved, variables: maskSensitive(saved.variables) };
    } catch (error) {
      if (isUniqueViolation(error)) throw concurrentChange();
      throw error;
    }
  }

  private async requireProject(projectId: string, manager?: EntityManager): Promise<void> {
    if (!(await this.projects.findById(projectId, manager)))
      throw RpcErrors.notFound(`project ${projectId} not found`);
  }
}
