import type { Metadata } from '@grpc/grpc-js';
import { Controller, Inject } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';

import type { orchestratorV1 } from '@flotilla/contracts';
import { identityFromMetadata } from '@flotilla/platform/grpc';

import { ORCHESTRATOR_SERVICE } from '../shared/orchestrator-service';
import { NodesService } from './nodes.service';

type NodeMethods = 'heartbeat' | 'listNodes' | 'getNode' | 'updateNode' | 'removeNode';

@Controller()
export class NodesController implements Pick<orchestratorV1.OrchestratorServiceController, NodeMethods> {
  constructor(@Inject(NodesService) private readonly nodes: NodesService) {}

  @GrpcMethod(ORCHESTRATOR_SERVICE, 'heartbeat')
  heartbeat(request: orchestratorV1.HeartbeatRequest): Promise<orchestratorV1.ClusterNode> {
    return this.nodes.heartbeat(request);
  }

  @GrpcMethod(ORCHESTRATOR_SERVICE, 'listNodes')
  listNodes(): Promise<orchestratorV1.NodeList> {
    return this.nodes.list();
  }

  @GrpcMethod(ORCHESTRATOR_SERVICE, 'getNode')
  getNode(request: orchestratorV1.NodeNameRequest): Promise<orchestratorV1.ClusterNode> {
    return this.nodes.get(request);
  }

  @GrpcMethod(ORCHESTRATOR_SERVICE, 'updateNode')
  updateNode(
    request: orchestratorV1.UpdateNodeRequest,
    metadata: Metadata,
  ): Promise<orchestratorV1.ClusterNode> {
    return this.nodes.update(identityFromMetadata(metadata), request);
  }

  @GrpcMethod(ORCHESTRATOR_SERVICE, 'removeNode')
  removeNode(request: orchestratorV1.NodeNameRequest, metadata: Metadata): Promise<orchestratorV1.Empty> {
    return this.nodes.remove(identityFromMetadata(metadata), request);
  }
}
