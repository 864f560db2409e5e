import { EntityManager } from 'typeorm';

import { sqlFor } from './db-clock';
import { UserEntity, UserSource } from './user.entity';

export interface NewUserRow {
  id: string;
  username: string;
  usernameNormalized: string;
  displayName: string;
  passwordHash: string | null;
  roles: readonly string[];
  source: UserSource;
}

/** I/O for the users table; every method runs on the manager it is given (inside or outside a transaction). */
export class UsersRepository {
  findByNormalizedUsername(manager: EntityManager, usernameNormalized: string): Promise<UserEntity | null> {
    return manager.findOneBy(UserEntity, { usernameNormalized });
  }

  findById(manager: EntityManager, id: string): Promise<UserEntity | null> {
    return manager.findOneBy(UserEntity, { id });
  }

  /** Inserts with database timestamps; a duplicate username fails with a unique violation. */
  async insert(manager: EntityManager, row: NewUserRow): Promise<UserEntity> {
    const now = sqlFor(manager).now;
    await manager
      .createQueryBuilder()
      .insert()
      .into(UserEntity)
      .values({
        ...row,
        roles: JSON.stringify(row.roles),
        isActive: true,
        createdAt: () => now,
        updatedAt: () => now,
      })
      .execute();
    return manager.findOneByOrFail(UserEntity, { id: row.id });
  }

  list(manager: EntityManager): Promise<UserEntity[]> {
    return manager.find(UserEntity, { order: { usernameNormalized: 'ASC' } });
  }
}
