import { EntityManager } from 'typeorm';

import { sqlFor } from './db-clock';
import { sessionClockFor } from './session-clock.sql';
import { SessionEntity } from './session.entity';

/** last_seen_at is informational; writing it on every request would make each request a write. */
const LAST_SEEN_RESOLUTION_SECONDS = 60;

/** I/O for the sessions table. Expiry is always judged by the database clock. */
export class SessionsRepository {
  /** Opens a session that expires `ttlSeconds` (a whole number) after the database's now. */
  async open(
    manager: EntityManager,
    row: { id: string; tokenHash: string; userId: string; ttlSeconds: number },
  ): Promise<SessionEntity> {
    const now = sqlFor(manager).now;
    const expiry = sessionClockFor(manager).nowPlusSeconds(':ttlSeconds');
    await manager
      .createQueryBuilder()
      .insert()
      .into(SessionEntity)
      .values({
        id: row.id,
        tokenHash: row.tokenHash,
        userId: row.userId,
        createdAt: () => now,
        lastSeenAt: () => now,
        expiresAt: () => expiry,
      })
      .setParameter('ttlSeconds', row.ttlSeconds)
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
    const now = sqlFor(manager).now;
    const resolutionAgo = sessionClockFor(manager).nowPlusSeconds(':resolution');
    await manager
      .createQueryBuilder()
      .update(SessionEntity)
      .set({ lastSeenAt: () => now })
      .where('id = :id', { id })
      .andWhere(`last_seen_at < ${resolutionAgo}`, {
        resolution: -LAST_SEEN_RESOLUTION_SECONDS,
      })
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
