import { EntityManager, In, IsNull, Not } from 'typeorm';

import { distinctScopeIds, MAX_CALLER_TOKEN_SCOPE_IDS, RpcErrors } from '@flotilla/platform/grpc';

import { UserEntity } from '../persistence/user.entity';
import { grantsOfUser } from '../principal/principal';

import { chunks } from './directory-user-groups.repository';
import { DirectoryUserGroupEntity, TeamGrantEntity, TeamMemberEntity } from './team.entities';
import { GrantedRole, grantFrom, TeamRow } from './teams.repository';

/** How many of the users a refusal names; the others are counted. */
const NAMED_USERS = 5;

/** A user the saved team would push over the bound, with the ids their token would carry. */
interface OverBound {
  userId: string;
  ids: number;
}

/**
 * The distinct project and environment ids these team roles put in a caller token, composed as
 * ValidateToken composes them (principal.ts: a role giving no permission is left out, an
 * unrestricted grant names no id; the account's own roles are always unrestricted, so none here).
 */
const scopeIdsOf = (roles: readonly GrantedRole[]): number => distinctScopeIds(grantsOfUser([], roles));

/**
 * Refuses (INVALID_ARGUMENT, which rolls the caller's transaction back) a team just written whose
 * grants, together with the other teams of a user it reaches, would give that user more distinct
 * project and environment ids than a caller token carries. team-rules.ts refuses one team naming
 * too many; several teams together are only known here, per user, and without this check such a
 * user would learn of it as a 403 from the gateway on every route (CallerTokenTooLarge).
 *
 * Run after the write, in its transaction, so the user's teams are read as they will be. A user
 * over the bound even without this team is not this save's doing (a directory group they joined
 * since, teams from before this check): they do not block it, or no team reaching them could be
 * changed, not even narrowed, until every other team was fixed first.
 *
 * Cheap in the common case: a team naming no id adds none to anybody, and when all teams together
 * name no more ids than the bound nobody can exceed it; only past both are users and their teams read.
 */
export async function requireMembersTokensFit(
  manager: EntityManager,
  teamId: string,
  row: TeamRow,
): Promise<void> {
  if (scopeIdsOf(row.grants) === 0) return;
  const scoped = await scopedGrantsByTeam(manager);
  if (scopeIdsOf([...scoped.values()].flat()) <= MAX_CALLER_TOKEN_SCOPE_IDS) return;

  const users = await reachedUsers(manager, teamId, row);
  const teamsOf = await scopedTeamsOf(manager, users, scoped);
  // Users in the same teams carry the same ids: each set of teams is counted once.
  const counted = new Map<string, { withTeam: number; without: number }>();
  const over: OverBound[] = [];
  for (const userId of users) {
    const others = [...(teamsOf.get(userId) ?? [])].filter((id) => id !== teamId).sort();
    const key = others.join(' ');
    let counts = counted.get(key);
    if (!counts) {
      const without = others.flatMap((id) => scoped.get(id) ?? []);
      counts = {
        withTeam: scopeIdsOf([...without, ...(scoped.get(teamId) ?? [])]),
        without: scopeIdsOf(without),
      };
      counted.set(key, counts);
    }
    if (counts.withTeam > MAX_CALLER_TOKEN_SCOPE_IDS && counts.without <= MAX_CALLER_TOKEN_SCOPE_IDS)
      over.push({ userId, ids: counts.withTeam });
  }
  if (over.length > 0) throw await refusal(manager, over);
}

/** The roles of every grant restricted to projects or environments, by team (the others name no id). */
async function scopedGrantsByTeam(manager: EntityManager): Promise<Map<string, GrantedRole[]>> {
  const rows = await manager.find(TeamGrantEntity, {
    where: [{ projectIds: Not(IsNull()) }, { environmentIds: Not(IsNull()) }],
    select: { teamId: true, role: true, projectIds: true, environmentIds: true },
  });
  const byTeam = new Map<string, GrantedRole[]>();
  for (const row of rows) {
    const grants = byTeam.get(row.teamId) ?? [];
    grants.push(grantFrom(row));
    byTeam.set(row.teamId, grants);
  }
  return byTeam;
}

/**
 * The users the team reaches: its user members, and the users whose recorded directory groups
 * include one of its group members, joined as TeamsRepository.grantedTo joins them (so compared
 * as the database compares text, as ValidateToken will).
 */
async function reachedUsers(manager: EntityManager, teamId: string, row: TeamRow): Promise<Set<string>> {
  const users = new Set(row.members.filter((member) => member.kind === 'user').map((member) => member.id));
  if (!row.members.some((member) => member.kind === 'group')) return users;
  const viaGroups = await manager
    .createQueryBuilder(DirectoryUserGroupEntity, 'd')
    .innerJoin(TeamMemberEntity, 'm', "m.member_id = d.group_id AND m.member_kind = 'group'")
    .select('d.user_id', 'user_id')
    .where('m.team_id = :teamId', { teamId })
    .distinct(true)
    .getRawMany<{ user_id: string }>();
  viaGroups.forEach((found) => users.add(found.user_id));
  return users;
}

/** For each user, the teams with scoped grants they are in, directly or through a directory group. */
async function scopedTeamsOf(
  manager: EntityManager,
  users: ReadonlySet<string>,
  scoped: ReadonlyMap<string, GrantedRole[]>,
): Promise<Map<string, Set<string>>> {
  const teamsOf = new Map<string, Set<string>>();
  const add = (userId: string, teamId: string) => {
    if (!scoped.has(teamId)) return;
    const teams = teamsOf.get(userId) ?? new Set<string>();
    teams.add(teamId);
    teamsOf.set(userId, teams);
  };
  for (const part of chunks([...users])) {
    const direct = await manager.find(TeamMemberEntity, {
      where: { memberKind: 'user', memberId: In(part) },
      select: { teamId: true, memberId: true },
    });
    direct.forEach((member) => add(member.memberId, member.teamId));
    const viaGroups = await manager
      .createQueryBuilder(TeamMemberEntity, 'm')
      .innerJoin(DirectoryUserGroupEntity, 'd', 'd.group_id = m.member_id')
      .select('d.user_id', 'user_id')
      .addSelect('m.team_id', 'team_id')
      .where("m.member_kind = 'group'")
      .andWhere('d.user_id IN (:...part)', { part })
      .distinct(true)
      .getRawMany<{ user_id: string; team_id: string }>();
    viaGroups.forEach((found) => add(found.user_id, found.team_id));
  }
  return teamsOf;
}

/** What the administrator reads: how many ids against the limit, for whom, and what to change. */
async function refusal(manager: EntityManager, over: OverBound[]): Promise<Error> {
  over.sort((a, b) => b.ids - a.ids || a.userId.localeCompare(b.userId));
  const named = over.slice(0, NAMED_USERS);
  const accounts = await manager.find(UserEntity, {
    where: { id: In(named.map((user) => user.userId)) },
    select: { id: true, username: true },
  });
  const usernameOf = new Map(accounts.map((account) => [account.id, account.username]));
  const list = named.map((user) => `${usernameOf.get(user.userId) ?? user.userId} (${user.ids})`).join(', ');
  const more = over.length > named.length ? ` and ${over.length - named.length} more` : '';
  const who = over.length === 1 ? '1 user' : `${over.length} users`;
  return RpcErrors.invalidArgument(
    `With this team, ${who} would reach more distinct projects and environments through their teams ` +
      `than a caller token carries (at most ${MAX_CALLER_TOKEN_SCOPE_IDS}), and be refused on every call: ` +
      `${list}${more}. Split the scopes across teams these users do not share, or grant the role unrestricted`,
  );
}
