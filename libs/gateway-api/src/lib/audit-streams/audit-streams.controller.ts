import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  ParseUUIDPipe,
  Post,
  Put,
} from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';

import { ItemList, Permission } from '@flotilla/api-interfaces';
import type { auditV1 } from '@flotilla/contracts';
import { identityToMetadata } from '@flotilla/platform/grpc';

import { BackendClients, unary } from '../grpc/backend-clients';
import { Caller } from '../security/caller.decorator';
import type { RequestCaller } from '../security/gateway-request';
import { RequirePermission } from '../security/route-access';

import { SaveAuditStreamDto } from './audit-stream.dto';

function toRequest(body: SaveAuditStreamDto, id = ''): auditV1.SaveAuditStreamRequest {
  return {
    id,
    name: body.name,
    kind: body.kind,
    enabled: body.enabled ?? true,
    target: body.target,
    secret: body.secret ?? '',
    caPem: body.caPem ?? '',
    facility: body.facility ?? '',
    fromBeginning: body.fromBeginning ?? false,
  };
}

/**
 * Destinations the audit trail is streamed to (HTTPS webhook, syslog over TLS) and where each one's
 * delivery stands. System administration: the audit service checks AdministerSystem again and
 * records every change in the trail (old and new values; the secret never).
 */
@ApiTags('audit-streams')
@Controller('audit-streams')
export class AuditStreamsController {
  constructor(private readonly backends: BackendClients) {}

  @Get()
  @RequirePermission(Permission.AdministerSystem)
  async list(@Caller() caller: RequestCaller): Promise<ItemList<auditV1.AuditStream>> {
    const reply = await unary(this.backends.audit.listStreams({}, identityToMetadata(caller.identity)));
    return { items: reply.items };
  }

  @Post()
  @RequirePermission(Permission.AdministerSystem)
  create(@Body() body: SaveAuditStreamDto, @Caller() caller: RequestCaller): Promise<auditV1.AuditStream> {
    return unary(this.backends.audit.createStream(toRequest(body), identityToMetadata(caller.identity)));
  }

  /** Replaces the destination's settings; a left-out secret stays as it was. */
  @Put(':id')
  @RequirePermission(Permission.AdministerSystem)
  update(
    @Param('id', ParseUUIDPipe) id: string,
    @Body() body: SaveAuditStreamDto,
    @Caller() caller: RequestCaller,
  ): Promise<auditV1.AuditStream> {
    return unary(this.backends.audit.updateStream(toRequest(body, id), identityToMetadata(caller.identity)));
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @RequirePermission(Permission.AdministerSystem)
  async remove(@Param('id', ParseUUIDPipe) id: string, @Caller() caller: RequestCaller): Promise<void> {
    await unary(this.backends.audit.deleteStream({ id }, identityToMetadata(caller.identity)));
  }
}
