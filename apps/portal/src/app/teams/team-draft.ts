import type { Team, TeamDefinition, TeamGrant, TeamMember } from '@flotilla/api-interfaces';

/**
 * A grant being edited: "every project" is a checkbox rather than an empty list, because the API
 * reads a missing list as everywhere and refuses an empty one (it would grant nothing).
 */
export interface GrantDraft {
  role: string;
  allProjects: boolean;
  projectIds: string[];
  allEnvironments: boolean;
  environmentIds: string[];
}

/** A team being created (no id) or edited. */
export interface TeamDraft {
  id?: string;
  name: string;
  description: string;
  members: TeamMember[];
  grants: GrantDraft[];
}

export function emptyDraft(): TeamDraft {
  return { name: '', description: '', members: [], grants: [] };
}

export function newGrant(role: string): GrantDraft {
  return { role, allProjects: true, projectIds: [], allEnvironments: true, environmentIds: [] };
}

export function draftOf(team: Team): TeamDraft {
  return {
    id: team.id,
    name: team.name,
    description: team.description,
    members: team.members.map((member) => ({ ...member })),
    grants: team.grants.map((grant) => ({
      role: grant.role,
      allProjects: grant.projectIds === undefined,
      projectIds: [...(grant.projectIds ?? [])],
      allEnvironments: grant.environmentIds === undefined,
      environmentIds: [...(grant.environmentIds ?? [])],
    })),
  };
}

function grantOf(draft: GrantDraft): TeamGrant {
  return {
    role: draft.role,
    ...(draft.allProjects ? {} : { projectIds: draft.projectIds }),
    ...(draft.allEnvironments ? {} : { environmentIds: draft.environmentIds }),
  };
}

export function definitionOf(draft: TeamDraft): TeamDefinition {
  return {
    name: draft.name,
    description: draft.description,
    members: draft.members,
    grants: draft.grants.map(grantOf),
  };
}

/** What is wrong with the draft before it is sent (the API checks again), or undefined. */
export function draftProblem(draft: TeamDraft): string | undefined {
  if (!draft.name.trim()) return 'The team needs a name.';
  const empty = draft.grants.find(
    (grant) =>
      (!grant.allProjects && grant.projectIds.length === 0) ||
      (!grant.allEnvironments && grant.environmentIds.length === 0),
  );
  if (empty) return `The ${empty.role} grant is restricted to nothing: pick some, or tick "all".`;
  return undefined;
}

/** "Deployer — projects: Shop; environments: all" */
export function describeGrant(grant: TeamGrant, names: (id: string) => string): string {
  const scope = (ids: string[] | undefined) => (ids ? ids.map(names).join(', ') : 'all');
  return `${grant.role} — projects: ${scope(grant.projectIds)}; environments: ${scope(grant.environmentIds)}`;
}
