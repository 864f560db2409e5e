import type { authV1 } from '@flotilla/contracts';

import type { TeamInput } from './team-rules';
import type { StoredTeam } from './teams.repository';

/** A TeamDefinition from the wire; a restriction travels wrapped (IdList), so absent stays absent. */
export function teamInputFromWire(definition: authV1.TeamDefinition | undefined): TeamInput {
  return {
    name: definition?.name ?? '',
    description: definition?.description ?? '',
    members: (definition?.members ?? []).map((member) => ({
      kind: member.kind,
      id: member.id,
      ...(member.displayName ? { displayName: member.displayName } : {}),
    })),
    grants: (definition?.grants ?? []).map((grant) => ({
      role: grant.role,
      ...(grant.projects ? { projectIds: grant.projects.ids } : {}),
      ...(grant.environments ? { environmentIds: grant.environments.ids } : {}),
    })),
  };
}

export function toTeamReply(team: StoredTeam): authV1.Team {
  return {
    id: team.id,
    name: team.name,
    description: team.description,
    members: team.members.map((member) => ({
      kind: member.kind,
      id: member.id,
      displayName: member.displayName ?? '',
    })),
    grants: team.grants.map((grant) => ({
      role: grant.role,
      ...(grant.projectIds ? { projects: { ids: [...grant.projectIds] } } : {}),
      ...(grant.environmentIds ? { environments: { ids: [...grant.environmentIds] } } : {}),
    })),
    createdAt: team.createdAt.toISOString(),
    updatedAt: team.updatedAt.toISOString(),
  };
}
