import { EntityManager } from 'typeorm';

import { ApiKeyEntity } from './api-key.entity';
import { sqlFor } from './db-clock';

/** A key as listed to its owner: whether it has expired is judged by the database clock. */
export interface ListedApiKey {
  key: ApiKeyEntity;
  expired: boolean;
}

/**
 * I/O for the api_keys table. Revoked keys stay as rows (history) but never authenticate; neither
 * does a key past its expires_at, judged by the database clock like sessions.
 */
export class ApiKeysRepository {
  async insert(
    manager: EntityManager,
    row: { id: string; userId: string; purpose: string; keyHash: string; expiresAt?: Date | null },
  ): Promise<ApiKeyEntity> {
    const now = sqlFor(manager).now;
    await manager
      .createQueryBuilder()
      .insert()
      .into(ApiKeyEntity)
      .values({ ...row, expiresAt: row.expiresAt ?? null, createdAt: () => now })
      .execute();
    return manager.findOneByOrFail(ApiKeyEntity, { id: row.id });
  }

  /** The key with this hash, unless revoked or expired by the database's clock. */
  findActiveByHash(manager: EntityManager, keyHash: string): Promise<ApiKeyEntity | null> {
    return manager
      .createQueryBuilder(ApiKeyEntity, 'k')
      .where('k.keyHash = :keyHash', { keyHash })
      .andWhere('k.revokedAt IS NULL')
      .andWhere(`(k.expiresAt IS NULL OR k.expiresAt > ${sqlFor(manager).now})`)
      .getOne();
  }

  findById(manager: EntityManager, id: string): Promise<ApiKeyEntity | null> {
    return manager.findOneBy(ApiKeyEntity, { id });
  }

  /** The user's keys that are not revoked, expired ones included (so the owner sees they lapsed). */
  async listActiveOf(manager: EntityManager, userId: string): Promise<ListedApiKey[]> {
    const { entities, raw } = await manager
      .createQueryBuilder(ApiKeyEntity, 'k')
      .addSelect(
        `CASE WHEN k.expires_at IS NOT NULL AND k.expires_at <= ${sqlFor(manager).now} THEN 1 ELSE 0 END`,
        'k_expired',
      )
      .where('k.userId = :userId', { userId })
      .andWhere('k.revokedAt IS NULL')
      .orderBy('k.createdAt', 'ASC')
      .getRawAndEntities<{ k_id: string; k_expired: number | string }>();
    const expiredById = new Map(raw.map((row) => [row.k_id, Number(row.k_expired) === 1]));
    return entities.map((key) => ({ key, expired: expiredById.get(key.id) ?? false }));
  }

  /** The database's clock now, to judge a requested expiry by the same clock that enforces it. */
  async databaseNow(manager: EntityManager): Promise<Date> {
    const rows = await manager.query<{ now: Date | string }[]>(`SELECT ${sqlFor(manager).now} AS now`);
    const now = rows[0]?.now;
    if (now === undefined) throw new Error('the database returned no clock reading');
    return now instanceof Date ? now : new Date(now);
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
