import { Body, Controller, Get, Put } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsString, MaxLength } from 'class-validator';

import { Permission } from '@flotilla/api-interfaces';
import type { authV1 } from '@flotilla/contracts';
import { identityToMetadata } from '@flotilla/platform/grpc';

import { BackendClients, unary } from '../grpc/backend-clients';
import { Caller } from '../security/caller.decorator';
import type { RequestCaller } from '../security/gateway-request';
import { RequirePermission } from '../security/route-access';
import { TrustedProxiesFollower } from '../security/trusted-proxies-follower';

export class TrustedProxiesDto {
  @ApiProperty({
    type: [String],
    example: ['10.0.0.5', '10.1.0.0/16', '2001:db8::/32'],
    description:
      'Addresses and CIDR blocks (IPv4, IPv6; IPv4-mapped taken as IPv4) or loopback / linklocal / uniquelocal. ' +
      'Empty: trust no proxy (X-Forwarded-For is then never taken for the client address).',
  })
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @MaxLength(64, { each: true })
  entries!: string[];
}

/** The trusted proxies: a cluster-wide setting every gateway follows within seconds. */
@ApiTags('settings')
@Controller('settings/trusted-proxies')
export class TrustedProxiesController {
  constructor(
    private readonly backends: BackendClients,
    private readonly follower: TrustedProxiesFollower,
  ) {}

  @Get()
  @RequirePermission(Permission.AdministerSystem)
  @ApiOperation({
    summary: 'The proxies whose X-Forwarded-For every gateway trusts',
    description:
      'source "setting": changed through this API (by updatedBy at updatedAt); "environment": ' +
      "never changed, so FLOTILLA_TRUSTED_PROXIES of the auth service is every gateway's list.",
  })
  @ApiOkResponse({ description: 'The list and where it comes from' })
  get(@Caller() caller: RequestCaller): Promise<authV1.TrustedProxies> {
    return unary(this.backends.auth.getTrustedProxies({}, identityToMetadata(caller.identity)));
  }

  @Put()
  @RequirePermission(Permission.AdministerSystem)
  @ApiOperation({
    summary: 'Replaces the trusted proxies of the whole cluster (audited with the old and new lists)',
    description:
      'Taken up by this gateway before the answer, by the others at once with Redis and within ' +
      'FLOTILLA_TRUSTED_PROXIES_REFRESH_MS (5 s) without it. 400 names the first entry that is not an address, block or set.',
  })
  @ApiOkResponse({ description: 'The list as stored (canonical, duplicates dropped)' })
  async put(
    @Body() body: TrustedProxiesDto,
    @Caller() caller: RequestCaller,
  ): Promise<authV1.TrustedProxies> {
    const stored = await unary(
      this.backends.auth.setTrustedProxies({ entries: body.entries }, identityToMetadata(caller.identity)),
    );
    await this.follower.refresh();
    return stored;
  }
}
