import { Controller, Get, Headers, Param, Post, Query, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';

import { Permission, TaskLogStreamTicket } from '@flotilla/api-interfaces';
import { identityToMetadata } from '@flotilla/platform/grpc';

import { BackendClients } from '../grpc/backend-clients';
import { Caller } from '../security/caller.decorator';
import type { RequestCaller } from '../security/gateway-request';
import { AcceptStreamTicket, RequirePermission } from '../security/route-access';
import { StreamTickets } from '../security/stream-tickets/stream-tickets.service';
import { resumeOffset, TaskLogStreamer } from './task-log-streamer';
import { requireVisibleTask } from './task-visibility';
import { TaskLogStreamQueryDto } from './tasks.dto';

@ApiTags('tasks')
@Controller('tasks')
export class TaskLogStreamController {
  constructor(
    private readonly backends: BackendClients,
    private readonly streamer: TaskLogStreamer,
    private readonly tickets: StreamTickets,
  ) {}

  /**
   * A single-use ticket that opens this task's live log once, within 30 s, as the caller: for
   * EventSource, which cannot send the Authorization header. The session token never goes in a URL.
   */
  @Post(':id/log/stream-tickets')
  @RequirePermission(Permission.TaskView)
  @ApiCreatedResponse({ description: 'Pass `ticket` as `?ticket=` to GET /api/tasks/{id}/log/stream.' })
  async streamTicket(@Param('id') id: string, @Caller() caller: RequestCaller): Promise<TaskLogStreamTicket> {
    await requireVisibleTask(this.backends, caller, id);
    return this.tickets.mint(caller, 'task-log', id);
  }

  /**
   * Opens with the Authorization or X-Octopus-ApiKey header, or with a stream ticket (browsers).
   * `event: line` per TaskLogLine, then `event: complete`; a comment every 15 s keeps proxies from
   * timing out.
   */
  @Get(':id/log/stream')
  @RequirePermission(Permission.TaskView)
  @AcceptStreamTicket('task-log', 'id')
  @ApiProduces('text/event-stream')
  async stream(
    @Param('id') id: string,
    @Query() query: TaskLogStreamQueryDto,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Caller() caller: RequestCaller,
    @Res() response: Response,
  ): Promise<void> {
    // The ticket's holder is its minting user with their grants, checked again here.
    await requireVisibleTask(this.backends, caller, id);
    const request = { taskId: id, offset: resumeOffset(query.offset, lastEventId), tail: 0 };
    const follow = this.backends.executor.followTaskLog(request, identityToMetadata(caller.identity));
    return this.streamer.stream(follow, response);
  }
}
