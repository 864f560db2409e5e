import { Controller, Inject } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';

import type { orchestratorV1 } from '@flotilla/contracts';

import { ORCHESTRATOR_SERVICE } from '../shared/orchestrator-service';
import { NodesService } from './nodes.service';

@Controller()
export class NodesController
  implements Pick<orchestratorV1.OrchestratorServiceController, 'heartbeat' | 'listNodes'>
{
  constructor(@Inject(NodesService) private readonly nodes: NodesService) {}

  @GrpcMethod(ORCHESTRATOR_SERVICE, 'heartbeat')
  heartbeat(request: orchestratorV1.HeartbeatRequest): Promise<orchestratorV1.ClusterNode> {
    return this.nodes.heartbeat(request);
  }

  @GrpcMethod(ORCHESTRATOR_SERVICE, 'listNodes')
  listNodes(): Promise<orchestratorV1.NodeList> {
    return this.nodes.list();
  }
}
