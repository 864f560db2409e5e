import { randomUUID } from 'node:crypto';

import { EntityManager, In } from 'typeorm';

import type { TeamGrant, TeamMember } from '@flotilla/api-interfaces';

import { sqlFor } from '../persistence/db-clock';
import { UserEntity } from '../persistence/user.entity';

import { TeamEntity, TeamGrantEntity, TeamMemberEntity } from './team.entities';

/** A team as stored, with its members (users with their account's display name) and grants. */
export interface StoredTeam {
  id: string;
  name: string;
  description: string;
  members: TeamMember[];
  grants: TeamGrant[];
  createdAt: Date;
  updatedAt: Date;
}

/** What is written for a team (already validated by team-rules.ts). */
export interface TeamRow {
  name: string;
  description: string;
  members: readonly TeamMember[];
  grants: readonly TeamGrant[];
}

/** A role a team grants to a user, as ValidateToken reads it. */
export interface GrantedRole {
  role: string;
  projectIds?: string[];
  environmentIds?: string[];
}

interface GrantRow {
  role: string;
  project_ids: string | null;
  environment_ids: string | null;
}

export function normalizeTeamName(name: string): string {
  return name.trim().toLowerCase();
}

/** A stored id list; anything but a JSON array of strings reads as "none" (never as everywhere). */
function idsFrom(json: string | null): string[] | undefined {
  if (json === null) return undefined;
  try {
    const parsed: unknown = JSON.parse(json);
    return Array.isArray(parsed) ? parsed.filter((id): id is string => typeof id === 'string') : [];
  } catch {
    return [];
  }
}

/** A stored grant as ValidateToken reads it (the token-bound check reads grants the same way). */
export function grantFrom(row: {
  role: string;
  projectIds: string | null;
  environmentIds: string | null;
}): GrantedRole {
  const projectIds = idsFrom(row.projectIds);
  const environmentIds = idsFrom(row.environmentIds);
  return {
    role: row.role,
    ...(projectIds ? { projectIds } : {}),
    ...(environmentIds ? { environmentIds } : {}),
  };
}

/** I/O for teams, their members and grants; every method runs on the manager it is given. */
export class TeamsRepository {
  async list(manager: EntityManager): Promise<StoredTeam[]> {
    const teams = await manager.find(TeamEntity, { order: { nameNormalized: 'ASC' } });
    return this.withParts(manager, teams);
  }

  async findById(manager: EntityManager, id: string): Promise<StoredTeam | undefined> {
    const team = await manager.findOneBy(TeamEntity, { id });
    if (!team) return undefined;
    const [stored] = await this.withParts(manager, [team]);
    return stored;
  }

  findByName(manager: EntityManager, name: string): Promise<TeamEntity | null> {
    return manager.findOneBy(TeamEntity, { nameNormalized: normalizeTeamName(name) });
  }

  /** Inserts the team with database timestamps; a name taken in any case fails with a unique violation. */
  async insert(manager: EntityManager, id: string, row: TeamRow): Promise<void> {
    const now = sqlFor(manager).now;
    await manager
      .createQueryBuilder()
      .insert()
      .into(TeamEntity)
      .values({
        id,
        name: row.name,
        nameNormalized: normalizeTeamName(row.name),
        description: row.description,
        createdAt: () => now,
        updatedAt: () => now,
      })
      .execute();
    await this.writeParts(manager, id, row);
  }

  /** Replaces name, description, members and grants; false when there is no such team. */
  async replace(manager: EntityManager, id: string, row: TeamRow): Promise<boolean> {
    const result = await manager
      .createQueryBuilder()
      .update(TeamEntity)
      .set({
        name: row.name,
        nameNormalized: normalizeTeamName(row.name),
        description: row.description,
        updatedAt: () => sqlFor(manager).now,
      })
      .where('id = :id', { id })
      .execute();
    if ((result.affected ?? 0) === 0) return false;
    await manager.delete(TeamMemberEntity, { teamId: id });
    await manager.delete(TeamGrantEntity, { teamId: id });
    await this.writeParts(manager, id, row);
    return true;
  }

  /** Deletes the team; its members and grants go with it (ON DELETE CASCADE). */
  async delete(manager: EntityManager, id: string): Promise<boolean> {
    const result = await manager.delete(TeamEntity, { id });
    return (result.affected ?? 0) > 0;
  }

