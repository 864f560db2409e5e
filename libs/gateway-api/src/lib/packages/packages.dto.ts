import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Length, Matches, MaxLength } from 'class-validator';

import { ListPackagesQuery, UploadPackageQuery } from '@flotilla/api-interfaces';

import { PageQueryDto } from '../common/page-query.dto';

export class UploadPackageQueryDto implements UploadPackageQuery {
  @ApiProperty({ example: 'MyApp.1.0.0.zip' })
  @IsString()
  @Length(1, 255)
  @Matches(/^[^/\\]+$/, { message: 'fileName must be a plain file name' })
  fileName!: string;
}

export class ListPackagesQueryDto extends PageQueryDto implements ListPackagesQuery {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(200)
  packageId?: string;
}
