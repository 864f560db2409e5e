import { Body, Controller, Get, Param, Post } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsOptional,
  IsString,
  Length,
  MaxLength,
  ValidateNested,
} from 'class-validator';

import {
  CreateReleaseRequest,
  ItemList,
  Permission,
  Release,
  ReleasePackage,
} from '@flotilla/api-interfaces';
import { identityToMetadata } from '@flotilla/platform/grpc';

import { BackendClients, unary } from '../grpc/backend-clients';
import { Caller } from '../security/caller.decorator';
import type { RequestCaller } from '../security/gateway-request';
import { RequirePermission } from '../security/route-access';

export class ReleasePackageDto implements ReleasePackage {
  @ApiProperty()
  @IsString()
  @Length(1, 200)
  stepName!: string;

  @ApiProperty()
  @IsString()
  @Length(1, 200)
  packageId!: string;

  @ApiProperty()
  @IsString()
  @Length(1, 100)
  version!: string;
}

export class CreateReleaseDto implements CreateReleaseRequest {
  @ApiProperty()
  @IsString()
  @Length(1, 100)
  version!: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(10000)
  notes?: string;

  @ApiPropertyOptional({ type: [ReleasePackageDto] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(200)
  @ValidateNested({ each: true })
  @Type(() => ReleasePackageDto)
  packages?: ReleasePackageDto[];
}

@ApiTags('releases')
@Controller()
export class ReleasesController {
  constructor(private readonly backends: BackendClients) {}

  @Get('projects/:id/releases')
  @RequirePermission(Permission.ReleaseView)
  async list(@Param('id') id: string, @Caller() caller: RequestCaller): Promise<ItemList<Release>> {
    const reply = await unary(
      this.backends.orchestrator.listReleases({ id }, identityToMetadata(caller.identity)),
    );
    return { items: reply.items };
  }

  @Post('projects/:id/releases')
  @RequirePermission(Permission.ReleaseCreate)
  create(
    @Param('id') id: string,
    @Body() body: CreateReleaseDto,
    @Caller() caller: RequestCaller,
  ): Promise<Release> {
    const request = {
      projectId: id,
      version: body.version,
      notes: body.notes ?? '',
      packages: body.packages ?? [],
    };
    return unary(this.backends.orchestrator.createRelease(request, identityToMetadata(caller.identity)));
  }

  @Get('releases/:id')
  @RequirePermission(Permission.ReleaseView)
  get(@Param('id') id: string, @Caller() caller: RequestCaller): Promise<Release> {
    return unary(this.backends.orchestrator.getRelease({ id }, identityToMetadata(caller.identity)));
  }
}
