import { Column, Entity, PrimaryColumn } from 'typeorm';

import type { TeamMemberKind } from '@flotilla/api-interfaces';

/** A team (see CreateTeams1764200000150). */
@Entity({ name: 'teams' })
export class TeamEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 100 })
  name!: string;

  /** Lower case (set by TeamsRepository only); unique, so names differing only in case are one team. */
  @Column({ name: 'name_normalized', type: 'varchar', length: 100 })
  nameNormalized!: string;

  @Column({ type: 'text' })
  description!: string;

  @Column({ name: 'created_at', type: Date })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: Date })
  updatedAt!: Date;
}

/** A user or a directory group in a team. */
@Entity({ name: 'team_members' })
export class TeamMemberEntity {
  @PrimaryColumn({ name: 'team_id', type: 'varchar', length: 36 })
  teamId!: string;

  @PrimaryColumn({ name: 'member_kind', type: 'varchar', length: 10 })
  memberKind!: TeamMemberKind;

  /** A Flotilla user id, or a directory group id (objectSid / entryUUID / DN). */
  @PrimaryColumn({ name: 'member_id', type: 'varchar', length: 400 })
  memberId!: string;

  /** A group's name as the administrator gave it; null for users (their account has one). */
  @Column({ name: 'display_name', type: 'varchar', length: 256, nullable: true })
  displayName!: string | null;
}

/** A role a team grants, optionally restricted to projects and/or environments. */
@Entity({ name: 'team_grants' })
export class TeamGrantEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'team_id', type: 'varchar', length: 36 })
  teamId!: string;

  /** The grant's place in the team's list, so it reads back as it was written. */
  @Column({ type: 'int' })
  position!: number;

  @Column({ type: 'varchar', length: 50 })
  role!: string;

  /** JSON array of project ids; null: every project. */
  @Column({ name: 'project_ids', type: 'text', nullable: true })
  projectIds!: string | null;

  /** JSON array of environment ids; null: every environment. */
  @Column({ name: 'environment_ids', type: 'text', nullable: true })
  environmentIds!: string | null;
}

/** A directory group a directory user was in at their last sign-in (or the sync's last look). */
@Entity({ name: 'directory_user_groups' })
export class DirectoryUserGroupEntity {
  @PrimaryColumn({ name: 'user_id', type: 'varchar', length: 36 })
  userId!: string;

  @PrimaryColumn({ name: 'group_id', type: 'varchar', length: 400 })
  groupId!: string;
}

export const TeamEntities = [TeamEntity, TeamMemberEntity, TeamGrantEntity, DirectoryUserGroupEntity];
