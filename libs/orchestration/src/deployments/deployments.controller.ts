import type { Metadata } from '@grpc/grpc-js';
import { Controller, Inject } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';

import type { orchestratorV1 } from '@flotilla/contracts';
import { identityFromMetadata } from '@flotilla/platform/grpc';

import { ORCHESTRATOR_SERVICE } from '../shared/orchestrator-service';
import { DeploymentsService } from './deployments.service';

type DeploymentMethods = 'createDeployment' | 'getDeployment' | 'listDeployments';

@Controller()
export class DeploymentsController
  implements Pick<orchestratorV1.OrchestratorServiceController, DeploymentMethods>
{
  constructor(@Inject(DeploymentsService) private readonly deployments: DeploymentsService) {}

  @GrpcMethod(ORCHESTRATOR_SERVICE, 'createDeployment')
  createDeployment(
    request: orchestratorV1.CreateDeploymentRequest,
    metadata: Metadata,
  ): Promise<orchestratorV1.Deployment> {
    return this.deployments.create(identityFromMetadata(metadata), request);
  }

  @GrpcMethod(ORCHESTRATOR_SERVICE, 'getDeployment')
  getDeployment(request: orchestratorV1.IdRequest, metadata: Metadata): Promise<orchestratorV1.Deployment> {
    return this.deployments.get(identityFromMetadata(metadata), request.id);
  }

  @GrpcMethod(ORCHESTRATOR_SERVICE, 'listDeployments')
  listDeployments(
    request: orchestratorV1.ListDeploymentsRequest,
    metadata: Metadata,
  ): Promise<orchestratorV1.DeploymentList> {
    return this.deployments.list(identityFromMetadata(metadata), request);
  }
}
