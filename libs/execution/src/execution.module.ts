import { DynamicModule, Logger, Module } from '@nestjs/common';
import { ClientGrpc } from '@nestjs/microservices';

import { FLOTILLA_CONFIG, FlotillaConfig } from '@flotilla/platform/config';
import { GrpcClientsModule, grpcClientToken } from '@flotilla/platform/grpc';
import { SharedStorageLayout } from '@flotilla/platform/storage';

import { ClaimGate } from './claim-loop/claim-gate';
import { ClaimLoop } from './claim-loop/claim-loop';
import { Heartbeat } from './claim-loop/heartbeat';
import { TaskWakeups } from './claim-loop/task-wakeups';
import { GrpcPackageSource } from './collaborators/grpc-package-source';
import { GrpcTaskOrchestrator } from './collaborators/grpc-task-orchestrator';
import { PACKAGE_SOURCE, PackageSource } from './collaborators/package-source';
import { TASK_ORCHESTRATOR, TaskOrchestrator } from './collaborators/task-orchestrator';
import { DrainCoordinator } from './drain/drain-coordinator';
import { ExecutionLifecycle } from './execution.lifecycle';
import { DeployPackageStep } from './package/deploy-package.step';
import { RunScriptStep } from './script/run-script.step';
import {
  describeScriptFence,
  prepareScriptFence,
  ScriptFence,
  ScriptFenceSettings,
  scriptFenceSettingsFromEnv,
} from './script/script-fence';
import { TaskLogWriter } from './task-log/task-log-writer';
import { TaskLogController } from './task-log/task-log.controller';
import { TaskLogService } from './task-log/task-log.service';
import { TaskRunner } from './task-runner/task-runner';

const SCRIPT_FENCE_SETTINGS = Symbol('SCRIPT_FENCE_SETTINGS');
/** Who scripts run as (ScriptFence), resolved at start. */
export const SCRIPT_FENCE = Symbol('SCRIPT_FENCE');

