import { Controller, Get, Query } from '@nestjs/common';
import { ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsISO8601, IsOptional, IsString, MaxLength } from 'class-validator';

import { EventPage, ListEventsQuery, Permission } from '@flotilla/api-interfaces';
import { identityToMetadata } from '@flotilla/platform/grpc';

import { PageQueryDto } from '../common/page-query.dto';
import { BackendClients, unary } from '../grpc/backend-clients';
import { Caller } from '../security/caller.decorator';
import type { RequestCaller } from '../security/gateway-request';
import { RequirePermission } from '../security/route-access';

export class ListEventsQueryDto extends PageQueryDto implements ListEventsQuery {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(256)
  actor?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(200)
  action?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(100)
  resourceType?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(200)
  resourceId?: string;

  @ApiPropertyOptional({ description: 'ISO-8601, inclusive' })
  @IsOptional()
  @IsISO8601()
  from?: string;

  @ApiPropertyOptional({ description: 'ISO-8601, exclusive' })
  @IsOptional()
  @IsISO8601()
  to?: string;
}

@ApiTags('events')
@Controller('events')
export class EventsController {
  constructor(private readonly backends: BackendClients) {}

  @Get()
  @RequirePermission(Permission.EventView)
  query(@Query() query: ListEventsQueryDto, @Caller() caller: RequestCaller): Promise<EventPage> {
    const request = {
      actor: query.actor ?? '',
      action: query.action ?? '',
      resourceType: query.resourceType ?? '',
      resourceId: query.resourceId ?? '',
      from: query.from ?? '',
      to: query.to ?? '',
      skip: query.skip ?? 0,
      take: query.take ?? 0,
    };
    return unary(this.backends.audit.query(request, identityToMetadata(caller.identity)));
  }
}
