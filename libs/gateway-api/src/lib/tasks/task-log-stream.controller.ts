import { Controller, Get, Headers, Param, Query, Res } from '@nestjs/common';
import { ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';

import { Permission } from '@flotilla/api-interfaces';
import { identityToMetadata } from '@flotilla/platform/grpc';

import { BackendClients } from '../grpc/backend-clients';
import { Caller } from '../security/caller.decorator';
import type { RequestCaller } from '../security/gateway-request';
import { AllowQueryToken, RequirePermission } from '../security/route-access';
import { resumeOffset, TaskLogStreamer } from './task-log-streamer';
import { TaskLogStreamQueryDto } from './tasks.dto';

@ApiTags('tasks')
@Controller('tasks')
export class TaskLogStreamController {
  constructor(
    private readonly backends: BackendClients,
    private readonly streamer: TaskLogStreamer,
  ) {}

  /** `event: line` per TaskLogLine, then `event: complete`; a comment every 15 s keeps proxies from timing out. */
  @Get(':id/log/stream')
  @RequirePermission(Permission.TaskView)
  @AllowQueryToken()
  @ApiProduces('text/event-stream')
  stream(
    @Param('id') id: string,
    @Query() query: TaskLogStreamQueryDto,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Caller() caller: RequestCaller,
    @Res() response: Response,
  ): Promise<void> {
    const request = { taskId: id, offset: resumeOffset(query.offset, lastEventId), tail: 0 };
    const follow = this.backends.executor.followTaskLog(request, identityToMetadata(caller.identity));
    return this.streamer.stream(follow, response);
  }
}
