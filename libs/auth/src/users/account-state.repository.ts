import { EntityManager } from 'typeorm';

import { Role } from '@flotilla/api-interfaces';

import { sqlFor } from '../persistence/db-clock';
import { SessionEntity } from '../persistence/session.entity';
import { UserEntity } from '../persistence/user.entity';

/** Roles are stored as a JSON array of names; this matches the Administrator entry in it. */
const HOLDS_ADMINISTRATOR = `roles LIKE '%"${Role.Administrator}"%'`;

/**
 * I/O for account administration: the state columns of users, and the user's sessions. Every
 * method runs on the manager it is given (the service's transaction).
 */
export class AccountStateRepository {
  /**
   * Row-locks every account holding Administrator until the transaction ends (a no-op update: both
   * PostgreSQL and SQL Server lock the rows an UPDATE touches). Two administrators disabling each
   * other at once would otherwise each see the other still enabled and leave none: this way the
   * second waits, then counts what the first committed.
   */
  async lockAdministrators(manager: EntityManager): Promise<void> {
    await manager
      .createQueryBuilder()
      .update(UserEntity)
      .set({ updatedAt: () => 'updated_at' })
      .where(HOLDS_ADMINISTRATOR)
      .execute();
  }

  /** Enabled accounts holding Administrator, other than `exceptId`. */
  countOtherEnabledAdministrators(manager: EntityManager, exceptId: string): Promise<number> {
    return manager
      .createQueryBuilder(UserEntity, 'u')
      .where(HOLDS_ADMINISTRATOR)
      .andWhere('u.isActive = :active', { active: true })
      .andWhere('u.id <> :exceptId', { exceptId })
      .getCount();
  }

  /** Sets is_active; whether this call changed it (so a repeated request is audited once). */
  async setActive(manager: EntityManager, id: string, active: boolean): Promise<boolean> {
    const result = await manager
      .createQueryBuilder()
      .update(UserEntity)
      .set({ isActive: active, updatedAt: () => sqlFor(manager).now })
      .where('id = :id', { id })
      .andWhere('is_active = :current', { current: !active })
      .execute();
    return (result.affected ?? 0) > 0;
  }

  /** Ends every session of the user; how many there were. */
  async deleteSessionsOf(manager: EntityManager, userId: string): Promise<number> {
    const result = await manager
      .createQueryBuilder()
      .delete()
      .from(SessionEntity)
      .where('user_id = :userId', { userId })
      .execute();
    return result.affected ?? 0;
  }

  /** An administrator's reset: a new hash, to be replaced at the next sign-in. */
  async resetPassword(manager: EntityManager, id: string, passwordHash: string): Promise<void> {
    await manager
      .createQueryBuilder()
      .update(UserEntity)
      .set({ passwordHash, mustChangePassword: true, updatedAt: () => sqlFor(manager).now })
      .where('id = :id', { id })
      .execute();
  }
}
