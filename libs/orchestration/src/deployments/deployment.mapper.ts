import type { orchestratorV1 } from '@flotilla/contracts';

import { isoOrEmpty } from '../shared/timestamps';
import { DeploymentEntity } from './deployment.entity';

export function toDeployment(entity: DeploymentEntity): orchestratorV1.Deployment {
  return {
    id: entity.id,
    projectId: entity.projectId,
    releaseId: entity.releaseId,
    environmentId: entity.environmentId,
    taskId: entity.taskId,
    createdAt: isoOrEmpty(entity.createdAt),
    createdBy: entity.createdBy,
  };
}