  /** Which of these user ids have an account (team members must). */
  async existingUserIds(manager: EntityManager, ids: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (let i = 0; i < ids.length; i += 500) {
      const rows = await manager.find(UserEntity, {
        where: { id: In(ids.slice(i, i + 500)) },
        select: { id: true },
      });
      rows.forEach((row) => found.add(row.id));
    }
    return found;
  }

  /**
   * Every role granted to the user by the teams they are in, directly or through a directory group
   * recorded at their last sign-in. One query on ix_team_members_member, the directory groups'
   * primary key and ix_team_grants_team: ValidateToken runs it for every token it resolves.
   */
  async grantedTo(manager: EntityManager, userId: string): Promise<GrantedRole[]> {
    const rows = await manager
      .createQueryBuilder(TeamGrantEntity, 'g')
      .select(['g.role AS role', 'g.project_ids AS project_ids', 'g.environment_ids AS environment_ids'])
      .where(
        `g.team_id IN (
          SELECT m.team_id FROM team_members m
           WHERE m.member_kind = 'user' AND m.member_id = :userId
          UNION
          SELECT m.team_id FROM team_members m
            JOIN directory_user_groups d ON d.group_id = m.member_id
           WHERE m.member_kind = 'group' AND d.user_id = :userId
        )`,
        { userId },
      )
      .orderBy('g.team_id')
      .addOrderBy('g.position')
      .getRawMany<GrantRow>();
    return rows.map((row) =>
      grantFrom({ role: row.role, projectIds: row.project_ids, environmentIds: row.environment_ids }),
    );
  }

  private async writeParts(manager: EntityManager, teamId: string, row: TeamRow): Promise<void> {
    for (let i = 0; i < row.members.length; i += 400) {
      await manager
        .createQueryBuilder()
        .insert()
        .into(TeamMemberEntity)
        .values(
          row.members.slice(i, i + 400).map((member) => ({
            teamId,
            memberKind: member.kind,
            memberId: member.id,
            // A user's name is their account's; only a group's is kept here.
            displayName: member.kind === 'group' ? (member.displayName ?? null) : null,
          })),
        )
        .execute();
    }
    if (row.grants.length > 0) {
      await manager
        .createQueryBuilder()
        .insert()
        .into(TeamGrantEntity)
        .values(
          row.grants.map((grant, position) => ({
            id: randomUUID(),
            teamId,
            position,
            role: grant.role,
            projectIds: grant.projectIds ? JSON.stringify(grant.projectIds) : null,
            environmentIds: grant.environmentIds ? JSON.stringify(grant.environmentIds) : null,
          })),
        )
        .execute();
    }
  }

  /** Members and grants of these teams in two queries, whatever their number. */
  private async withParts(manager: EntityManager, teams: readonly TeamEntity[]): Promise<StoredTeam[]> {
    if (teams.length === 0) return [];
    const ids = teams.map((team) => team.id);
    // Past 500 teams (SQL Server's parameter limit is 2,100) every team's parts are read: that is the list.
    const members = await manager
      .createQueryBuilder(TeamMemberEntity, 'm')
      .leftJoin(UserEntity, 'u', "m.member_kind = 'user' AND u.id = m.member_id")
      .select([
        'm.team_id AS team_id',
        'm.member_kind AS member_kind',
        'm.member_id AS member_id',
        'm.display_name AS display_name',
        'u.display_name AS user_display_name',
        'u.username AS username',
      ])
      .where(ids.length <= 500 ? 'm.team_id IN (:...ids)' : '1 = 1', { ids })
      .orderBy('m.team_id')
      .addOrderBy('m.member_kind')
      .addOrderBy('m.member_id')
      .getRawMany<{
        team_id: string;
        member_kind: TeamMember['kind'];
        member_id: string;
        display_name: string | null;
        user_display_name: string | null;
        username: string | null;
      }>();
    const grants = await manager.find(TeamGrantEntity, {
      where: ids.length <= 500 ? { teamId: In(ids) } : {},
      order: { teamId: 'ASC', position: 'ASC' },
    });
    return teams.map((team) => ({
      id: team.id,
      name: team.name,
      description: team.description,
      members: members
        .filter((member) => member.team_id === team.id)
        .map((member) => {
          const displayName =
            member.member_kind === 'user'
              ? (member.user_display_name ?? member.username ?? undefined)
              : (member.display_name ?? undefined);
          return {
            kind: member.member_kind,
            id: member.member_id,
            ...(displayName ? { displayName } : {}),
          };
        }),
      grants: grants.filter((grant) => grant.teamId === team.id).map(grantFrom),
      createdAt: team.createdAt,
      updatedAt: team.updatedAt,
    }));
  }
}
