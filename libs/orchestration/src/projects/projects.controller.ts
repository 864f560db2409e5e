import type { Metadata } from '@grpc/grpc-js';
import { Controller, Inject } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';

import type { orchestratorV1 } from '@flotilla/contracts';
import { identityFromMetadata } from '@flotilla/platform/grpc';

import { ORCHESTRATOR_SERVICE } from '../shared/orchestrator-service';
import { ProjectsService } from './projects.service';

type ProjectMethods = 'createProject' | 'getProject' | 'listProjects' | 'updateProject' | 'deleteProject';

@Controller()
export class ProjectsController
  implements Pick<orchestratorV1.OrchestratorServiceController, ProjectMethods>
{
  constructor(@Inject(ProjectsService) private readonly projects: ProjectsService) {}

  @GrpcMethod(ORCHESTRATOR_SERVICE, 'createProject')
  createProject(
    request: orchestratorV1.CreateProjectRequest,
    metadata: Metadata,
  ): Promise<orchestratorV1.Project> {
    return this.projects.create(identityFromMetadata(metadata), request);
  }

  @GrpcMethod(ORCHESTRATOR_SERVICE, 'getProject')
  getProject(request: orchestratorV1.IdRequest, metadata: Metadata): Promise<orchestratorV1.Project> {
    return this.projects.get(identityFromMetadata(metadata), request.id);
  }

  @GrpcMethod(ORCHESTRATOR_SERVICE, 'listProjects')
  listProjects(_request: orchestratorV1.Empty, metadata: Metadata): Promise<orchestratorV1.ProjectList> {
    return this.projects.list(identityFromMetadata(metadata));
  }

  @GrpcMethod(ORCHESTRATOR_SERVICE, 'updateProject')
  updateProject(
    request: orchestratorV1.UpdateProjectRequest,
    metadata: Metadata,
  ): Promise<orchestratorV1.Project> {
    return this.projects.update(identityFromMetadata(metadata), request);
  }

  @GrpcMethod(ORCHESTRATOR_SERVICE, 'deleteProject')
  async deleteProject(request: orchestratorV1.IdRequest, metadata: Metadata): Promise<orchestratorV1.Empty> {
    await this.projects.delete(identityFromMetadata(metadata), request.id);
    return {};
  }
}
