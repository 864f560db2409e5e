import { EntityManager } from 'typeorm';

import { normalizeUsername, usernameProblem } from '../users/user-rules';

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
  /** A directory account's id in the directory (objectGUID / entryUUID); absent for local accounts. */
  externalId?: string;
}

/** What a directory sign-in refreshes on the account it maps to. */
export interface DirectoryProfile {
  username: string;
  displayName: string;
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

  /**
   * The local account a typed sign-in name stands for (trimmed, any letter case), or null. Sign-in,
   * its throttle and the choice between local and directory sign-in all decide it this way. No
   * account can have a name outside the username rules, so the database is not asked for one: that
   * also keeps text it cannot hold (NUL) from turning a wrong sign-in into a server error.
   */
  async findLocalForSignIn(manager: EntityManager, typed: string): Promise<UserEntity | null> {
    const name = typed.trim();
    if (usernameProblem(name) !== undefined) return null;
    const user = await this.findByUsername(manager, name);
    return user?.source === 'local' ? user : null;
  }

  /** The directory account with this directory id (objectGUID / entryUUID, lower case). */
  findByExternalId(manager: EntityManager, externalId: string): Promise<UserEntity | null> {
    return manager.findOneBy(UserEntity, { externalId });
  }

  /** Brings a directory account's name and display name up to date with the directory (a rename). */
  async updateDirectoryProfile(manager: EntityManager, id: string, profile: DirectoryProfile): Promise<void> {
    await manager
      .createQueryBuilder()
      .update(UserEntity)
      .set({
        username: profile.username,
        usernameNormalized: normalizeUsername(profile.username),
        displayName: profile.displayName,
        updatedAt: () => sqlFor(manager).now,
      })
      .where('id = :id', { id })
      .execute();
  }

  /** Replaces an account's roles (the directory's group mapping decided them). */
  async setRoles(manager: EntityManager, id: string, roles: readonly string[]): Promise<void> {
    await manager
      .createQueryBuilder()
      .update(UserEntity)
      .set({ roles: JSON.stringify(roles), updatedAt: () => sqlFor(manager).now })
      .where('id = :id', { id })
      .execute();
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
        externalId: row.externalId ?? null,
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
