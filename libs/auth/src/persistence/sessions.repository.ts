import { EntityManager } from 'typeorm';

import { sqlFor } from './db-clock';
import { SessionEntity } from './session.entity';

/** last_seen_at is informational; writing it on every request would make each request a write. */
const LAST_SEEN_RESOLUTION_MS = 60_000;

/** I/O for the sessions table. Expiry is always judged by the database clock. */
export class SessionsRepository {
  /** Opens a session that expires `ttlMs` after the database's now. */
  async open(
    manager: EntityManager,
    row: { id: string; tokenHash: string; userId: string; ttlMs: number },
  ): Promise<SessionEntity> {
    const sql = sqlFor(manager);
    await manager
      .createQueryBuilder()
      .insert()
      .into(SessionEntity)
      .values({
        id: row.id,
        tokenHash: row.tokenHash,
        userId: row.userId,
        createdAt: () => sql.now,
        lastSeenAt: () => sql.now,
        expiresAt: () => sql.nowPlusMs(':ttlMs'),
      })
      .setParameter('ttlMs', row.ttlMs)
      .execute();
    return manager.findOneByOrFail(SessionEntity, { id: row.id });
  }

  /** The session with this token hash, unless it has expired by the database's clock. */
  findLive(manager: EntityManager, tokenHash: string): Promise<SessionEntity | null> {
    return manager
      .createQueryBuilder(SessionEntity, 's')
      .where('s.tokenHash = :tokenHash', { tokenHash })
      .andWhere(`s.expiresAt > ${sqlFor(manager).now}`)
      .getOne();
  }

  /** Records activity, at most once a minute per session. */
  async touch(manager: EntityManager, id: string): Promise<void> {
    const sql = sqlFor(manager);
    await manager
      .createQueryBuilder()
      .update(SessionEntity)
      .set({ lastSeenAt: () => sql.now })
      .where('id = :id', { id })
      .andWhere(`last_seen_at < ${sql.nowPlusMs(':resolution')}`, { resolution: -LAST_SEEN_RESOLUTION_MS })
      .execute();
  }

  findByTokenHash(manager: EntityManager, tokenHash: string): Promise<SessionEntity | null> {
    return manager.findOneBy(SessionEntity, { tokenHash });
  }

  /** Returns whether a row was deleted, so only one of two concurrent logouts is audited. */
  async delete(manager: EntityManager, id: string): Promise<boolean> {
    const result = await manager.delete(SessionEntity, { id });
    return (result.affected ?? 0) > 0;
  }

  /** Housekeeping on sign-in, so a user's dead sessions do not pile up. */
  async deleteExpiredOf(manager: EntityManager, userId: string): Promise<void> {
    await manager
      .createQueryBuilder()
      .delete()
      .from(SessionEntity)
      .where('user_id = :userId', { userId })
      .andWhere(`expires_at <= ${sqlFor(manager).now}`)
      .execute();
  }
}
