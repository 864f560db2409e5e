/** A Flotilla team a directory user belongs to through some of their groups. */
export interface TeamOfGroups {
  id: string;
  name: string;
  /** Which of the given group ids make the user a member. */
  groupIds: string[];
}

/** Looks up the teams that list any of these directory group ids as members. */
export interface TeamsOfGroupsLookup {
  teamsOfGroups(groupIds: readonly string[]): Promise<TeamOfGroups[]>;
}
