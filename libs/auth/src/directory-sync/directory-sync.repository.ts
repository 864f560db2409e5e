import { DataSource, EntityManager } from 'typeorm';

import { sqlFor } from '../persistence/db-clock';
import { UserEntity } from '../persistence/user.entity';
import { TeamMemberEntity } from '../teams/team.entities';

import { DirectorySyncDeactivationEntity } from './directory-sync.entities';
import type { LocalDirectoryAccount, SyncDeactivationReason } from './sync-decision';

interface AccountRow {
  id: string;
  username: string;
  external_id: string;
  is_active: boolean | number;
  deactivated_by_sync: number | string;
}

/** The sync's I/O on the auth database. */
export class DirectorySyncRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Every directory account. `deactivatedBySync`: the sync's deactivation row is still the last
   * change to the account (an administrator enabling or disabling it since moves updated_at past it).
   */
  async directoryAccounts(): Promise<LocalDirectoryAccount[]> {
    const rows = await this.dataSource
      .createQueryBuilder(UserEntity, 'u')
      .leftJoin(DirectorySyncDeactivationEntity, 'd', 'd.user_id = u.id')
      .select([
        'u.id AS id',
        'u.username AS username',
        'u.external_id AS external_id',
        'u.is_active AS is_active',
      ])
      .addSelect('CASE WHEN d.deactivated_at >= u.updated_at THEN 1 ELSE 0 END', 'deactivated_by_sync')
      .where("u.source = 'directory'")
      .andWhere('u.external_id IS NOT NULL')
      .orderBy('u.id')
      .getRawMany<AccountRow>();
    return rows.map((row) => ({
      id: row.id,
      username: row.username,
      externalId: row.external_id,
      isActive: row.is_active === true || Number(row.is_active) === 1,
      deactivatedBySync: Number(row.deactivated_by_sync) === 1,
    }));
  }

  /** The directory groups some team has as a member (the only groups whose rows grant anything). */
  async teamGroupIds(): Promise<string[]> {
    const rows = await this.dataSource
      .createQueryBuilder(TeamMemberEntity, 'm')
      .select('DISTINCT m.member_id', 'member_id')
      .where("m.member_kind = 'group'")
      .getRawMany<{ member_id: string }>();
    return rows.map((row) => row.member_id).sort();
  }

  /** Records (after the account's own update, so its time is not earlier) that the sync deactivated it. */
  async markDeactivated(
    manager: EntityManager,
    userId: string,
    reason: SyncDeactivationReason,
  ): Promise<void> {
    await this.forget(manager, userId);
    await manager
      .createQueryBuilder()
      .insert()
      .into(DirectorySyncDeactivationEntity)
      .values({ userId, reason, deactivatedAt: () => sqlFor(manager).now })
      .execute();
  }

  async forget(manager: EntityManager, userId: string): Promise<void> {
    await manager
      .createQueryBuilder()
      .delete()
      .from(DirectorySyncDeactivationEntity)
      .where('user_id = :userId', { userId })
      .execute();
  }
}
