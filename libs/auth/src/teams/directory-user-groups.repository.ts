import { EntityManager, In } from 'typeorm';

import { normalizeDirectoryGroupId, isStorableGroupId } from './directory-group-ids';
import { DirectoryUserGroupEntity } from './team.entities';

/** Rows per statement: SQL Server takes at most 2,100 parameters in one. */
const CHUNK = 500;

/** `items` in parts of CHUNK, each small enough for one IN list or multi-row insert on SQL Server. */
export function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

/**
 * The directory groups each directory user is in (direct, nested and primary, as DirectoryUser
 * carries them), so ValidateToken finds the teams a user is in through a group with one indexed
 * query instead of asking the directory on every request.
 */
export class DirectoryUserGroupsRepository {
  /**
   * Makes the user's recorded groups exactly `groupIds`, writing only the difference (a user in
   * 1,500 groups signs in without 1,500 deletes and inserts). Ids longer than a team member id can
   * be are left out: no team can name them.
   */
  async replace(manager: EntityManager, userId: string, groupIds: readonly string[]): Promise<void> {
    const wanted = new Set(groupIds.map(normalizeDirectoryGroupId).filter(isStorableGroupId));
    const current = new Set(await this.groupsOf(manager, userId));
    const gone = [...current].filter((id) => !wanted.has(id));
    const added = [...wanted].filter((id) => !current.has(id));
    for (const part of chunks(gone)) {
      await manager
        .createQueryBuilder()
        .delete()
        .from(DirectoryUserGroupEntity)
        .where('user_id = :userId AND group_id IN (:...part)', { userId, part })
        .execute();
    }
    for (const part of chunks(added)) {
      await manager
        .createQueryBuilder()
        .insert()
        .into(DirectoryUserGroupEntity)
        .values(part.map((groupId) => ({ userId, groupId })))
        .execute();
    }
  }

  /** Every row of these groups (the directory sync reads the team groups' rows with it). */
  async rowsOfGroups(
    manager: EntityManager,
    groupIds: readonly string[],
  ): Promise<{ userId: string; groupId: string }[]> {
    const rows: { userId: string; groupId: string }[] = [];
    for (const part of chunks(groupIds)) {
      const found = await manager.find(DirectoryUserGroupEntity, { where: { groupId: In(part) } });
      rows.push(...found.map((row) => ({ userId: row.userId, groupId: row.groupId })));
    }
    // SQL Server compares text without case: only the ids asked for, exactly, are these groups' rows.
    const wanted = new Set(groupIds);
    return rows.filter((row) => wanted.has(row.groupId));
  }

  /** Records one membership; false when it is there already (a sign-in wrote it meanwhile). */
  async add(manager: EntityManager, userId: string, groupId: string): Promise<boolean> {
    if (await manager.existsBy(DirectoryUserGroupEntity, { userId, groupId })) return false;
    await manager.insert(DirectoryUserGroupEntity, { userId, groupId });
    return true;
  }

  /** Forgets one membership; false when it was gone already. */
  async remove(manager: EntityManager, userId: string, groupId: string): Promise<boolean> {
    const result = await manager.delete(DirectoryUserGroupEntity, { userId, groupId });
    return (result.affected ?? 0) > 0;
  }

  async groupsOf(manager: EntityManager, userId: string): Promise<string[]> {
    const rows = await manager.find(DirectoryUserGroupEntity, {
      where: { userId },
      select: { groupId: true },
    });
    return rows.map((row) => row.groupId);
  }
}

/**
 * Records the directory groups of a directory user (their Flotilla user id): directory sign-in
 * calls it with every sign-in, and the directory sync may call it with what it read, so team
 * memberships through groups follow the directory between sign-ins too. Runs on the given manager
 * (inside the caller's transaction when it has one).
 */
export function recordDirectoryGroups(
  manager: EntityManager,
  userId: string,
  groupIds: readonly string[],
): Promise<void> {
  return new DirectoryUserGroupsRepository().replace(manager, userId, groupIds);
}
