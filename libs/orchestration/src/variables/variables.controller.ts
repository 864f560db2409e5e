import type { Metadata } from '@grpc/grpc-js';
import { Controller, Inject } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';

import type { orchestratorV1 } from '@flotilla/contracts';
import { identityFromMetadata } from '@flotilla/platform/grpc';

import { ORCHESTRATOR_SERVICE } from '../shared/orchestrator-service';
import { VariablesService } from './variables.service';

@Controller()
export class VariablesController
  implements Pick<orchestratorV1.OrchestratorServiceController, 'getVariables' | 'updateVariables'>
{
  constructor(@Inject(VariablesService) private readonly variables: VariablesService) {}

  @GrpcMethod(ORCHESTRATOR_SERVICE, 'getVariables')
  getVariables(request: orchestratorV1.IdRequest, metadata: Metadata): Promise<orchestratorV1.VariableSet> {
    return this.variables.get(identityFromMetadata(metadata), request.id);
  }

  @GrpcMethod(ORCHESTRATOR_SERVICE, 'updateVariables')
  updateVariables(
    request: orchestratorV1.UpdateVariablesRequest,
    metadata: Metadata,
  ): Promise<orchestratorV1.VariableSet> {
    return this.variables.update(identityFromMetadata(metadata), request);
  }
}
