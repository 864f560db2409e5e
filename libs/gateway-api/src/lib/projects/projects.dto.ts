import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsOptional,
  IsString,
  Length,
  MaxLength,
  ValidateNested,
} from 'class-validator';

import {
  CreateProjectRequest,
  DeploymentStep,
  StepActionType,
  UpdateDeploymentProcessRequest,
  UpdateProjectRequest,
  UpdateVariablesRequest,
  Variable,
} from '@flotilla/api-interfaces';

import { IsStringRecord } from './is-string-record';

export class CreateProjectDto implements CreateProjectRequest {
  @ApiProperty()
  @IsString()
  @Length(1, 200)
  name!: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(4000)
  description?: string;
}

export class UpdateProjectDto extends CreateProjectDto implements UpdateProjectRequest {}

export class DeploymentStepDto implements DeploymentStep {
  @ApiProperty()
  @IsString()
  @Length(1, 200)
  name!: string;

  @ApiProperty({ enum: Object.values(StepActionType) })
  @IsIn(Object.values(StepActionType))
  actionType!: StepActionType;

  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } })
  @IsStringRecord()
  properties!: Record<string, string>;
}

export class UpdateDeploymentProcessDto implements UpdateDeploymentProcessRequest {
  @ApiProperty({ type: [DeploymentStepDto] })
  @IsArray()
  @ArrayMaxSize(200)
  @ValidateNested({ each: true })
  @Type(() => DeploymentStepDto)
  steps!: DeploymentStepDto[];

  @ApiProperty()
  @IsBoolean()
  retryable!: boolean;
}

export class VariableDto implements Variable {
  @ApiProperty()
  @IsString()
  @Length(1, 200)
  name!: string;

  @ApiProperty()
  @IsString()
  @MaxLength(65536)
  value!: string;

  @ApiProperty({ type: [String] })
  @IsArray()
  @IsString({ each: true })
  environmentIds!: string[];

  @ApiProperty()
  @IsBoolean()
  isSensitive!: boolean;
}

export class UpdateVariablesDto implements UpdateVariablesRequest {
  @ApiProperty({ type: [VariableDto] })
  @IsArray()
  @ArrayMaxSize(5000)
  @ValidateNested({ each: true })
  @Type(() => VariableDto)
  variables!: VariableDto[];
}
