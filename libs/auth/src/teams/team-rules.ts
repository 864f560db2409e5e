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
  TeamGrant,
  TeamMember,
  isTeamMemberKind,
} from '@flotilla/api-interfaces';
import { MAX_CALLER_TOKEN_SCOPE_IDS, RpcErrors } from '@flotilla/platform/grpc';

import { normalizeDirectoryGroupId } from './directory-group-ids';
import type { TeamRow } from './teams.repository';

/** A team as a caller describes it (gRPC TeamDefinition, after the IdList unwrapping). */
export interface TeamInput {
  name: string;
  description: string;
  members: readonly { kind: string; id: string; displayName?: string }[];
  grants: readonly { role: string; projectIds?: readonly string[]; environmentIds?: readonly string[] }[];
}

const invalid = (message: string) => RpcErrors.invalidArgument(message);

/**
 * Checks and tidies a team definition (INVALID_ARGUMENT naming the first problem): names trimmed,
 * group ids in the form sign-in records, members and scope ids each once. Roles must be known;
 * project and environment ids are the orchestrator's and opaque here, so only their shape is checked.
 * Whether a user id has an account needs the database: TeamsService checks it.
 */
export function validateTeam(input: TeamInput): TeamRow {
  const name = input.name.trim();
  if (!name) throw invalid('A team needs a name');
  if (name.length > TEAM_NAME_MAX_LENGTH)
    throw invalid(`A team name has at most ${TEAM_NAME_MAX_LENGTH} characters`);
  const description = input.description.trim();
  if (description.length > TEAM_DESCRIPTION_MAX_LENGTH)
    throw invalid(`A team description has at most ${TEAM_DESCRIPTION_MAX_LENGTH} characters`);
  if (input.members.length > TEAM_MAX_MEMBERS)
    throw invalid(`A team has at most ${TEAM_MAX_MEMBERS} members (add a directory group instead)`);
  if (input.grants.length > TEAM_MAX_GRANTS) throw invalid(`A team has at most ${TEAM_MAX_GRANTS} grants`);
  const grants = input.grants.map(validGrant);
  requireTokenSized(grants);
  return { name, description, members: validMembers(input.members), grants };
}

/**
 * A member's grants travel in their caller token, which carries at most MAX_CALLER_TOKEN_SCOPE_IDS
 * distinct project and environment ids: a team naming more would lock every member out (the
 * gateway refuses such an account on every route), so it is refused here, before any database
 * read. Several teams together can push one user over as well: that needs each user's teams, so
 * TeamsService checks it after the write, in its transaction (team-token-bound.ts). A user whose
 * union grows past the bound later, by joining a directory group, is still only refused by the
 * gateway, per request.
 */
function requireTokenSized(grants: readonly TeamGrant[]): void {
  const ids = new Set(
    grants.flatMap((grant) => [...(grant.projectIds ?? []), ...(grant.environmentIds ?? [])]),
  );
  if (ids.size > MAX_CALLER_TOKEN_SCOPE_IDS)
    throw invalid(
      `This team's grants name ${ids.size} distinct projects and environments; a member's caller token ` +
        `carries at most ${MAX_CALLER_TOKEN_SCOPE_IDS}. Split the scopes across teams members do not share, ` +
        'or grant the role unrestricted',
    );
}

function validMembers(members: TeamInput['members']): TeamMember[] {
  const byKey = new Map<string, TeamMember>();
  for (const member of members) {
    if (!isTeamMemberKind(member.kind))
      throw invalid(`Unknown member kind "${member.kind}": one of ${TEAM_MEMBER_KINDS.join(', ')}`);
    const id = member.kind === 'group' ? normalizeDirectoryGroupId(member.id) : member.id.trim();
    if (!id) throw invalid(`A ${member.kind} member needs an id`);
    if (id.length > TEAM_MEMBER_ID_MAX_LENGTH)
      throw invalid(`A member id has at most ${TEAM_MEMBER_ID_MAX_LENGTH} characters`);
    const displayName = member.displayName?.trim() ?? '';
    if (displayName.length > TEAM_MEMBER_NAME_MAX_LENGTH)
      throw invalid(`A group's name has at most ${TEAM_MEMBER_NAME_MAX_LENGTH} characters`);
    const tidy: TeamMember = {
      kind: member.kind,
      id,
      ...(member.kind === 'group' && displayName ? { displayName } : {}),
    };
    byKey.set(`${member.kind}:${id}`, tidy);
  }
  return [...byKey.values()];
}

function validScope(
  ids: readonly string[] | undefined,
  what: 'project' | 'environment',
): string[] | undefined {
  if (ids === undefined) return undefined;
  const tidy = [...new Set(ids.map((id) => id.trim()))];
  // Present but empty would grant nothing there; absence is how "every" is said, so refuse the trap.
  if (tidy.length === 0)
    throw invalid(`A grant restricted to no ${what} gives nothing: leave the ${what}s out for every ${what}`);
  if (tidy.length > TEAM_GRANT_MAX_SCOPE_IDS)
    throw invalid(`A grant names at most ${TEAM_GRANT_MAX_SCOPE_IDS} ${what}s`);
  for (const id of tidy) {
    if (!id || id.length > TEAM_SCOPE_ID_MAX_LENGTH)
      throw invalid(`A ${what} id has 1 to ${TEAM_SCOPE_ID_MAX_LENGTH} characters`);
  }
  return tidy;
}

function validGrant(grant: TeamInput['grants'][number]): TeamGrant {
  if (!(ALL_ROLES as readonly string[]).includes(grant.role))
    throw invalid(`Unknown role "${grant.role}": one of ${ALL_ROLES.join(', ')}`);
  const projectIds = validScope(grant.projectIds, 'project');
  const environmentIds = validScope(grant.environmentIds, 'environment');
  return {
    role: grant.role,
    ...(projectIds ? { projectIds } : {}),
    ...(environmentIds ? { environmentIds } : {}),
  };
}
