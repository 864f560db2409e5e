import { ApiProperty } from '@nestjs/swagger';
import { ArrayUnique, IsArray, IsIn, IsString, Length, MaxLength } from 'class-validator';

import {
  ALL_ROLES,
  CreateUserRequest,
  LoginRequest,
  ResetUserPasswordRequest,
} from '@flotilla/api-interfaces';

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

/** Minimum length of a new password; auth enforces the same rule (user-rules.ts). */
export const NEW_PASSWORD_MIN_LENGTH = 12;

/** POST /api/users/password: a local account replaces its password, proving it with the current one. */
export class ChangePasswordDto {
  @ApiProperty()
  @IsString()
  @Length(1, 256)
  username!: string;

  @ApiProperty()
  @IsString()
  @Length(1, 1024)
  currentPassword!: string;

  @ApiProperty({ minLength: NEW_PASSWORD_MIN_LENGTH })
  @IsString()
  @Length(NEW_PASSWORD_MIN_LENGTH, 1024)
  newPassword!: string;
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

/** POST /api/users/{id}/password/reset: an administrator sets a local account's password. */
export class ResetUserPasswordDto implements ResetUserPasswordRequest {
  @ApiProperty({
    minLength: NEW_PASSWORD_MIN_LENGTH,
    description: 'Told to the user out of band; they must replace it at their next sign-in',
  })
  @IsString()
  @Length(NEW_PASSWORD_MIN_LENGTH, 1024)
  newPassword!: string;
}
