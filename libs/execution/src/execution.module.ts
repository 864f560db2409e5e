import { Logger, Module } from '@nestjs/common';
import { ClientGrpc } from '@nestjs/microservices';

import { FLOTILLA_CONFIG, FlotillaConfig } from '@flotilla/platform/config';
import { GrpcClientsModule, grpcClientToken } from '@flotilla/platform/grpc';
import { SharedStorageLayout } from '@flotilla/platform/storage';

import { ClaimLoop } from './claim-loop/claim-loop';
import { Heartbeat } from './claim-loop/heartbeat';
import { TaskWakeups } from './claim-loop/task-wakeups';
import { GrpcPackageSource } from './collaborators/grpc-package-source';
import { GrpcTaskOrchestrator } from './collaborators/grpc-task-orchestrator';
import { PACKAGE_SOURCE, PackageSource } from './collaborators/package-source';
import { TASK_ORCHESTRATOR, TaskOrchestrator } from './collaborators/task-orchestrator';
import { ExecutionLifecycle } from './execution.lifecycle';
import { DeployPackageStep } from './package/deploy-package.step';
import { RunScriptStep } from './script/run-script.step';
import { TaskLogWriter } from './task-log/task-log-writer';
import { TaskLogController } from './task-log/task-log.controller';
import { TaskLogService } from './task-log/task-log.service';
import { TaskRunner } from './task-runner/task-runner';

/**
 * The deployment executor: claims tasks from the orchestrator up to the node's task cap, runs
 * their steps, writes task logs to shared storage and serves them (ExecutorService).
 */
@Module({
  imports: [GrpcClientsModule.register(['orchestrator', 'artifacts'])],
  controllers: [TaskLogController],
  providers: [
    {
      provide: TASK_ORCHESTRATOR,
      inject: [grpcClientToken('orchestrator')],
      useFactory: (client: ClientGrpc): TaskOrchestrator => new GrpcTaskOrchestrator(client),
    },
    {
      provide: PACKAGE_SOURCE,
      inject: [grpcClientToken('artifacts')],
      useFactory: (client: ClientGrpc): PackageSource => new GrpcPackageSource(client),
    },
    {
      provide: SharedStorageLayout,
      inject: [FLOTILLA_CONFIG],
      useFactory: (config: FlotillaConfig) => new SharedStorageLayout(config.sharedStorage),
    },
    {
      provide: TaskLogService,
      inject: [SharedStorageLayout, TASK_ORCHESTRATOR],
      useFactory: (layout: SharedStorageLayout, orchestrator: TaskOrchestrator) =>
        new TaskLogService(layout, orchestrator),
    },
    {
      provide: TaskRunner,
      inject: [FLOTILLA_CONFIG, SharedStorageLayout, TASK_ORCHESTRATOR, PACKAGE_SOURCE],
      useFactory: (
        config: FlotillaConfig,
        layout: SharedStorageLayout,
        orchestrator: TaskOrchestrator,
        source: PackageSource,
      ) =>
        new TaskRunner({
          orchestrator,
          steps: [new RunScriptStep(), new DeployPackageStep(source, { deployRoot: config.deployRoot })],
          openLog: (taskId, redact) => TaskLogWriter.open(layout.taskLogPath(taskId), { redact }),
          logger: new Logger('TaskRunner'),
        }),
    },
    {
      provide: ClaimLoop,
      inject: [FLOTILLA_CONFIG, TASK_ORCHESTRATOR, TaskRunner],
      useFactory: (config: FlotillaConfig, orchestrator: TaskOrchestrator, runner: TaskRunner) =>
        new ClaimLoop({
          nodeName: config.nodeName,
          taskCap: config.taskCap,
          pollIntervalMs: config.pollIntervalMs,
          orchestrator,
          runTask: (plan) => runner.run(plan),
          logger: new Logger('ClaimLoop'),
        }),
    },
    {
      provide: Heartbeat,
      inject: [FLOTILLA_CONFIG, TASK_ORCHESTRATOR],
      useFactory: (config: FlotillaConfig, orchestrator: TaskOrchestrator) =>
        new Heartbeat({
          nodeName: config.nodeName,
          version: config.version,
          intervalMs: config.heartbeatIntervalMs,
          orchestrator,
          logger: new Logger('Heartbeat'),
        }),
    },
    {
      provide: TaskWakeups,
      inject: [FLOTILLA_CONFIG, ClaimLoop],
      useFactory: (config: FlotillaConfig, claims: ClaimLoop) =>
        new TaskWakeups({
          redisUrl: config.redisUrl,
          onWake: () => claims.wake(),
          logger: new Logger('TaskWakeups'),
        }),
    },
    ExecutionLifecycle,
  ],
  exports: [TaskLogService, TaskRunner, ClaimLoop],
})
export class ExecutionModule {}
