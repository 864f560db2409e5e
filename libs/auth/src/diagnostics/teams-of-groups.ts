import { DataSource, In } from 'typeorm';

import { normalizeDirectoryGroupId } from '../teams/directory-group-ids';
import { TeamEntity, TeamMemberEntity } from '../teams/team.entities';

import type { TeamOfGroups, TeamsOfGroupsLookup } from './team-lookup';

/** Ids per IN list: SQL Server takes at most 2,100 parameters, and a user may be in 1,500 groups. */
const IDS_PER_QUERY = 500;

/**
 * The teams listing any of a directory user's groups as a member (team_members, kind 'group'),
 * with the groups that make the user a member: what sign-in's group record will give them.
 * Teams listing the Flotilla account itself are not part of a directory diagnosis.
 */
export class TeamsOfGroupsFromDatabase implements TeamsOfGroupsLookup {
  constructor(private readonly dataSource: DataSource) {}

  async teamsOfGroups(groupIds: readonly string[]): Promise<TeamOfGroups[]> {
    const ids = [...new Set(groupIds.map(normalizeDirectoryGroupId))];
    const members: TeamMemberEntity[] = [];
    for (let start = 0; start < ids.length; start += IDS_PER_QUERY) {
      members.push(
        ...(await this.dataSource.manager.find(TeamMemberEntity, {
          where: { memberKind: 'group', memberId: In(ids.slice(start, start + IDS_PER_QUERY)) },
        })),
      );
    }
    const teamIds = [...new Set(members.map((member) => member.teamId))];
    if (teamIds.length === 0) return [];
    const teams = await this.dataSource.manager.find(TeamEntity, {
      where: { id: In(teamIds) },
      order: { nameNormalized: 'ASC' },
    });
    return teams.map((team) => ({
      id: team.id,
      name: team.name,
      groupIds: members.filter((member) => member.teamId === team.id).map((member) => member.memberId),
    }));
  }
}
