import { Controller, Get, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';

import type { PingResponse } from '@flotilla/api-interfaces';

import { PublicRoute } from '../security/route-access';
import { NodePingService } from './node-ping.service';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(private readonly pings: NodePingService) {}

  /**
   * The load balancer's check: 200 serving, 418 draining / over the licence limit / stopping,
   * 503 when this node has lost the cluster. The body is the node either way.
   */
  @Get('ping')
  @PublicRoute()
  async ping(@Res({ passthrough: true }) response: Response): Promise<PingResponse> {
    const decision = await this.pings.ping();
    response.status(decision.status);
    response.setHeader('Cache-Control', 'no-store');
    return decision.body;
  }
}
