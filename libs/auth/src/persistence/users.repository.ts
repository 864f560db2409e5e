import { EntityManager } from 'typeorm';

import { normalizeUsername } from '../users/user-rules';

import { sqlFor } from './db-clock';
import { UserEntity, UserSource } from './user.entity';

export interface NewUserRow {
  id: string;
  username: string;
  displayName: string;
  passwordHash: string | null;
  roles: readonly string[];
  source: UserSource;
  /** Sign-in refused until the password is changed; false unless given. */
  mustChangePassword?: boolean;
}

/**
 * I/O for the users table; every method runs on the manager it is given (inside or outside a
 * transaction).
 *
 * Usernames are one account whatever their case, and this class alone applies that rule: it writes
 * and looks up only `username_normalized` (the lower-cased name), whose unique index does the rest.
 * The rule so rests on the normalisation, not on a collation: PostgreSQL compares text case-
 * sensitively, SQL Server's default collation (and Babelfish's) case-insensitively, some SQL
 * Server databases are case-sensitive, and all of them agree on lower-case ASCII (the only
 * characters a username may hold, see user-rules.ts; no spaces, so no trailing-blank padding).
 */
export class UsersRepository {
  /** The account of this username, in any case. */
  findByUsername(manager: EntityManager, username: string): Promise<UserEntity | null> {
    return manager.findOneBy(UserEntity, { usernameNormalized: normalizeUsername(username) });
  }

  findById(manager: EntityManager, id: string): Promise<UserEntity | null> {
    return manager.findOneBy(UserEntity, { id });
  }

  /** Inserts with database timestamps; a username taken in any case fails with a unique violation. */
  async insert(manager: EntityManager, row: NewUserRow): Promise<UserEntity> {
    const now = sqlFor(manager).now;
    await manager
      .createQueryBuilder()
      .insert()
      .into(UserEntity)
      .values({
        ...row,
        mustChangePassword: row.mustChangePassword ?? false,
        usernameNormalized: normalizeUsername(row.username),
        roles: JSON.stringify(row.roles),
        isActive: true,
        createdAt: () => now,
        updatedAt: () => now,
      })
      .execute();
    return manager.findOneByOrFail(UserEntity, { id: row.id });
  }

  /**
   * Sets a new password hash and lifts "must change password", if the account's hash is still
   * `currentHash`: of two concurrent changes with the same current password, one wins (true).
   */
  async replacePassword(
    manager: EntityManager,
    id: string,
    currentHash: string,
    newHash: string,
  ): Promise<boolean> {
    const result = await manager
      .createQueryBuilder()
      .update(UserEntity)
      .set({ passwordHash: newHash, mustChangePassword: false, updatedAt: () => sqlFor(manager).now })
      .where('id = :id AND password_hash = :currentHash', { id, currentHash })
      .execute();
    return (result.affected ?? 0) > 0;
  }

  list(manager: EntityManager): Promise<UserEntity[]> {
    return manager.find(UserEntity, { order: { usernameNormalized: 'ASC' } });
  }
}
