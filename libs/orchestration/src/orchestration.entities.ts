import { auditOutboxEntity } from '@flotilla/audit/outbox';

import { ClusterNodeEntity } from './nodes/cluster-node.entity';
import { DeploymentEntity } from './deployments/deployment.entity';
import { EnvironmentEntity } from './environments/environment.entity';
import { DeploymentProcessEntity } from './processes/deployment-process.entity';
import { ProjectEntity } from './projects/project.entity';
import { ReleaseEntity } from './releases/release.entity';
import { ServerTaskEntity } from './tasks/server-task.entity';
import { TaskConcurrencyLockEntity } from './tasks/task-concurrency-lock.entity';
import { VariableSetEntity } from './variables/variable-set.entity';
import { ORCHESTRATOR_AUDIT_SOURCE } from './shared/orchestrator-service';

/** Every table the task orchestrator owns, for `DatabaseModule.register({ entities })`. */
export const OrchestrationEntities = [
  ProjectEntity,
  EnvironmentEntity,
  DeploymentProcessEntity,
  VariableSetEntity,
  ReleaseEntity,
  DeploymentEntity,
  ServerTaskEntity,
  TaskConcurrencyLockEntity,
  ClusterNodeEntity,
  auditOutboxEntity(ORCHESTRATOR_AUDIT_SOURCE),
];
