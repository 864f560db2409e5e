import { Controller, Get, Query } from '@nestjs/common';
import { ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';

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

import { BackendClients, unary } from '../grpc/backend-clients';
import { Caller } from '../security/caller.decorator';
import type { RequestCaller } from '../security/gateway-request';
import { RequirePermission } from '../security/route-access';

export class ListEventsQueryDto implements ListEventsQuery {
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

  @ApiPropertyOptional({ description: 'An IPv4 or IPv6 address, or a CIDR block such as 10.1.0.0/16' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  clientIp?: string;

  @ApiPropertyOptional({ description: 'Text anywhere in the details, case significant' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  text?: string;

  @ApiPropertyOptional({ enum: ['success', 'failure', 'refused'] })
  @IsOptional()
  @IsIn(['success', 'failure', 'refused'])
  outcome?: string;

  @ApiPropertyOptional({ description: 'The X-Request-Id of the request that caused the events' })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  requestId?: string;

  @ApiPropertyOptional({ description: 'Events concerning this project' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  projectId?: string;

  @ApiPropertyOptional({ description: 'Events concerning this environment' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  environmentId?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 500, description: 'Events per page (default 30)' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  take?: number;

  @ApiPropertyOptional({ description: 'The nextCursor of the page before; absent for the newest page' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  after?: string;
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
    // int64 arrives as a number or a string depending on the loader's options; 0 means no chain.
    sequenceNumber: Number(event.sequenceNumber) || null,
    chainHash: event.chainHash,
    recordedAt: event.recordedAt,
    signInMethod: event.signInMethod,
    apiKeyId: event.apiKeyId,
    socketPeer: event.socketPeer,
    nodeName: event.nodeName,
    requestId: event.requestId,
    outcome: event.outcome,
    projectId: event.projectId,
    environmentId: event.environmentId,
  };
}

const BREAK_KINDS: readonly TrailBreak['kind'][] = [
  'edited',
  'missing',
  'head',
  'unchained',
  'checkpoint',
  'archive',
];

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
    ...(reply.archivedThroughDay
      ? {
          archivedThrough: {
            day: reply.archivedThroughDay,
            sequence: Number(reply.archivedThroughSequence),
            archives: reply.archives,
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
      clientIp: query.clientIp ?? '',
      text: query.text ?? '',
      outcome: query.outcome ?? '',
      requestId: query.requestId ?? '',
      projectId: query.projectId ?? '',
      environmentId: query.environmentId ?? '',
      take: query.take ?? 0,
      after: query.after ?? '',
    };
    const page = await unary(this.backends.audit.query(request, identityToMetadata(caller.identity)));
    return {
      items: page.items.map(toRestEvent),
      take: page.take,
      ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
    };
  }

  /**
   * Checks the whole trail link by link against the chain key and the newest signed checkpoint.
   * Reads every event, so its time grows with the trail (not yet measured on a large one).
   */
  @Get('verification')
  @RequirePermission(Permission.EventView)
  async verification(@Caller() caller: RequestCaller): Promise<TrailVerification> {
    return toRestVerification(
      await unary(this.backends.audit.verify({}, identityToMetadata(caller.identity))),
    );
  }
}
