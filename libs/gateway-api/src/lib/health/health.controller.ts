import { Controller, Get, Inject } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';

import { PingResponse } from '@flotilla/api-interfaces';
import { FLOTILLA_CONFIG, FlotillaConfig } from '@flotilla/platform/config';

import { PublicRoute } from '../security/route-access';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(@Inject(FLOTILLA_CONFIG) private readonly config: FlotillaConfig) {}

  /** The load balancer's check. Draining (418) arrives with the HA work; for now a live gateway serves. */
  @Get('ping')
  @PublicRoute()
  ping(): PingResponse {
    return {
      name: this.config.nodeName,
      isDraining: false,
      version: this.config.version,
      time: new Date().toISOString(),
    };
  }
}
