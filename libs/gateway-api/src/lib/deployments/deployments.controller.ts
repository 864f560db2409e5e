import { Body, Controller, Get, Param, Post, Query } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsOptional, IsString, Length, MaxLength } from 'class-validator';

import {
  CreateDeploymentRequest,
  Deployment,
  ItemList,
  ListDeploymentsQuery,
  Permission,
} from '@flotilla/api-interfaces';
import { identityToMetadata } from '@flotilla/platform/grpc';

import { BackendClients, unary } from '../grpc/backend-clients';
import { Caller } from '../security/caller.decorator';
import type { RequestCaller } from '../security/gateway-request';
import { RequirePermission } from '../security/route-access';

export class CreateDeploymentDto implements CreateDeploymentRequest {
  @ApiProperty()
  @IsString()
  @Length(1, 100)
  releaseId!: string;

  @ApiProperty()
  @IsString()
  @Length(1, 100)
  environmentId!: string;
}

export class ListDeploymentsQueryDto implements ListDeploymentsQuery {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(100)
  projectId?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(100)
  environmentId?: string;
}

@ApiTags('deployments')
@Controller('deployments')
export class DeploymentsController {
  constructor(private readonly backends: BackendClients) {}

  @Post()
  @RequirePermission(Permission.DeploymentCreate)
  create(@Body() body: CreateDeploymentDto, @Caller() caller: RequestCaller): Promise<Deployment> {
    return unary(this.backends.orchestrator.createDeployment(body, identityToMetadata(caller.identity)));
  }

  @Get()
  @RequirePermission(Permission.DeploymentView)
  async list(
    @Query() query: ListDeploymentsQueryDto,
    @Caller() caller: RequestCaller,
  ): Promise<ItemList<Deployment>> {
    const request = { projectId: query.projectId ?? '', environmentId: query.environmentId ?? '' };
    const reply = await unary(
      this.backends.orchestrator.listDeployments(request, identityToMetadata(caller.identity)),
    );
    return { items: reply.items };
  }

  @Get(':id')
  @RequirePermission(Permission.DeploymentView)
  get(@Param('id') id: string, @Caller() caller: RequestCaller): Promise<Deployment> {
    return unary(this.backends.orchestrator.getDeployment({ id }, identityToMetadata(caller.identity)));
  }
}
