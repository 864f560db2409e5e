import { Controller, Get, Query } from '@nestjs/common';
import { ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsISO8601, IsOptional, IsString, MaxLength } from 'class-validator';

import {
  AuditEvent,
  EventPage,
  ListEventsQuery,
  Permission,
  TrailBreak,
  TrailVerification,
} from '@flotilla/api-interfaces';
import type { auditV1 } from '@flotilla/contracts';
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

/** The REST shape of an event, field by field, so the contract is api-interfaces, not the proto. */
function toRestEvent(event: auditV1.AuditEvent): AuditEvent {
  return {
    id: event.id,
    occurredAt: event.occurredAt,
    actorId: event.actorId,
    actorName: event.actorName,
    action: event.action,
    resourceType: event.resourceType,
    resourceId: event.resourceId,
    details: event.details,
    clientIp: event.clientIp,
    forwardedFor: event.forwardedFor,
    source: event.source,
  };
}

const BREAK_KINDS: readonly TrailBreak['kind'][] = ['edited', 'missing', 'head', 'unchained', 'checkpoint'];

/** The REST shape of a verification: absent parts of the proto's flat message left out. */
function toRestVerification(reply: auditV1.TrailVerification): TrailVerification {
  const kind = BREAK_KINDS.find((known) => known === reply.breakKind);
  return {
    intact: reply.intact,
    verifiedEvents: reply.verifiedEvents,
    headSequence: reply.headSequence,
    beganAt: reply.beganAt,
    ...(kind
      ? {
          firstBreak: {
            kind,
            sequence: reply.breakSequence,
            ...(reply.breakEventId ? { eventId: reply.breakEventId } : {}),
            message: reply.breakMessage,
          },
        }
      : {}),
    ...(reply.checkpointSignedAt
      ? {
          checkpoint: {
            sequence: reply.checkpointSequence,
            signedAt: reply.checkpointSignedAt,
            node: reply.checkpointNode,
          },
        }
      : {}),
  };
}

@ApiTags('events')
@Controller('events')
export class EventsController {
  constructor(private readonly backends: BackendClients) {}

  @Get()
  @RequirePermission(Permission.EventView)
  async query(@Query() query: ListEventsQueryDto, @Caller() caller: RequestCaller): Promise<EventPage> {
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
    const page = await unary(this.backends.audit.query(request, identityToMetadata(caller.identity)));
    return { items: page.items.map(toRestEvent), total: page.total, skip: page.skip, take: page.take };
  }

  /**
   * Checks the whole trail link by link against the chain key and the newest signed checkpoint.
   * Reads every event: seconds on a large trail.
   */
  @Get('verification')
  @RequirePermission(Permission.EventView)
  async verification(@Caller() caller: RequestCaller): Promise<TrailVerification> {
    return toRestVerification(
      await unary(this.backends.audit.verify({}, identityToMetadata(caller.identity))),
    );
  }
}
