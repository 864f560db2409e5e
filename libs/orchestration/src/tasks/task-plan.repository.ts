import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

import type { orchestratorV1 } from '@flotilla/contracts';
import { MasterKeyring } from '@flotilla/platform/secrets';

import { DeploymentEntity } from '../deployments/deployment.entity';
import { EnvironmentEntity } from '../environments/environment.entity';
import { ProjectEntity } from '../projects/project.entity';
import { ReleaseEntity } from '../releases/release.entity';
import { parseJson } from '../shared/json-column';
import { openSensitiveValues } from '../variables/sealed-variables';
import { ServerTaskEntity } from './server-task.entity';
import type { TaskPlanParts } from './task-plan.builder';
import { toServerTask } from './task.mapper';

/**
 * Reads what a claimed task's plan is built from, inside the claiming transaction. The release's
 * sensitive values are opened here, into the claim response of the executor that claimed the task
 * (and nowhere else): only the orchestrator holds the master key.
 */
@Injectable()
export class TaskPlanRepository {
  constructor(@Inject(MasterKeyring) private readonly keyring: MasterKeyring) {}

  async load(manager: EntityManager, task: ServerTaskEntity): Promise<TaskPlanParts> {
    const deployment = await manager.findOneByOrFail(DeploymentEntity, { id: task.deploymentId });
    const release = await manager.findOneByOrFail(ReleaseEntity, { id: deployment.releaseId });
    const project = await manager.findOneByOrFail(ProjectEntity, { id: task.projectId });
    const environment = await manager.findOneByOrFail(EnvironmentEntity, { id: task.environmentId });
    return {
      task: toServerTask(task),
      project: { name: project.name, slug: project.slug },
      environment: { id: environment.id, name: environment.name, slug: environment.slug },
      release: {
        version: release.version,
        steps: parseJson<orchestratorV1.DeploymentStep[]>(release.steps, 'release steps'),
        variables: openSensitiveValues(
          this.keyring,
          { release: release.id },
          parseJson<orchestratorV1.Variable[]>(release.variables, 'release variables'),
        ),
        packages: parseJson<orchestratorV1.ReleasePackage[]>(release.packages, 'release packages'),
      },
    };
  }
}
