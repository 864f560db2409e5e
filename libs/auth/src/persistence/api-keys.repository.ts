import { EntityManager, IsNull } from 'typeorm';

import { ApiKeyEntity } from './api-key.entity';
import { sqlFor } from './db-clock';

/** I/O for the api_keys table. Revoked keys stay as rows (history) but never authenticate. */
export class ApiKeysRepository {
  async insert(
    manager: EntityManager,
    row: { id: string; userId: string; purpose: string; keyHash: string },
  ): Promise<ApiKeyEntity> {
    const now = sqlFor(manager).now;
    await manager
      .createQueryBuilder()
      .insert()
      .into(ApiKeyEntity)
      .values({ ...row, createdAt: () => now })
      .execute();
    return manager.findOneByOrFail(ApiKeyEntity, { id: row.id });
  }

  findActiveByHash(manager: EntityManager, keyHash: string): Promise<ApiKeyEntity | null> {
    return manager.findOneBy(ApiKeyEntity, { keyHash, revokedAt: IsNull() });
  }

  findById(manager: EntityManager, id: string): Promise<ApiKeyEntity | null> {
    return manager.findOneBy(ApiKeyEntity, { id });
  }

  listActiveOf(manager: EntityManager, userId: string): Promise<ApiKeyEntity[]> {
    return manager.find(ApiKeyEntity, {
      where: { userId, revokedAt: IsNull() },
      order: { createdAt: 'ASC' },
    });
  }

  /** Returns whether this call revoked it (false when it already was), so a revoke is audited once. */
  async revoke(manager: EntityManager, id: string): Promise<boolean> {
    const result = await manager
      .createQueryBuilder()
      .update(ApiKeyEntity)
      .set({ revokedAt: () => sqlFor(manager).now })
      .where('id = :id', { id })
      .andWhere('revoked_at IS NULL')
      .execute();
    return (result.affected ?? 0) > 0;
  }
}
