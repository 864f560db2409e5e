import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';

import { Permission } from '@flotilla/api-interfaces';
import type { authV1 } from '@flotilla/contracts';
import { identityToMetadata } from '@flotilla/platform/grpc';

import { BackendClients, unary } from '../grpc/backend-clients';
import { Caller } from '../security/caller.decorator';
import type { RequestCaller } from '../security/gateway-request';
import { RequirePermission } from '../security/route-access';

/** The directory sync (auth revokes accounts the directory disabled or removed) as administrators see it. */
@ApiTags('directory')
@Controller('directory')
export class DirectorySyncController {
  constructor(private readonly backends: BackendClients) {}

  @Get('sync')
  @RequirePermission(Permission.AdministerSystem)
  @ApiOperation({
    summary: "The directory sync's last run in the cluster",
    description:
      'Last attempt, last success, last failure and its reason (the directory unreachable or answering ' +
      'errors: nobody was changed), whether the directory answered, and how many users were checked, ' +
      'deactivated and re-activated. configured=false when no directory is set up.',
  })
  @ApiOkResponse({ description: 'The status, the same from every node' })
  status(@Caller() caller: RequestCaller): Promise<authV1.DirectorySyncStatus> {
    return unary(this.backends.auth.getDirectorySyncStatus({}, identityToMetadata(caller.identity)));
  }
}
