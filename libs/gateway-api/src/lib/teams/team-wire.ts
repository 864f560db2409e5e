import { isTeamMemberKind, Team, TeamDefinition } from '@flotilla/api-interfaces';
import type { authV1 } from '@flotilla/contracts';

/** The REST body as auth's TeamDefinition: a restriction travels wrapped, so absent stays absent. */
export function teamDefinitionToWire(team: TeamDefinition): authV1.TeamDefinition {
  return {
    name: team.name,
    description: team.description ?? '',
    members: team.members.map((member) => ({
      kind: member.kind,
      id: member.id,
      displayName: member.displayName ?? '',
    })),
    grants: team.grants.map((grant) => ({
      role: grant.role,
      ...(grant.projectIds ? { projects: { ids: grant.projectIds } } : {}),
      ...(grant.environmentIds ? { environments: { ids: grant.environmentIds } } : {}),
    })),
  };
}

export function teamFromWire(team: authV1.Team): Team {
  return {
    id: team.id,
    name: team.name,
    description: team.description,
    members: team.members.flatMap(({ kind, id, displayName }) =>
      isTeamMemberKind(kind) ? [{ kind, id, ...(displayName ? { displayName } : {}) }] : [],
    ),
    grants: team.grants.map((grant) => ({
      role: grant.role,
      ...(grant.projects ? { projectIds: grant.projects.ids } : {}),
      ...(grant.environments ? { environmentIds: grant.environments.ids } : {}),
    })),
    createdAt: team.createdAt,
    updatedAt: team.updatedAt,
  };
}
