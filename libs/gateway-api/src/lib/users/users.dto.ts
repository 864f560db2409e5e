import { ApiProperty } from '@nestjs/swagger';
import { ArrayUnique, IsArray, IsIn, IsString, Length, MaxLength } from 'class-validator';

import { ALL_ROLES, CreateUserRequest, LoginRequest } from '@flotilla/api-interfaces';

export class LoginDto implements LoginRequest {
  @ApiProperty()
  @IsString()
  @Length(1, 256)
  username!: string;

  @ApiProperty()
  @IsString()
  @Length(1, 1024)
  password!: string;
}

export class CreateUserDto implements CreateUserRequest {
  @ApiProperty()
  @IsString()
  @Length(1, 256)
  username!: string;

  @ApiProperty()
  @IsString()
  @MaxLength(256)
  displayName!: string;

  @ApiProperty()
  @IsString()
  @Length(8, 1024)
  password!: string;

  @ApiProperty({ enum: ALL_ROLES, isArray: true })
  @IsArray()
  @ArrayUnique()
  @IsIn(ALL_ROLES, { each: true })
  roles!: string[];
}
