import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Post, Put } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';

import { DeploymentProcess, ItemList, Permission, Project, VariableSet } from '@flotilla/api-interfaces';
import { identityToMetadata } from '@flotilla/platform/grpc';

import { BackendClients, unary } from '../grpc/backend-clients';
import { Caller } from '../security/caller.decorator';
import type { RequestCaller } from '../security/gateway-request';
import { RequirePermission } from '../security/route-access';
import { toDeploymentProcess } from './process-mapping';
import {
  CreateProjectDto,
  UpdateDeploymentProcessDto,
  UpdateProjectDto,
  UpdateVariablesDto,
} from './projects.dto';

@ApiTags('projects')
@Controller('projects')
export class ProjectsController {
  constructor(private readonly backends: BackendClients) {}

  @Get()
  @RequirePermission(Permission.ProjectView)
  async list(@Caller() caller: RequestCaller): Promise<ItemList<Project>> {
    const reply = await unary(
      this.backends.orchestrator.listProjects({}, identityToMetadata(caller.identity)),
    );
    return { items: reply.items };
  }

  @Post()
  @RequirePermission(Permission.ProjectCreate)
  create(@Body() body: CreateProjectDto, @Caller() caller: RequestCaller): Promise<Project> {
    const request = { name: body.name, description: body.description ?? '' };
    return unary(this.backends.orchestrator.createProject(request, identityToMetadata(caller.identity)));
  }

  @Get(':id')
  @RequirePermission(Permission.ProjectView)
  get(@Param('id') id: string, @Caller() caller: RequestCaller): Promise<Project> {
    return unary(this.backends.orchestrator.getProject({ id }, identityToMetadata(caller.identity)));
  }

  @Put(':id')
  @RequirePermission(Permission.ProjectEdit)
  update(
    @Param('id') id: string,
    @Body() body: UpdateProjectDto,
    @Caller() caller: RequestCaller,
  ): Promise<Project> {
    const request = { id, name: body.name, description: body.description ?? '' };
    return unary(this.backends.orchestrator.updateProject(request, identityToMetadata(caller.identity)));
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @RequirePermission(Permission.ProjectDelete)
  async delete(@Param('id') id: string, @Caller() caller: RequestCaller): Promise<void> {
    await unary(this.backends.orchestrator.deleteProject({ id }, identityToMetadata(caller.identity)));
  }

  @Get(':id/deploymentprocess')
  @RequirePermission(Permission.ProjectView)
  async getProcess(@Param('id') id: string, @Caller() caller: RequestCaller): Promise<DeploymentProcess> {
    const process = await unary(
      this.backends.orchestrator.getDeploymentProcess({ id }, identityToMetadata(caller.identity)),
    );
    return toDeploymentProcess(process);
  }

  @Put(':id/deploymentprocess')
  @RequirePermission(Permission.ProcessEdit)
  async updateProcess(
    @Param('id') id: string,
    @Body() body: UpdateDeploymentProcessDto,
    @Caller() caller: RequestCaller,
  ): Promise<DeploymentProcess> {
    const request = { projectId: id, steps: body.steps, retryable: body.retryable };
    const process = await unary(
      this.backends.orchestrator.updateDeploymentProcess(request, identityToMetadata(caller.identity)),
    );
    return toDeploymentProcess(process);
  }

  @Get(':id/variables')
  @RequirePermission(Permission.VariableView)
  getVariables(@Param('id') id: string, @Caller() caller: RequestCaller): Promise<VariableSet> {
    return unary(this.backends.orchestrator.getVariables({ id }, identityToMetadata(caller.identity)));
  }

  @Put(':id/variables')
  @RequirePermission(Permission.VariableEdit)
  updateVariables(
    @Param('id') id: string,
    @Body() body: UpdateVariablesDto,
    @Caller() caller: RequestCaller,
  ): Promise<VariableSet> {
    const request = { projectId: id, variables: body.variables };
    return unary(this.backends.orchestrator.updateVariables(request, identityToMetadata(caller.identity)));
  }
}
