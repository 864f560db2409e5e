import { Body, Controller, HttpCode, HttpStatus, Post } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';

import { Permission } from '@flotilla/api-interfaces';
import type { authV1 } from '@flotilla/contracts';
import { identityToMetadata } from '@flotilla/platform/grpc';

import { BackendClients, unary } from '../grpc/backend-clients';
import { Caller } from '../security/caller.decorator';
import type { RequestCaller } from '../security/gateway-request';
import { RequirePermission } from '../security/route-access';

import { DirectoryDiagnosticsDto } from './diagnostics.dto';

/** An administrator tests a user's directory sign-in path (auth does the work, checks again and audits it). */
@ApiTags('directory')
@Controller('directory')
export class DirectoryDiagnosticsController {
  constructor(private readonly backends: BackendClients) {}

  @Post('diagnostics')
  @HttpCode(HttpStatus.OK)
  @RequirePermission(Permission.AdministerSystem)
  @ApiOperation({
    summary: "Test a sign-in name's directory path, without a password",
    description:
      'Runs what sign-in does as the search account: the name form and filter, the entry found ' +
      '(outcome found, not-found, ambiguous, invalid-name, unavailable or error), its objectGUID / ' +
      'entryUUID, the state sign-in would refuse it for, its direct, nested and primary groups, the ' +
      'teams they map to, the domain controller that answered and each step with its time (connect, ' +
      'bind, user search, group searches), including controllers that failed, why and after how long. ' +
      'Every run is audited.',
  })
  @ApiOkResponse({ description: 'The diagnosis (a name that finds nobody is an answer, not an error)' })
  @ApiBadRequestResponse({
    description: 'No name, or a property other than name (a password is never taken)',
  })
  diagnose(
    @Caller() caller: RequestCaller,
    @Body() body: DirectoryDiagnosticsDto,
  ): Promise<authV1.DirectoryDiagnostics> {
    return unary(
      this.backends.auth.diagnoseDirectorySignIn({ name: body.name }, identityToMetadata(caller.identity)),
    );
  }
}
