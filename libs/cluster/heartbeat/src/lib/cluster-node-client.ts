import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { ClientGrpc } from '@nestjs/microservices';
import { lastValueFrom, Observable, timeout } from 'rxjs';

import { orchestratorV1, SERVICE_CONTRACTS } from '@flotilla/contracts';
import { grpcClientToken, identityToMetadata, systemIdentity } from '@flotilla/platform/grpc';

/** The two node-registry calls a node makes about itself. */
export interface ClusterNodeCalls {
  heartbeat(request: orchestratorV1.HeartbeatRequest): Promise<orchestratorV1.ClusterNode>;
  getNode(name: string): Promise<orchestratorV1.ClusterNode>;
}

/** A stopped (SIGSTOP) orchestrator behind HAProxy would otherwise hold a call for minutes. */
export const NODE_CALL_TIMEOUT_MS = 3000;

/** The orchestrator's node registry over gRPC, as the process's own system identity. */
@Injectable()
export class ClusterNodeClient implements ClusterNodeCalls, OnModuleInit {
  private orchestrator!: orchestratorV1.OrchestratorServiceClient;

  constructor(@Inject(grpcClientToken('orchestrator')) private readonly grpc: ClientGrpc) {}

  onModuleInit(): void {
    this.orchestrator = this.grpc.getService(SERVICE_CONTRACTS.orchestrator.serviceName);
  }

  heartbeat(request: orchestratorV1.HeartbeatRequest): Promise<orchestratorV1.ClusterNode> {
    return this.call(this.orchestrator.heartbeat(request, this.metadata(request.service)));
  }

  getNode(name: string): Promise<orchestratorV1.ClusterNode> {
    return this.call(this.orchestrator.getNode({ name }, this.metadata('node-status')));
  }

  private metadata(service: string) {
    return identityToMetadata(systemIdentity(service));
  }

  private call<T>(reply: Observable<T>): Promise<T> {
    return lastValueFrom(reply.pipe(timeout({ first: NODE_CALL_TIMEOUT_MS })));
  }
}
