import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsOptional,
  IsString,
  Length,
  MaxLength,
  ValidateNested,
} from 'class-validator';

import {
  ALL_ROLES,
  TEAM_DESCRIPTION_MAX_LENGTH,
  TEAM_GRANT_MAX_SCOPE_IDS,
  TEAM_MAX_GRANTS,
  TEAM_MAX_MEMBERS,
  TEAM_MEMBER_ID_MAX_LENGTH,
  TEAM_MEMBER_KINDS,
  TEAM_MEMBER_NAME_MAX_LENGTH,
  TEAM_NAME_MAX_LENGTH,
  TEAM_SCOPE_ID_MAX_LENGTH,
  TeamDefinition,
  TeamGrant,
  TeamMember,
  TeamMemberKind,
} from '@flotilla/api-interfaces';

export class TeamMemberDto implements TeamMember {
  @ApiProperty({ enum: TEAM_MEMBER_KINDS, description: 'A Flotilla user, or a directory group' })
  @IsIn(TEAM_MEMBER_KINDS)
  kind!: TeamMemberKind;

  @ApiProperty({
    maxLength: TEAM_MEMBER_ID_MAX_LENGTH,
    description:
      'A user: the Flotilla user id. A group: its directory id (AD objectSid S-1-5-21-...; generic LDAP entryUUID, else the DN)',
  })
  @IsString()
  @Length(1, TEAM_MEMBER_ID_MAX_LENGTH)
  id!: string;

  @ApiPropertyOptional({
    maxLength: TEAM_MEMBER_NAME_MAX_LENGTH,
    description: "A group's name, kept for display; ignored for users (answers carry the account's)",
  })
  @IsOptional()
  @IsString()
  @MaxLength(TEAM_MEMBER_NAME_MAX_LENGTH)
  displayName?: string;
}

export class TeamGrantDto implements TeamGrant {
  @ApiProperty({ enum: ALL_ROLES, description: 'A role from ROLE_DEFINITIONS' })
  @IsString()
  @Length(1, 50)
  role!: string;

  @ApiPropertyOptional({
    type: [String],
    description: 'Only these projects; leave out for every project (an empty list is refused)',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(TEAM_GRANT_MAX_SCOPE_IDS)
  @IsString({ each: true })
  @Length(1, TEAM_SCOPE_ID_MAX_LENGTH, { each: true })
  projectIds?: string[];

  @ApiPropertyOptional({
    type: [String],
    description: 'Only these environments; leave out for every environment (an empty list is refused)',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(TEAM_GRANT_MAX_SCOPE_IDS)
  @IsString({ each: true })
  @Length(1, TEAM_SCOPE_ID_MAX_LENGTH, { each: true })
  environmentIds?: string[];
}

/** POST /api/teams, PUT /api/teams/{id}: the whole team. Auth checks roles and user ids. */
export class TeamDefinitionDto implements TeamDefinition {
  @ApiProperty({ maxLength: TEAM_NAME_MAX_LENGTH, description: 'Unique in any letter case' })
  @IsString()
  @Length(1, TEAM_NAME_MAX_LENGTH)
  name!: string;

  @ApiPropertyOptional({ maxLength: TEAM_DESCRIPTION_MAX_LENGTH })
  @IsOptional()
  @IsString()
  @MaxLength(TEAM_DESCRIPTION_MAX_LENGTH)
  description?: string;

  @ApiProperty({ type: [TeamMemberDto] })
  @IsArray()
  @ArrayMaxSize(TEAM_MAX_MEMBERS)
  @ValidateNested({ each: true })
  @Type(() => TeamMemberDto)
  members!: TeamMemberDto[];

  @ApiProperty({ type: [TeamGrantDto] })
  @IsArray()
  @ArrayMaxSize(TEAM_MAX_GRANTS)
  @ValidateNested({ each: true })
  @Type(() => TeamGrantDto)
  grants!: TeamGrantDto[];
}
