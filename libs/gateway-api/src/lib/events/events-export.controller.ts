import { Controller, Get, Inject, Post, Query, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiProduces, ApiPropertyOptional, ApiTags, OmitType } from '@nestjs/swagger';
import type { Response } from 'express';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';

import { Permission } from '@flotilla/api-interfaces';
import type { auditV1 } from '@flotilla/contracts';
import { FLOTILLA_CONFIG, FlotillaConfig } from '@flotilla/platform/config';

import { Caller } from '../security/caller.decorator';
import type { RequestCaller } from '../security/gateway-request';
import { AcceptStreamTicket, RequirePermission } from '../security/route-access';
import { StreamTickets } from '../security/stream-tickets/stream-tickets.service';
import { EventExport } from './event-export';
import { ListEventsQueryDto } from './events.controller';

/** GET /api/events/export: every filter of GET /api/events (not its paging), a format, and a ticket. */
export class ExportEventsQueryDto extends OmitType(ListEventsQueryDto, ['take', 'after'] as const) {
  @ApiPropertyOptional({
    enum: ['csv', 'jsonl'],
    description: 'csv (default) or jsonl (signed manifest last)',
  })
  @IsOptional()
  @IsIn(['csv', 'jsonl'])
  format?: 'csv' | 'jsonl';

  @ApiPropertyOptional({ description: 'Single-use ticket from POST /api/events/export-tickets (browsers)' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  ticket?: string;
}

/** The export's filter: every filter field given, as Query takes it (take and after are an export's own). */
export function exportFilter(query: ExportEventsQueryDto): auditV1.ExportEventsRequest['filter'] {
  const { format: _format, ticket: _ticket, ...filters } = query;
  const given = Object.fromEntries(
    Object.entries(filters).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
  return { ...EMPTY_FILTER, ...given, take: 0, after: '' };
}

const EMPTY_FILTER = {
  actor: '',
  action: '',
  resourceType: '',
  resourceId: '',
  from: '',
  to: '',
  clientIp: '',
  text: '',
  outcome: '',
  requestId: '',
  projectId: '',
  environmentId: '',
} as const;

/** The trail as a file; EventView, like the trail itself. */
@ApiTags('events')
@Controller('events')
export class EventsExportController {
  private readonly exporter: EventExport;

  constructor(
    @Inject(FLOTILLA_CONFIG) config: Pick<FlotillaConfig, 'grpc'>,
    private readonly tickets: StreamTickets,
  ) {
    this.exporter = new EventExport(config);
  }

  /**
   * A single-use ticket that opens one export within 30 s, as the caller: a browser downloads the
   * file by navigating to the export URL (straight to disk, never held in the page's memory), and
   * a navigation cannot send the Authorization header. The session token never goes in a URL.
   */
  @Post('export-tickets')
  @RequirePermission(Permission.EventView)
  @ApiCreatedResponse({ description: 'Pass `ticket` as `?ticket=` to GET /api/events/export.' })
  exportTicket(@Caller() caller: RequestCaller): Promise<{ ticket: string; expiresAt: string }> {
    return this.tickets.mint(caller, 'audit-export', '');
  }

  /**
   * The filter's every event (no row cap), newest first, streamed: CSV (RFC 4180, a header row) or
   * JSONL whose last line is a manifest signed with the cluster's checkpoint key. Times are UTC
   * ISO-8601; the chain fields (sequenceNumber, chainHash, recordedAt) are included. Recorded in
   * the trail as audit.exported. Opens with the Authorization or X-Octopus-ApiKey header, or a ticket.
   */
  @Get('export')
  @RequirePermission(Permission.EventView)
  @AcceptStreamTicket('audit-export', 'none')
  @ApiProduces('text/csv', 'application/x-ndjson')
  async export(
    @Query() query: ExportEventsQueryDto,
    @Caller() caller: RequestCaller,
    @Res() response: Response,
  ): Promise<void> {
    const request: auditV1.ExportEventsRequest = {
      filter: exportFilter(query),
      format: query.format ?? 'csv',
    };
    await this.exporter.stream(request, caller.identity, response);
  }
}
