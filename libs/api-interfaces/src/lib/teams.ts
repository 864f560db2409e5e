/**
 * Teams (issue 10 point 4): members (Flotilla users and directory groups) and the roles the team
 * grants them, each optionally restricted to some projects and/or environments. A member's
 * permissions are their account's own roles (everywhere) plus every grant of every team they are
 * in, directly or through a directory group (see PermissionGrant in permission-grants.ts).
 */

/** A Flotilla account, or a directory group (every directory user in it, nested groups included). */
export type TeamMemberKind = 'user' | 'group';

export const TEAM_MEMBER_KINDS: readonly TeamMemberKind[] = ['user', 'group'];

export interface TeamMember {
  kind: TeamMemberKind;
  /**
   * A user: the Flotilla user id. A group: its directory id (AD objectSid `S-1-5-21-...`; generic
   * LDAP entryUUID, else the DN), as directory sign-in reads it, so renames keep the membership.
   */
  id: string;
  /**
   * For display only. A user: their display name, filled in by the server. A group: the name the
   * administrator gave with its id (the directory is not asked).
   */
  displayName?: string;
}

/** A role, optionally restricted. Absent list: every project (environment); present: only those. */
export interface TeamGrant {
  /** A role name from ROLE_DEFINITIONS (Administrator, Deployer, Auditor). */
  role: string;
  projectIds?: string[];
  environmentIds?: string[];
}

export interface Team {
  id: string;
  name: string;
  description: string;
  members: TeamMember[];
  grants: TeamGrant[];
  /** ISO-8601 */
  createdAt: string;
  /** ISO-8601 */
  updatedAt: string;
}

/** POST /api/teams and PUT /api/teams/{id}: the whole team (PUT replaces members and grants). */
export interface TeamDefinition {
  /** Unique in any letter case. */
  name: string;
  description?: string;
  members: TeamMember[];
  grants: TeamGrant[];
}

export const TEAM_NAME_MAX_LENGTH = 100;
export const TEAM_DESCRIPTION_MAX_LENGTH = 1000;
/** Long enough for a generic LDAP group's DN, which stands in for its id when it has no entryUUID. */
export const TEAM_MEMBER_ID_MAX_LENGTH = 400;
export const TEAM_MEMBER_NAME_MAX_LENGTH = 256;
/** Project and environment ids a grant may name (ids of the orchestrator, opaque to auth). */
export const TEAM_SCOPE_ID_MAX_LENGTH = 100;
export const TEAM_MAX_MEMBERS = 1000;
export const TEAM_MAX_GRANTS = 100;
export const TEAM_GRANT_MAX_SCOPE_IDS = 500;

export function isTeamMemberKind(kind: string): kind is TeamMemberKind {
  return (TEAM_MEMBER_KINDS as readonly string[]).includes(kind);
}
