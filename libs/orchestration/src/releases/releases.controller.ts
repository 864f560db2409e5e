import type { Metadata } from '@grpc/grpc-js';
import { Controller, Inject } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';

import type { orchestratorV1 } from '@flotilla/contracts';
import { identityFromMetadata } from '@flotilla/platform/grpc';

import { ORCHESTRATOR_SERVICE } from '../shared/orchestrator-service';
import { ReleasesService } from './releases.service';

type ReleaseMethods = 'createRelease' | 'getRelease' | 'listReleases';

@Controller()
export class ReleasesController
  implements Pick<orchestratorV1.OrchestratorServiceController, ReleaseMethods>
{
  constructor(@Inject(ReleasesService) private readonly releases: ReleasesService) {}

  @GrpcMethod(ORCHESTRATOR_SERVICE, 'createRelease')
  createRelease(
    request: orchestratorV1.CreateReleaseRequest,
    metadata: Metadata,
  ): Promise<orchestratorV1.Release> {
    return this.releases.create(identityFromMetadata(metadata), request);
  }

  @GrpcMethod(ORCHESTRATOR_SERVICE, 'getRelease')
  getRelease(request: orchestratorV1.IdRequest, metadata: Metadata): Promise<orchestratorV1.Release> {
    return this.releases.get(identityFromMetadata(metadata), request.id);
  }

  /** The id is the project's. */
  @GrpcMethod(ORCHESTRATOR_SERVICE, 'listReleases')
  listReleases(request: orchestratorV1.IdRequest, metadata: Metadata): Promise<orchestratorV1.ReleaseList> {
    return this.releases.listForProject(identityFromMetadata(metadata), request.id);
  }
}
