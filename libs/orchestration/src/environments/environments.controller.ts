import type { Metadata } from '@grpc/grpc-js';
import { Controller, Inject } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';

import type { orchestratorV1 } from '@flotilla/contracts';
import { identityFromMetadata } from '@flotilla/platform/grpc';

import { ORCHESTRATOR_SERVICE } from '../shared/orchestrator-service';
import { EnvironmentsService } from './environments.service';

type EnvironmentMethods = 'createEnvironment' | 'getEnvironment' | 'listEnvironments' | 'deleteEnvironment';

@Controller()
export class EnvironmentsController
  implements Pick<orchestratorV1.OrchestratorServiceController, EnvironmentMethods>
{
  constructor(@Inject(EnvironmentsService) private readonly environments: EnvironmentsService) {}

  @GrpcMethod(ORCHESTRATOR_SERVICE, 'createEnvironment')
  createEnvironment(
    request: orchestratorV1.CreateEnvironmentRequest,
    metadata: Metadata,
  ): Promise<orchestratorV1.Environment> {
    return this.environments.create(identityFromMetadata(metadata), request);
  }

  @GrpcMethod(ORCHESTRATOR_SERVICE, 'getEnvironment')
  getEnvironment(request: orchestratorV1.IdRequest, metadata: Metadata): Promise<orchestratorV1.Environment> {
    return this.environments.get(identityFromMetadata(metadata), request.id);
  }

  @GrpcMethod(ORCHESTRATOR_SERVICE, 'listEnvironments')
  listEnvironments(
    _request: orchestratorV1.Empty,
    metadata: Metadata,
  ): Promise<orchestratorV1.EnvironmentList> {
    return this.environments.list(identityFromMetadata(metadata));
  }

  @GrpcMethod(ORCHESTRATOR_SERVICE, 'deleteEnvironment')
  async deleteEnvironment(
    request: orchestratorV1.IdRequest,
    metadata: Metadata,
  ): Promise<orchestratorV1.Empty> {
    await this.environments.delete(identityFromMetadata(metadata), request.id);
    return {};
  }
}
