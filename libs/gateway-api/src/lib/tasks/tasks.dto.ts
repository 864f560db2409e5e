import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';

import { ListTasksQuery, TASK_STATES, TaskLogQuery, TaskState } from '@flotilla/api-interfaces';

import { PageQueryDto } from '../common/page-query.dto';

export class ListTasksQueryDto extends PageQueryDto implements ListTasksQuery {
  @ApiPropertyOptional({ enum: TASK_STATES })
  @IsOptional()
  @IsIn(TASK_STATES)
  state?: TaskState;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(100)
  projectId?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(100)
  environmentId?: string;

  @ApiPropertyOptional({ description: 'Node name' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  node?: string;
}

export class TaskLogQueryDto implements TaskLogQuery {
  @ApiPropertyOptional({ minimum: 0 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  offset?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 100000 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100_000)
  tail?: number;
}

/** The SSE route also takes a stream ticket in the query, since EventSource cannot send headers. */
export class TaskLogStreamQueryDto {
  @ApiPropertyOptional({ minimum: 0 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  offset?: number;

  @ApiPropertyOptional({ description: 'Single-use ticket from POST /api/tasks/{id}/log/stream-tickets' })
  @IsOptional()
  @IsString()
  ticket?: string;
}
