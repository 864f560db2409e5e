import { Controller, Get, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';

import { Permission, PingResponse } from '@flotilla/api-interfaces';

import { Caller } from '../security/caller.decorator';
import type { RequestCaller } from '../security/gateway-request';
import { PublicRoute, RequirePermission } from '../security/route-access';
import { NodeDiagnosticsService, NodeHealthDiagnostics } from './node-diagnostics.service';
import { NodePingService } from './node-ping.service';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly pings: NodePingService,
    private readonly diagnosis: NodeDiagnosticsService,
  ) {}

  /**
   * The load balancer's check: 200 serving, 418 draining / over the licence limit / stopping,
   * 503 when this node has lost the cluster. The body is the node either way.
   *
   * Shared storage is deliberately not part of it: every node mounts the same share, so a full or
   * read-only share would fail every gateway's check at once and HAProxy would take the whole
   * cluster out, turning "uploads fail" into "nothing works". The diagnostics below report it.
   * The directory sync is left out for the same reason (an AD outage would take every node out).
   */
  @Get('ping')
  @PublicRoute()
  async ping(@Res({ passthrough: true }) response: Response): Promise<PingResponse> {
    const decision = await this.pings.ping();
    response.status(decision.status);
    response.setHeader('Cache-Control', 'no-store');
    return decision.body;
  }

  /**
   * This node's view of shared storage (writable per folder, found by really writing there).
   * Whoever may see the nodes and tasks may see this: it explains failed uploads and incomplete
   * task logs, names no paths, and the probe behind it runs at most every few seconds however
   * often it is asked, so no caller can hammer storage through it. For an administrator it also
   * carries the directory sync's last pass (directorySync: ok / degraded with the reason / overdue),
   * a warning in the document that never changes its status code.
   */
  @Get('diagnostics')
  @RequirePermission(Permission.TaskView)
  async diagnostics(
    @Res({ passthrough: true }) response: Response,
    @Caller() caller: RequestCaller,
  ): Promise<NodeHealthDiagnostics> {
    response.setHeader('Cache-Control', 'no-store');
    return this.diagnosis.diagnostics(caller.identity);
  }
}
