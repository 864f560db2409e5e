/** A row of directory_user_groups: the user was in the group at sign-in or at the sync's last look. */
export interface UserGroupRow {
  userId: string;
  groupId: string;
}

/** A directory account whose team-group rows the sync keeps (a subset of LocalDirectoryAccount). */
export interface MembershipAccount {
  id: string;
  username: string;
  externalId: string;
}

export interface MembershipChange {
  groupId: string;
  userId: string;
  username: string;
  change: 'added' | 'removed';
}

/**
 * The rows to add and remove so each team group's rows are exactly the accounts the directory has
 * in it. `members`: per group, the external ids the directory has in it (a group missing from the
 * map was not read: its rows are left alone). An account in `uncertain` is never removed (its
 * absence from the answer proves nothing). Rows of users who are not directory accounts are left
 * alone too: the sync only speaks for the accounts it read.
 */
export function membershipChanges(
  accounts: readonly MembershipAccount[],
  rows: readonly UserGroupRow[],
  members: ReadonlyMap<string, ReadonlySet<string>>,
  uncertain: ReadonlySet<string>,
): MembershipChange[] {
  const recorded = new Set(rows.map((row) => key(row.userId, row.groupId)));
  const changes: MembershipChange[] = [];
  for (const [groupId, externalIds] of members) {
    for (const account of accounts) {
      const inDirectory = externalIds.has(account.externalId);
      const inTable = recorded.has(key(account.id, groupId));
      if (inDirectory && !inTable)
        changes.push({ groupId, userId: account.id, username: account.username, change: 'added' });
      if (!inDirectory && inTable && !uncertain.has(account.externalId))
        changes.push({ groupId, userId: account.id, username: account.username, change: 'removed' });
    }
  }
  return changes;
}

/** A group the changes would empty: it had `had` members and would have none. */
export interface EmptiedGroup {
  groupId: string;
  had: number;
}

/**
 * Like looksLikeALostGroup for the allowed groups: an answer that takes every member out of a
 * team group that had at least two reads as a group replaced, a wrong group base or a directory
 * being restored rather than everyone leaving at once, so the sync refuses to act on it. One
 * member leaving a group of one is ordinary and goes through.
 */
export function emptiedGroup(
  rows: readonly UserGroupRow[],
  changes: readonly MembershipChange[],
): EmptiedGroup | undefined {
  const count = (groupId: string, change: MembershipChange['change']): number =>
    changes.filter((item) => item.groupId === groupId && item.change === change).length;
  const groups = new Set(changes.filter((item) => item.change === 'removed').map((item) => item.groupId));
  for (const groupId of groups) {
    const had = rows.filter((row) => row.groupId === groupId).length;
    if (had >= 2 && count(groupId, 'removed') === had && count(groupId, 'added') === 0)
      return { groupId, had };
  }
  return undefined;
}

function key(userId: string, groupId: string): string {
  return JSON.stringify([userId, groupId]);
}
