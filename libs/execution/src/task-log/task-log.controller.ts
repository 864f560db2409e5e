import type { Metadata } from '@grpc/grpc-js';
import { Controller, Inject } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { Observable } from 'rxjs';

import { executorV1, SERVICE_CONTRACTS } from '@flotilla/contracts';
import { identityFromMetadata } from '@flotilla/platform/grpc';

import { TaskLogService } from './task-log.service';

const SERVICE = SERVICE_CONTRACTS.executor.serviceName;

/** flotilla.executor.v1.ExecutorService: task logs for the gateway, from any executor instance. */
@Controller()
export class TaskLogController implements executorV1.ExecutorServiceController {
  constructor(@Inject(TaskLogService) private readonly logs: TaskLogService) {}

  @GrpcMethod(SERVICE, 'ReadTaskLog')
  readTaskLog(request: executorV1.ReadTaskLogRequest, metadata: Metadata): Promise<executorV1.TaskLogChunk> {
    return this.logs.read(identityFromMetadata(metadata), request);
  }

  @GrpcMethod(SERVICE, 'FollowTaskLog')
  followTaskLog(
    request: executorV1.ReadTaskLogRequest,
    metadata: Metadata,
  ): Observable<executorV1.TaskLogChunk> {
    return this.logs.follow(identityFromMetadata(metadata), request);
  }
}
