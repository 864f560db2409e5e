import {
  DynamicModule,
  Inject,
  Injectable,
  Logger,
  Module,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';

import { FLOTILLA_CONFIG, FlotillaConfig } from '@flotilla/platform/config';

import { ClusterNodeClient } from './cluster-node-client';
import { NodeHeartbeat } from './node-heartbeat';
import { NodeStatus } from './node-status';

const HEARTBEAT_SERVICE = Symbol('FLOTILLA_HEARTBEAT_SERVICE');

/** Starts the heartbeat once the process is up and stops it when Nest shuts down. */
@Injectable()
export class NodeHeartbeatLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly heartbeat: NodeHeartbeat;

  constructor(
    @Inject(HEARTBEAT_SERVICE) service: string,
    @Inject(FLOTILLA_CONFIG) config: FlotillaConfig,
    client: ClusterNodeClient,
    status: NodeStatus,
  ) {
    this.heartbeat = new NodeHeartbeat(
      {
        nodeName: config.nodeName,
        service,
        version: config.version,
        defaultTaskCap: config.taskCap,
        intervalMs: config.heartbeatIntervalMs,
      },
      client,
      status,
      new Logger(`heartbeat:${service}`),
    );
  }

  onApplicationBootstrap(): void {
    this.heartbeat.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.heartbeat.stop();
  }
}

/**
 * `NodeHeartbeatModule.register('auth')`: this process heartbeats its node to the orchestrator
 * (through HAProxy in a cluster) and exposes the latest answer as `NodeStatus`. Needs
 * FLOTILLA_CONFIG from a global config module.
 */
@Module({})
export class NodeHeartbeatModule {
  static register(service: string): DynamicModule {
    return {
      module: NodeHeartbeatModule,
      providers: [
        { provide: HEARTBEAT_SERVICE, useValue: service },
        { provide: NodeStatus, useFactory: (): NodeStatus => new NodeStatus() },
        ClusterNodeClient,
        NodeHeartbeatLifecycle,
      ],
      exports: [NodeStatus, ClusterNodeClient],
    };
  }
}
