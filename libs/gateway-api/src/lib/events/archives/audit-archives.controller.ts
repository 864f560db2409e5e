import { Body, Controller, Delete, Get, Inject, Param, Put, Res } from '@nestjs/common';
import { ApiProduces, ApiProperty, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { IsInt, Matches } from 'class-validator';

import { AuditArchiveSummary, Permission, RetentionSetting } from '@flotilla/api-interfaces';
import type { auditV1 } from '@flotilla/contracts';
import { FLOTILLA_CONFIG, FlotillaConfig } from '@flotilla/platform/config';
import { identityToMetadata } from '@flotilla/platform/grpc';

import { BackendClients, unary } from '../../grpc/backend-clients';
import { Caller } from '../../security/caller.decorator';
import type { RequestCaller } from '../../security/gateway-request';
import { RequirePermission } from '../../security/route-access';
import { streamArchive } from './archive-download';

export class RetentionDto {
  @ApiProperty({ minimum: 1, description: 'Whole days (at least 1): older events are archived' })
  @IsInt({ message: 'days must be a whole number of days (at least 1)' })
  days!: number;
}

/** A day in the path: YYYY-MM-DD (the audit service checks it is a real day). */
export class ArchiveDayParams {
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'day must be written YYYY-MM-DD' })
  day!: string;
}

function toSummary(archive: auditV1.AuditArchive): AuditArchiveSummary {
  return {
    day: archive.day,
    file: archive.file,
    manifestFile: archive.manifestFile,
    count: archive.count,
    firstSequence: archive.hasSequence ? archive.firstSequence : null,
    lastSequence: archive.hasSequence ? archive.lastSequence : null,
    sha256: archive.sha256,
    createdAt: archive.createdAt,
    deletableFrom: archive.deletableFrom,
    fileDeletedAt: archive.fileDeletedAt || null,
  };
}

/**
 * Retention and archives of the audit trail: reviewers (EventView, the Auditor role) read the
 * retention, list and download archives; an administrator (AdministerSystem) changes the retention
 * and deletes an archive 30 days after it was made. The audit service checks the permissions
 * again and records every change in the trail.
 */
@ApiTags('events')
@Controller('events')
export class AuditArchivesController {
  constructor(
    private readonly backends: BackendClients,
    @Inject(FLOTILLA_CONFIG) private readonly config: Pick<FlotillaConfig, 'grpc'>,
  ) {}

  @Get('retention')
  @RequirePermission(Permission.EventView)
  async retention(@Caller() caller: RequestCaller): Promise<RetentionSetting> {
    return unary(this.backends.audit.getRetention({}, identityToMetadata(caller.identity)));
  }

  /** 400 with the reason for a value under 1 day; recorded as audit.retention-changed (old and new). */
  @Put('retention')
  @RequirePermission(Permission.AdministerSystem)
  async setRetention(@Body() body: RetentionDto, @Caller() caller: RequestCaller): Promise<RetentionSetting> {
    return unary(this.backends.audit.setRetention({ days: body.days }, identityToMetadata(caller.identity)));
  }

  @Get('archives')
  @RequirePermission(Permission.EventView)
  async list(@Caller() caller: RequestCaller): Promise<{ items: AuditArchiveSummary[] }> {
    const reply = await unary(this.backends.audit.listArchives({}, identityToMetadata(caller.identity)));
    return { items: reply.items.map(toSummary) };
  }

  /** The archive's events-YYYY-MM-DD.jsonl, streamed. */
  @Get('archives/:day')
  @RequirePermission(Permission.EventView)
  @ApiProduces('application/x-ndjson')
  async download(
    @Param() params: ArchiveDayParams,
    @Caller() caller: RequestCaller,
    @Res() response: Response,
  ): Promise<void> {
    await streamArchive(
      this.config.grpc.audit,
      { day: params.day, manifest: false },
      caller.identity,
      response,
    );
  }

  /** The archive's signed events-YYYY-MM-DD.manifest.json. */
  @Get('archives/:day/manifest')
  @RequirePermission(Permission.EventView)
  @ApiProduces('application/json')
  async manifest(
    @Param() params: ArchiveDayParams,
    @Caller() caller: RequestCaller,
    @Res() response: Response,
  ): Promise<void> {
    await streamArchive(
      this.config.grpc.audit,
      { day: params.day, manifest: true },
      caller.identity,
      response,
    );
  }

  /** 409 until 30 days after it was made, or while an older archive's files remain; audited. */
  @Delete('archives/:day')
  @RequirePermission(Permission.AdministerSystem)
  async delete(
    @Param() params: ArchiveDayParams,
    @Caller() caller: RequestCaller,
  ): Promise<AuditArchiveSummary> {
    return toSummary(
      await unary(
        this.backends.audit.deleteArchive({ day: params.day }, identityToMetadata(caller.identity)),
      ),
    );
  }
}
