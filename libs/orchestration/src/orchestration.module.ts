import { DynamicModule, Module } from '@nestjs/common';

import { AuditOutboxModule } from '@flotilla/audit/outbox';
import { FLOTILLA_CONFIG, FlotillaConfig } from '@flotilla/platform/config';
import { GrpcClientsModule } from '@flotilla/platform/grpc';

import { DeploymentsController } from './deployments/deployments.controller';
import { DeploymentsRepository } from './deployments/deployments.repository';
import { DeploymentsService } from './deployments/deployments.service';
import { EnvironmentsController } from './environments/environments.controller';
import { EnvironmentsRepository } from './environments/environments.repository';
import { EnvironmentsService } from './environments/environments.service';
import { nodeLicenceProvider } from './nodes/node-licence.provider';
import { NodesController } from './nodes/nodes.controller';
import { NodesRepository } from './nodes/nodes.repository';
import { NodesService } from './nodes/nodes.service';
import { OwnNodeHeartbeat } from './nodes/own-node-heartbeat';
import { ProcessesController } from './processes/processes.controller';
import { ProcessesRepository } from './processes/processes.repository';
import { ProcessesService } from './processes/processes.service';
import { ProjectsController } from './projects/projects.controller';
import { ProjectsRepository } from './projects/projects.repository';
import { ProjectsService } from './projects/projects.service';
import { ArtifactStorePackageCatalog, PACKAGE_CATALOG } from './releases/package-catalog';
import { DatabaseReachability } from './recovery/database-reachability';
import { DeadNodeRecoveryLoop } from './recovery/dead-node-recovery.loop';
import { DeadNodeRecoveryRepository } from './recovery/dead-node-recovery.repository';
import { DeadNodeRecoveryService } from './recovery/dead-node-recovery.service';
import { RecoveryTaskLog } from './recovery/recovery-task-log';
import { ReleasesController } from './releases/releases.controller';
import { ReleasesRepository } from './releases/releases.repository';
import { ReleasesService } from './releases/releases.service';
import { ORCHESTRATOR_AUDIT_SOURCE } from './shared/orchestrator-service';
import { Transactions } from './shared/transactions';
import { ClaimedTasksService } from './tasks/claimed-tasks.service';
import { TaskPlanRepository } from './tasks/task-plan.repository';
import { NoTaskSignals, RedisTaskSignals, TASK_SIGNALS, TaskSignals } from './tasks/task-signals';
import { TasksController } from './tasks/tasks.controller';
import { TasksRepository } from './tasks/tasks.repository';
import { TasksService } from './tasks/tasks.service';
import { masterKeyringProvider } from './variables/master-keyring.provider';
import { VariablesController } from './variables/variables.controller';
import { VariablesRepository } from './variables/variables.repository';
import { VariablesService } from './variables/variables.service';

/**
 * The task orchestrator: projects, environments, processes, variables, releases, deployments, the
 * server-task queue, the node registry (heartbeats, drain, task caps, the licence's node limit) and
 * recovery of tasks from dead nodes, served as flotilla.orchestrator.v1.OrchestratorService.
 * Needs FlotillaConfigModule and DatabaseModule (with OrchestrationEntities) in the importing app.
 */
@Module({
  imports: [AuditOutboxModule.register(ORCHESTRATOR_AUDIT_SOURCE), GrpcClientsModule.register(['artifacts'])],
  controllers: [
    ProjectsController,
    EnvironmentsController,
    ProcessesController,
    VariablesController,
    ReleasesController,
    DeploymentsController,
    TasksController,
    NodesController,
  ],
  providers: [
    Transactions,
    masterKeyringProvider,
    ProjectsRepository,
    ProjectsService,
    EnvironmentsRepository,
    EnvironmentsService,
    ProcessesRepository,
    ProcessesService,
    VariablesRepository,
    VariablesService,
    ReleasesRepository,
    ReleasesService,
    { provide: PACKAGE_CATALOG, useClass: ArtifactStorePackageCatalog },
    DeploymentsRepository,
    DeploymentsService,
    TasksRepository,
    TaskPlanRepository,
    TasksService,
    ClaimedTasksService,
    NodesRepository,
    NodesService,
    OwnNodeHeartbeat,
    nodeLicenceProvider(),
    DeadNodeRecoveryRepository,
    DeadNodeRecoveryService,
    DeadNodeRecoveryLoop,
    RecoveryTaskLog,
    {
      provide: DatabaseReachability,
      inject: [FLOTILLA_CONFIG],
      useFactory: (config: FlotillaConfig) => new DatabaseReachability(config.heartbeatTimeoutMs),
    },
    {
      provide: TASK_SIGNALS,
      inject: [FLOTILLA_CONFIG],
      // Redis is optional: without it executors find work by polling.
      useFactory: (config: FlotillaConfig): TaskSignals =>
        config.redisUrl ? new RedisTaskSignals(config.redisUrl) : new NoTaskSignals(),
    },
  ],
})
export class OrchestrationModule {
  /**
   * TEST ONLY: the same module trusting another licence key, for test clusters whose licences are
   * signed with a key made at test time. Production imports the plain module (the build's key).
   */
  static trustingLicenceKey(publicKeyPem: string): DynamicModule {
    return { module: OrchestrationModule, providers: [nodeLicenceProvider(publicKeyPem)] };
  }
}