/**
 * The deployment executor: claims tasks from the orchestrator while the node may (task cap,
 * drain, licence and liveness from its heartbeat replies), drains on shutdown, runs
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
    { provide: SCRIPT_FENCE_SETTINGS, useFactory: () => scriptFenceSettingsFromEnv() },
    {
      // Resolved (the script user created if need be) before the node claims anything, and said at start.
      provide: SCRIPT_FENCE,
      inject: [FLOTILLA_CONFIG, SCRIPT_FENCE_SETTINGS],
      useFactory: async (config: FlotillaConfig, settings: ScriptFenceSettings): Promise<ScriptFence> => {
        const fence = await prepareScriptFence(settings, {
          deployRoot: config.deployRoot,
          sharedStorage: config.sharedStorage,
        });
        const logger = new Logger('ScriptFence');
        for (const note of fence.notes) logger.log(note);
        if (fence.state === 'fenced') logger.log(describeScriptFence(fence));
        else logger.warn(describeScriptFence(fence));
        return fence;
      },
    },
    {
      provide: ClaimGate,
      inject: [FLOTILLA_CONFIG],
      useFactory: (config: FlotillaConfig) =>
        new ClaimGate({ heartbeatTimeoutMs: config.heartbeatTimeoutMs, logger: new Logger('ClaimGate') }),
    },
    {
      provide: TaskRunner,
      inject: [
        FLOTILLA_CONFIG,
        SharedStorageLayout,
        TASK_ORCHESTRATOR,
        PACKAGE_SOURCE,
        ClaimGate,
        SCRIPT_FENCE,
        SCRIPT_FENCE_SETTINGS,
      ],
      useFactory: (
        config: FlotillaConfig,
        layout: SharedStorageLayout,
        orchestrator: TaskOrchestrator,
        source: PackageSource,
        gate: ClaimGate,
        fence: ScriptFence,
        fenceSettings: ScriptFenceSettings,
      ) => {
        return new TaskRunner({
          orchestrator,
          outputLimits: fenceSettings.outputLimits,
          steps: [
            new RunScriptStep({ fence, passEnvironment: fenceSettings.passEnvironment }),
            new DeployPackageStep(source, { deployRoot: config.deployRoot, limits: config }),
          ],
          openLog: (taskId, redact, mayWrite) =>
            TaskLogWriter.open(layout.taskLogPath(taskId), {
              redact,
              mayWrite,
              retryMs: config.taskLogRetryMs,
            }),
          logger: new Logger('TaskRunner'),
          // After a pause longer than this another node may own the task: confirm before writing.
          claimLeaseMs: config.heartbeatTimeoutMs,
          progressIntervalMs: config.taskProgressIntervalMs,
          nodeIsAlive: () => gate.isAlive(),
        });
      },
    },
    {
      provide: ClaimLoop,
      inject: [FLOTILLA_CONFIG, TASK_ORCHESTRATOR, TaskRunner, ClaimGate],
      useFactory: (
        config: FlotillaConfig,
        orchestrator: TaskOrchestrator,
        runner: TaskRunner,
        gate: ClaimGate,
      ) =>
        new ClaimLoop({
          nodeName: config.nodeName,
          gate,
          pollIntervalMs: config.pollIntervalMs,
          orchestrator,
          runTask: (plan) => runner.run(plan),
          logger: new Logger('ClaimLoop'),
        }),
    },
    {
      provide: Heartbeat,
      inject: [FLOTILLA_CONFIG, TASK_ORCHESTRATOR, ClaimGate, ClaimLoop],
      useFactory: (
        config: FlotillaConfig,
        orchestrator: TaskOrchestrator,
        gate: ClaimGate,
        claims: ClaimLoop,
      ) =>
        new Heartbeat({
          nodeName: config.nodeName,
          version: config.version,
          defaultTaskCap: config.taskCap,
          intervalMs: config.heartbeatIntervalMs,
          orchestrator,
          onReply: (node, sentAt) => {
            gate.heartbeatSucceeded(node, sentAt);
            // The cap may have grown or the drain ended: claim now, not at the next poll.
            claims.wake();
          },
          isStopping: () => gate.isStopping(),
          logger: new Logger('Heartbeat'),
        }),
    },
    {
      provide: TaskWakeups,
      inject: [FLOTILLA_CONFIG, ClaimLoop, TaskRunner],
      useFactory: (config: FlotillaConfig, claims: ClaimLoop, runner: TaskRunner) =>
        new TaskWakeups({
          redisUrl: config.redisUrl,
          onWake: () => claims.wake(),
          onCancelSignal: (taskId) => runner.reportProgressNow(taskId),
          logger: new Logger('TaskWakeups'),
        }),
    },
    {
      provide: DrainCoordinator,
      inject: [FLOTILLA_CONFIG, TASK_ORCHESTRATOR, ClaimGate, ClaimLoop, TaskRunner, Heartbeat],
      useFactory: (
        config: FlotillaConfig,
        orchestrator: TaskOrchestrator,
        gate: ClaimGate,
        claims: ClaimLoop,
        runner: TaskRunner,
        heartbeat: Heartbeat,
      ) =>
        new DrainCoordinator({
          nodeName: config.nodeName,
          drainTimeoutMs: config.drainTimeoutMs,
          stopClaiming: () => {
            gate.stopClaiming();
            // Tell the cluster now, not at the next beat: the node shows as Draining (stopping).
            void heartbeat.beat();
            return claims.stop();
          },
          tasks: runner,
          orchestrator,
          logger: new Logger('Drain'),
        }),
    },
    ExecutionLifecycle,
  ],
  exports: [TaskLogService, TaskRunner, ClaimLoop, ClaimGate],
})
export class ExecutionModule {
  /**
   * TEST ONLY seam for the entry points in ./test-support: this module with its orchestrator
   * collaborator wrapped (a dynamic module's provider replaces the decorator's one of the same
   * token), e.g. to hold CompleteTask open while a fault test kills the node. Production imports
   * ExecutionModule itself.
   */
  static wrappingOrchestrator(wrap: (orchestrator: TaskOrchestrator) => TaskOrchestrator): DynamicModule {
    return {
      module: ExecutionModule,
      providers: [
        {
          provide: TASK_ORCHESTRATOR,
          inject: [grpcClientToken('orchestrator')],
          useFactory: (client: ClientGrpc): TaskOrchestrator => wrap(new GrpcTaskOrchestrator(client)),
        },
      ],
    };
  }
}
