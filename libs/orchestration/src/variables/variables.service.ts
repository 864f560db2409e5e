import { Inject, Injectable } from '@nestjs/common';

import { Permission } from '@flotilla/api-interfaces';
import { AuditRecorder } from '@flotilla/audit/outbox';
import type { orchestratorV1 } from '@flotilla/contracts';
import { CallerIdentity, RpcErrors } from '@flotilla/platform/grpc';
import { isUniqueViolation } from '@flotilla/platform/persistence';

import { EnvironmentsRepository } from '../environments/environments.repository';
import { ProjectsRepository } from '../projects/projects.repository';
import { requiredId } from '../shared/names';
import { Transactions } from '../shared/transactions';
import { maskSensitive, validateVariables } from './variable-rules';
import { mergeWithinScope, projectVariablesAllowing } from './variable-scope';
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

  async get(caller: CallerIdentity, rawProjectId: string): Promise<orchestratorV1.VariableSet> {
    const projectId = requiredId(rawProjectId, 'id');
    const { accessOf } = await projectVariablesAllowing(
      this.projects,
      caller,
      Permission.VariableView,
      projectId,
    );
    const set = await this.variables.find(projectId);
    // Only what the caller may see in its environments (variableAccess); the version is the set's.
    const visible = set.variables.filter((variable) => accessOf(variable).visible);
    return { ...set, variables: maskSensitive(visible) };
  }

  async update(
    actor: CallerIdentity,
    request: orchestratorV1.UpdateVariablesRequest,
  ): Promise<orchestratorV1.VariableSet> {
    const projectId = requiredId(request.projectId, 'projectId');
    // Before the environment ids are looked at: a caller who may not edit here learns nothing from them.
    await projectVariablesAllowing(this.projects, actor, Permission.VariableEdit, projectId);
    const incoming = validateVariables(request.variables);
    try {
      return await this.transactions.run(async (manager) => {
        const { accessOf } = await projectVariablesAllowing(
          this.projects,
          actor,
          Permission.VariableEdit,
          projectId,
          manager,
        );
        const current = await this.variables.findInClear(projectId, manager);
        // Refuses what the caller may not change, keeps what they cannot see (variable-scope.ts).
        const variables = mergeWithinScope(incoming, current.variables, accessOf);
        // After the scope check: an environment-restricted caller cannot probe other environments' ids.
        const unknown = await this.environments.unknownIds(
          [...new Set(incoming.flatMap((v) => v.environmentIds))],
          manager,
        );
        if (unknown.length > 0)
          throw RpcErrors.invalidArgument(`unknown environment id(s): ${unknown.join(', ')}`);
        const next = { projectId, version: current.version + 1, variables };
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
        // The caller's view of the new set, as get() would answer it.
        const visible = next.variables.filter((variable) => accessOf(variable).visible);
        return { ...next, variables: maskSensitive(visible) };
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw concurrentChange();
      throw error;
    }
  }
}
