import { Controller, Get, HttpCode, HttpStatus, Param, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';

import { PagedList, Permission, ServerTask, TaskLog } from '@flotilla/api-interfaces';
import { identityToMetadata } from '@flotilla/platform/grpc';

import { BackendClients, unary } from '../grpc/backend-clients';
import { Caller } from '../security/caller.decorator';
import type { RequestCaller } from '../security/gateway-request';
import { RequirePermission } from '../security/route-access';
import { toServerTask, toTaskLog } from './task-mapping';
import { requireVisibleTask } from './task-visibility';
import { ListTasksQueryDto, TaskLogQueryDto } from './tasks.dto';

@ApiTags('tasks')
@Controller('tasks')
export class TasksController {
  constructor(private readonly backends: BackendClients) {}

  @Get()
  @RequirePermission(Permission.TaskView)
  async list(
    @Query() query: ListTasksQueryDto,
    @Caller() caller: RequestCaller,
  ): Promise<PagedList<ServerTask>> {
    const request = {
      state: query.state ?? '',
      projectId: query.projectId ?? '',
      environmentId: query.environmentId ?? '',
      nodeName: query.node ?? '',
      skip: query.skip ?? 0,
      take: query.take ?? 0,
    };
    const reply = await unary(
      this.backends.orchestrator.listTasks(request, identityToMetadata(caller.identity)),
    );
    return { items: reply.items.map(toServerTask), total: reply.total };
  }

  @Get(':id')
  @RequirePermission(Permission.TaskView)
  async get(@Param('id') id: string, @Caller() caller: RequestCaller): Promise<ServerTask> {
    return toServerTask(
      await unary(this.backends.orchestrator.getTask({ id }, identityToMetadata(caller.identity))),
    );
  }

  @Post(':id/cancel')
  @HttpCode(HttpStatus.OK)
  @RequirePermission(Permission.TaskCancel)
  async cancel(@Param('id') id: string, @Caller() caller: RequestCaller): Promise<ServerTask> {
    return toServerTask(
      await unary(this.backends.orchestrator.cancelTask({ id }, identityToMetadata(caller.identity))),
    );
  }

  @Get(':id/log')
  @RequirePermission(Permission.TaskView)
  async log(
    @Param('id') id: string,
    @Query() query: TaskLogQueryDto,
    @Caller() caller: RequestCaller,
  ): Promise<TaskLog> {
    await requireVisibleTask(this.backends, caller, id);
    const request = { taskId: id, offset: query.offset ?? 0, tail: query.tail ?? 0 };
    return toTaskLog(
      await unary(this.backends.executor.readTaskLog(request, identityToMetadata(caller.identity))),
    );
  }
}
