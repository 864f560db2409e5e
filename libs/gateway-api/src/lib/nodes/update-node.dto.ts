import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsInt, IsOptional, Max, Min } from 'class-validator';

import { UpdateNodeRequest } from '@flotilla/api-interfaces';

/** The most tasks one node may run at once; a typo like 50000 should be refused, not obeyed. */
export const MAX_TASK_CAP = 1000;

export class UpdateNodeDto implements UpdateNodeRequest {
  @ApiPropertyOptional({ minimum: 0, maximum: MAX_TASK_CAP })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_TASK_CAP)
  taskCap?: number;

  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  isDraining?: boolean;
}
