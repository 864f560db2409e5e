import type { Metadata } from '@grpc/grpc-js';
import { Controller, Inject } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';

import type { orchestratorV1 } from '@flotilla/contracts';
import { identityFromMetadata } from '@flotilla/platform/grpc';

import { ORCHESTRATOR_SERVICE } from '../shared/orchestrator-service';
import { ProcessesService } from './processes.service';

type ProcessMethods = 'getDeploymentProcess' | 'updateDeploymentProcess';

@Controller()
export class ProcessesController
  implements Pick<orchestratorV1.OrchestratorServiceController, ProcessMethods>
{
  constructor(@Inject(ProcessesService) private readonly processes: ProcessesService) {}

  @GrpcMethod(ORCHESTRATOR_SERVICE, 'getDeploymentProcess')
  getDeploymentProcess(
    request: orchestratorV1.IdRequest,
    metadata: Metadata,
  ): Promise<orchestratorV1.DeploymentProcess> {
    return this.processes.get(identityFromMetadata(metadata), request.id);
  }

  @GrpcMethod(ORCHESTRATOR_SERVICE, 'updateDeploymentProcess')
  updateDeploymentProcess(
    request: orchestratorV1.UpdateDeploymentProcessRequest,
    metadata: Metadata,
  ): Promise<orchestratorV1.DeploymentProcess> {
    return this.processes.update(identityFromMetadata(metadata), request);
  }
}
