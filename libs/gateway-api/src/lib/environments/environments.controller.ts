import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Post } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsOptional, IsString, Length, MaxLength } from 'class-validator';

import { CreateEnvironmentRequest, Environment, ItemList, Permission } from '@flotilla/api-interfaces';
import { identityToMetadata } from '@flotilla/platform/grpc';

import { BackendClients, unary } from '../grpc/backend-clients';
import { Caller } from '../security/caller.decorator';
import type { RequestCaller } from '../security/gateway-request';
import { RequirePermission } from '../security/route-access';

export class CreateEnvironmentDto implements CreateEnvironmentRequest {
  @ApiProperty()
  @IsString()
  @Length(1, 200)
  name!: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(4000)
  description?: string;
}

@ApiTags('environments')
@Controller('environments')
export class EnvironmentsController {
  constructor(private readonly backends: BackendClients) {}

  @Get()
  @RequirePermission(Permission.EnvironmentView)
  async list(@Caller() caller: RequestCaller): Promise<ItemList<Environment>> {
    const reply = await unary(
      this.backends.orchestrator.listEnvironments({}, identityToMetadata(caller.identity)),
    );
    return { items: reply.items };
  }

  @Post()
  @RequirePermission(Permission.EnvironmentCreate)
  create(@Body() body: CreateEnvironmentDto, @Caller() caller: RequestCaller): Promise<Environment> {
    const request = { name: body.name, description: body.description ?? '' };
    return unary(this.backends.orchestrator.createEnvironment(request, identityToMetadata(caller.identity)));
  }

  @Get(':id')
  @RequirePermission(Permission.EnvironmentView)
  get(@Param('id') id: string, @Caller() caller: RequestCaller): Promise<Environment> {
    return unary(this.backends.orchestrator.getEnvironment({ id }, identityToMetadata(caller.identity)));
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @RequirePermission(Permission.EnvironmentDelete)
  async delete(@Param('id') id: string, @Caller() caller: RequestCaller): Promise<void> {
    await unary(this.backends.orchestrator.deleteEnvironment({ id }, identityToMetadata(caller.identity)));
  }
}
